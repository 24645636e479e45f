// The Learn panel of the cell types: the cells' embedding as a scatter plot (coloured by type or
// by uncertainty; box and lasso put points in the active type), training and predicting.
import { useEffect, useMemo, useState } from 'react';
import {
  Alert,
  Box,
  Button,
  Stack,
  ToggleButton,
  ToggleButtonGroup,
  Typography,
  useTheme,
} from '@mui/material';
import { useSelector } from '@xstate/react';
import type { ActorRefFrom } from 'xstate';
import type { LearningSource } from '../api/client';
import {
  embeddingPoints,
  learningTrouble,
  pointColours,
  uncertaintyLegend,
  type ColourBy,
} from '../data/learning';
import { shortcutFor } from '../keymap';
import type { jobMachine } from '../machines/job';
import type { ProjectSession } from '../session';
import { LabeledSelect } from './controls';
import { JobProgress } from './JobProgress';
import { PredictDialog, TrainDialog } from './LearnDialogs';
import { ScatterPlot } from './ScatterPlot';

type JobActor = ActorRefFrom<typeof jobMachine>;

/** The progress bar of a learning job while it runs (a child of the learning actor). */
export function LearningJob({
  session,
  id,
  label,
}: {
  session: ProjectSession;
  id: 'embeddingJob' | 'trainingJob' | 'predictionJob';
  label: string;
}) {
  const job = useSelector(session.learning, (s) => s.children[id] as JobActor | undefined);
  return job ? <JobProgress actor={job} label={label} /> : null;
}

