// The Train dialog (settings, progress, training curve, confusion matrix) and the Predict
// dialog (threshold, which predictions to apply, the least sure cells).
import { useEffect, useRef } from 'react';
import {
  Alert,
  Box,
  Button,
  Dialog,
  DialogActions,
  DialogContent,
  DialogTitle,
  FormControlLabel,
  Radio,
  RadioGroup,
  Stack,
  Table,
  TableBody,
  TableCell,
  TableHead,
  TableRow,
  TextField,
  Typography,
  useTheme,
} from '@mui/material';
import { useSelector } from '@xstate/react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { TrainingCurve } from '../api/client';
import { curveLegendValue, predictionsOfMode, type PredictMode } from '../data/learning';
import { shortcutFor } from '../keymap';
import type { ProjectSession } from '../session';
import { LabeledSlider } from './controls';
import { LearningJob } from './LearnPanel';

const percent = (fraction: number) => `${(fraction * 100).toFixed(1)}%`;

function CurvePlot({ curve }: { curve: TrainingCurve }) {
  const host = useRef<HTMLDivElement>(null);
  const theme = useTheme();
  useEffect(() => {
    const axis = { stroke: theme.palette.text.secondary, grid: { stroke: theme.palette.divider } };
    const chart = new uPlot(
      {
        width: 420,
        height: 200,
        scales: { x: { time: false }, y: { range: [0, 1] } },
        axes: [
          { ...axis, label: 'typed cells trained on' },
          { ...axis, label: 'accuracy' },
        ],
        series: [
          { label: 'cells', value: curveLegendValue(curve.cells, (n) => n.toLocaleString()) },
          {
            label: 'validation',
            stroke: theme.palette.primary.main,
            width: 2,
            value: curveLegendValue(curve.validation_accuracy, percent),
          },
          {
            label: 'training',
            stroke: theme.palette.secondary.main,
            dash: [4, 4],
            value: curveLegendValue(curve.train_accuracy, percent),
          },
        ],
      },
      [curve.cells, curve.validation_accuracy, curve.train_accuracy],
      host.current!,
    );
    return () => chart.destroy();
  }, [curve, theme]);
  return <Box ref={host} data-testid="training-curve" />;
}

export function TrainDialog({
  session,
  onClose,
}: {
  session: ProjectSession;
  onClose: () => void;
}) {
  const context = useSelector(session.learning, (s) => s.context);
  const training = useSelector(session.learning, (s) => !s.matches({ training: 'idle' }));
  const report = context.report;
  const send = session.learning.send.bind(session.learning);
  return (
    <Dialog open onClose={onClose} maxWidth="md" fullWidth data-testid="train-dialog">
      <DialogTitle>Train a classifier on the typed cells</DialogTitle>
      <DialogContent dividers>
        <Typography variant="body2" sx={{ mb: 1 }}>
          Learns the types of the cells that have one, from their {context.source} figures (
          {context.frames === 'all' ? 'all frames' : 'this frame'}); a share of them is kept aside
          to check it.
        </Typography>
        <Stack direction="row" spacing={2} sx={{ alignItems: 'center' }}>
          <Box sx={{ width: 240 }}>
            <LabeledSlider
              label={`Trained on ${Math.round(context.trainFraction * 100)}%, checked on the rest`}
              value={context.trainFraction}
              min={0.5}
              max={0.95}
              onChange={(fraction) => send({ type: 'SET_TRAIN_FRACTION', fraction })}
              testId="train-fraction"
            />
          </Box>
          <TextField
            size="small"
            type="number"
            label="Seed"
            value={context.seed}
            onChange={(e) => send({ type: 'SET_SEED', seed: Number(e.target.value) })}
            sx={{ width: 100 }}
          />
          <Button
            variant="contained"
            disabled={training}
            onClick={() => session.learn.train()}
            data-testid="train-start"
          >
            Train
          </Button>
        </Stack>
        <LearningJob session={session} id="trainingJob" label="Training" />
        {context.errors.classifier && (
          <Alert severity="error" data-testid="train-error" sx={{ mt: 1 }}>
            {context.errors.classifier}
          </Alert>
        )}
        {report && (
          <Stack spacing={1} sx={{ mt: 2 }} data-testid="train-report">
            <Typography data-testid="train-accuracy">
              Validation accuracy {(report.validation_accuracy * 100).toFixed(1)}% on{' '}
              {report.validation_cells} cells (trained on {report.train_cells}).
            </Typography>
            {report.left_out.length > 0 && (
              <Typography variant="caption">
                Left out (fewer than 5 typed cells): {report.left_out.join(', ')}
              </Typography>
            )}
            <Stack direction="row" spacing={2} sx={{ flexWrap: 'wrap' }}>
              <CurvePlot curve={report.curve} />
              <Table size="small" data-testid="confusion-matrix" sx={{ width: 'auto' }}>
                <TableHead>
                  <TableRow>
                    <TableCell>true ↓ / predicted →</TableCell>
                    {report.type_names.map((name) => (
                      <TableCell key={name}>{name}</TableCell>
                    ))}
                  </TableRow>
                </TableHead>
                <TableBody>
                  {report.confusion.map((row, i) => (
                    <TableRow key={report.classes[i]}>
                      <TableCell>{report.type_names[i]}</TableCell>
                      {row.map((count, j) => (
                        <TableCell key={j} sx={{ fontWeight: i === j ? 700 : 400 }}>
                          {count}
                        </TableCell>
                      ))}
                    </TableRow>
                  ))}
                </TableBody>
              </Table>
            </Stack>
          </Stack>
        )}
      </DialogContent>
      <DialogActions>
        <Button onClick={onClose}>Close</Button>
      </DialogActions>
    </Dialog>
  );
}

const MODES: [PredictMode, string][] = [
  ['confident', 'confident only (uncertainty under the threshold)'],
  ['all', 'all predictions'],
  ['uncertain', 'uncertain ones only (to type by hand, least sure first)'],
];

export function PredictDialog({
  session,
  onClose,
}: {
  session: ProjectSession;
  onClose: () => void;
}) {
  const context = useSelector(session.learning, (s) => s.context);
  const predicting = useSelector(session.learning, (s) => !s.matches({ predicting: 'idle' }));
  const types = useSelector(session.annotations, (s) => s.context.cellTypes);
  const send = session.learning.send.bind(session.learning);
  const all = context.predictions?.predictions ?? [];
  const chosen = predictionsOfMode(all, context.mode, context.threshold);
  const name = (id: number) => types.find((t) => t.id === id)?.name ?? `type ${id}`;
  return (
    <Dialog open onClose={onClose} maxWidth="sm" fullWidth data-testid="predict-dialog">
      <DialogTitle>Predict the types of the other cells</DialogTitle>
      <DialogContent dividers>
        <Button
          variant="contained"
          disabled={predicting}
          onClick={() => session.learn.predict()}
          data-testid="predict-start"
        >
          {context.predictions ? 'Predict again' : 'Predict'}
        </Button>
        <LearningJob session={session} id="predictionJob" label="Predicting" />
        {context.errors.predictions && (
          <Alert severity="error" data-testid="predict-error" sx={{ mt: 1 }}>
            {context.errors.predictions}
          </Alert>
        )}
        {context.predictions && (
          <Stack spacing={1} sx={{ mt: 2 }}>
            <Typography data-testid="predict-count">
              {all.length} cells without a type have a prediction.
            </Typography>
            <LabeledSlider
              label={`Threshold of uncertainty: ${context.threshold.toFixed(2)}`}
              value={context.threshold}
              min={0}
              max={1}
              onChange={(threshold) => send({ type: 'SET_THRESHOLD', threshold })}
              testId="predict-threshold"
            />
            <RadioGroup
              value={context.mode}
              onChange={(e) => send({ type: 'SET_MODE', mode: e.target.value as PredictMode })}
            >
              {MODES.map(([mode, text]) => (
                <FormControlLabel
                  key={mode}
                  value={mode}
                  control={<Radio size="small" />}
                  label={text}
                  data-testid={`predict-mode-${mode}`}
                />
              ))}
            </RadioGroup>
            <Typography data-testid="predict-chosen">
              {chosen.length} cell{chosen.length === 1 ? '' : 's'}
              {chosen.length
                ? `: ${chosen
                    .slice(0, 6)
                    .map(
                      (p) =>
                        `${p.cell} → ${name(p.type)} (${(p.uncertainty * 100).toFixed(0)}% unsure)`,
                    )
                    .join(', ')}${chosen.length > 6 ? '…' : ''}`
                : ''}
            </Typography>
          </Stack>
        )}
      </DialogContent>
      <DialogActions>
        <Button
          disabled={!context.predictions}
          onClick={() => session.keys.handlers.nextUncertainCell()}
          data-testid="predict-next-uncertain"
        >
          Least sure cell ({shortcutFor('nextUncertainCell')})
        </Button>
        <Button
          variant="contained"
          disabled={!chosen.length || context.mode === 'uncertain'}
          onClick={() => {
            session.learn.applyPredictions();
            onClose();
          }}
          data-testid="predict-apply"
        >
          Apply {context.mode === 'uncertain' ? '' : chosen.length}
        </Button>
        <Button onClick={onClose}>Close</Button>
      </DialogActions>
    </Dialog>
  );
}