export function LearnPanel({ session }: { session: ProjectSession }) {
  const learning = useSelector(session.learning, (s) => s.context);
  const embedding = learning.embedding;
  const busy = useSelector(session.learning, (s) => !s.matches({ embedding: 'idle' }));
  const allTypes = useSelector(session.annotations, (s) => s.context.cellTypes);
  const active = useSelector(session.typeDisplay, (s) => s.context.active);
  const frame = useSelector(session.display, (s) => s.context.frame);
  const feature = useSelector(session.display, (s) => s.context.feature);
  const selectedCell = useSelector(session.selection, (s) => s.context.selected);
  const [dialog, setDialog] = useState<'train' | 'predict' | null>(null);
  const mode = useTheme().palette.mode;
  const types = allTypes.filter((t) => (t.feature ?? 0) === feature);
  const activeType = types.find((t) => t.id === active) ?? null;
  const imported = learning.imported;
  const trouble = learningTrouble(learning.learnable, learning.source);
  const outOfDate = learning.outOfDate;

  // Opening the panel (or showing another feature) brings back the work kept on the server.
  useEffect(() => session.learn.open(), [session, feature]);

  const points = useMemo(() => (embedding ? embeddingPoints(embedding) : null), [embedding]);
  const predictions = useMemo(
    () => new Map((learning.predictions?.predictions ?? []).map((p) => [p.cell, p])),
    [learning.predictions],
  );
  const colours = useMemo(
    () => (points ? pointColours(points.cells, learning.colourBy, types, predictions, mode) : null),
    // eslint-disable-next-line react-hooks/exhaustive-deps -- types is a new array each render
    [points, learning.colourBy, allTypes, feature, predictions, mode],
  );
  const selectedMask = useMemo(() => {
    const mask = new Uint8Array(points?.cells.length ?? 0);
    for (const cell of learning.selected) {
      const i = points?.index.get(cell);
      if (i !== undefined) mask[i] = 1;
    }
    return mask;
  }, [points, learning.selected]);
  const markedIndex = selectedCell === null ? undefined : points?.index.get(selectedCell);
  const marked =
    markedIndex === undefined || selectedCell === null
      ? null
      : { index: markedIndex, cell: selectedCell };

  const sources: [LearningSource, string][] = [
    ['mean', 'mean expression'],
    ['total', 'total expression'],
    ['position', 'position'],
    ...(imported
      ? [['imported', `imported (${imported.dimensions} numbers)`] as [LearningSource, string]]
      : []),
  ];
  const send = session.learning.send.bind(session.learning);

  return (
    <Stack spacing={1} data-testid="learn-panel">
      <Stack direction="row" spacing={0.5} sx={{ flexWrap: 'wrap', rowGap: 1 }}>
        <LabeledSelect
          id="learn-source"
          label="From"
          value={learning.source}
          options={sources}
          onChange={(source) => send({ type: 'SET_SOURCE', source })}
        />
        <LabeledSelect
          id="learn-frames"
          label="Cells of"
          value={learning.frames}
          options={[
            ['frame', `frame ${frame + 1}`],
            ['all', 'all frames'],
          ]}
          onChange={(frames) => send({ type: 'SET_FRAMES', frames })}
        />
      </Stack>
      <Stack direction="row" spacing={0.5}>
        <Button
          size="small"
          variant="outlined"
          disabled={busy}
          onClick={() => session.learn.embed()}
          data-testid="learn-embed"
        >
          {embedding ? 'Embed again' : 'Embed cells'}
        </Button>
        <Button size="small" component="label" data-testid="learn-import">
          Import vectors…
          <input
            hidden
            type="file"
            accept=".json,application/json"
            onChange={(e) => {
              const file = e.target.files?.[0];
              if (file) void session.learn.uploadEmbeddings(file);
              e.target.value = '';
            }}
          />
        </Button>
      </Stack>
      {trouble && (
        <Alert severity="info" data-testid="learn-nothing-to-learn">
          {trouble}
        </Alert>
      )}
      <LearningJob session={session} id="embeddingJob" label="Embedding" />
      {learning.errors.embedding && (
        <Alert severity="error" data-testid="learn-embedding-error">
          {learning.errors.embedding}
        </Alert>
      )}
      {points && colours && (
        <>
          {outOfDate.embedding && (
            <Typography variant="caption" color="warning.main" data-testid="learn-stale">
              Out of date: the labels changed since this picture was made. Embed again to see them.
            </Typography>
          )}
          <Stack
            direction="row"
            spacing={0.5}
            sx={{ alignItems: 'center', justifyContent: 'space-between' }}
          >
            <ToggleButtonGroup
              size="small"
              exclusive
              value={learning.colourBy}
              onChange={(_e, by: ColourBy | null) => by && send({ type: 'SET_COLOUR_BY', by })}
            >
              <ToggleButton value="type" data-testid="colour-by-type">
                type
              </ToggleButton>
              <ToggleButton
                value="uncertainty"
                data-testid="colour-by-uncertainty"
                disabled={!learning.predictions}
              >
                uncertainty
              </ToggleButton>
            </ToggleButtonGroup>
            <ToggleButtonGroup
              size="small"
              exclusive
              value={learning.tool}
              onChange={(_e, tool: 'box' | 'lasso' | null) =>
                tool && send({ type: 'SET_TOOL', tool })
              }
            >
              <ToggleButton value="box" data-testid="select-box">
                box
              </ToggleButton>
              <ToggleButton value="lasso" data-testid="select-lasso">
                lasso
              </ToggleButton>
            </ToggleButtonGroup>
          </Stack>
          <Box sx={{ border: 1, borderColor: 'divider' }}>
            <ScatterPlot
              xs={points.xs}
              ys={points.ys}
              colours={colours}
              selected={selectedMask}
              tool={learning.tool}
              marked={marked}
              onSelect={(indices, add) =>
                send({ type: 'SELECT', cells: indices.map((i) => points.cells[i]), add })
              }
            />
          </Box>
          {learning.colourBy === 'uncertainty' && <UncertaintyLegend />}
          <Typography variant="caption" data-testid="learn-selected">
            {points.cells.length} cells; {learning.selected.length} selected (Shift adds)
          </Typography>
          <Stack direction="row" spacing={0.5} sx={{ flexWrap: 'wrap' }}>
            <Button
              size="small"
              variant="contained"
              disabled={!learning.selected.length || !activeType}
              onClick={() => activeType && session.learn.selectedToType(activeType.id)}
              data-testid="learn-add-selected"
            >
              Add to {activeType?.name ?? 'the chosen type'}
            </Button>
            <Button
              size="small"
              disabled={!learning.selected.length || !activeType}
              onClick={() => activeType && session.learn.selectedToType(activeType.id, true)}
              data-testid="learn-remove-selected"
            >
              Remove
            </Button>
            <Button
              size="small"
              disabled={!learning.selected.length}
              onClick={() => send({ type: 'CLEAR_SELECTION' })}
            >
              Clear
            </Button>
          </Stack>
        </>
      )}
      <Stack direction="row" spacing={0.5} sx={{ flexWrap: 'wrap' }}>
        <Button
          size="small"
          variant="outlined"
          onClick={() => setDialog('train')}
          data-testid="learn-open-train"
        >
          Train…
        </Button>
        <Button
          size="small"
          variant="outlined"
          onClick={() => setDialog('predict')}
          disabled={!learning.report}
          data-testid="learn-open-predict"
        >
          Predict…
        </Button>
        <Button
          size="small"
          disabled={!learning.predictions}
          onClick={() => session.keys.handlers.nextUncertainCell()}
          data-testid="learn-next-uncertain"
        >
          Least sure ({shortcutFor('nextUncertainCell')})
        </Button>
      </Stack>
      {learning.report && (
        <Typography variant="caption" data-testid="learn-trained">
          Classifier: {(learning.report.validation_accuracy * 100).toFixed(1)}% right on{' '}
          {learning.report.validation_cells} cells kept aside
          {learning.predictions
            ? `; ${learning.predictions.predictions.length} cells have a prediction`
            : ''}
          .
        </Typography>
      )}
      {(outOfDate.classifier || outOfDate.predictions) && (
        <Typography variant="caption" color="warning.main" data-testid="learn-results-stale">
          Out of date: the labels changed since the{' '}
          {outOfDate.classifier ? 'classifier was trained' : 'predictions were made'}. Train or
          predict again to include them.
        </Typography>
      )}
      <LearningJob session={session} id="trainingJob" label="Training" />
      <LearningJob session={session} id="predictionJob" label="Predicting" />
      {dialog === 'train' && <TrainDialog session={session} onClose={() => setDialog(null)} />}
      {dialog === 'predict' && <PredictDialog session={session} onClose={() => setDialog(null)} />}
    </Stack>
  );
}

/** What the uncertainty colours mean. */
function UncertaintyLegend() {
  const legend = uncertaintyLegend(useTheme().palette.mode);
  const swatch = (colour: string) => (
    <Box
      component="span"
      sx={{ display: 'inline-block', width: 10, height: 10, borderRadius: '50%', bgcolor: colour }}
    />
  );
  return (
    <Stack spacing={0.25} data-testid="uncertainty-legend">
      <Box sx={{ height: 8, borderRadius: 1, background: legend.gradient }} />
      <Stack direction="row" sx={{ justifyContent: 'space-between' }}>
        <Typography variant="caption">uncertainty {legend.from}</Typography>
        <Typography variant="caption">{legend.to}</Typography>
      </Stack>
      <Stack direction="row" spacing={1.5} sx={{ alignItems: 'center' }}>
        <Typography variant="caption">{swatch(legend.typed)} typed by a person</Typography>
        <Typography variant="caption">{swatch(legend.untyped)} no prediction</Typography>
      </Stack>
    </Stack>
  );
}
