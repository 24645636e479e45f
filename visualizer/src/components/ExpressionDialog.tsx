// Per-cell channel expression: a histogram of one channel and a scatter plot of two; dragging in
// either (a range, a box, or a lasso drawn on the scatter plot) selects cells, which one button puts in a cell type. The table downloads as CSV.
import { useEffect, useMemo, useState } from 'react';
import {
  Alert,
  Button,
  Dialog,
  DialogActions,
  DialogContent,
  DialogTitle,
  Stack,
  ToggleButton,
  ToggleButtonGroup,
  Typography,
} from '@mui/material';
import { useActorRef, useSelector } from '@xstate/react';
import { fromPromise } from 'xstate';
import * as api from '../api/client';
import {
  cellsInBins,
  cellsInBox,
  expressionColumn,
  histogram,
  scatterPoints,
  type Measure,
} from '../data/expression';
import { indicesInPolygon } from '../data/selection';
import { expressionMachine } from '../machines/expression';
import type { ProjectSession } from '../session';
import { LabeledSelect } from './controls';
import { ExpressionPlot } from './ExpressionPlot';

const loadingMachine = expressionMachine.provide({
  actors: {
    load: fromPromise(({ input }) =>
      api.getExpression(input.projectId, input.feature, input.frame),
    ),
  },
});

export function ExpressionDialog({
  session,
  open,
  onClose,
}: {
  session: ProjectSession;
  open: boolean;
  onClose: () => void;
}) {
  const actor = useActorRef(loadingMachine, { input: { projectId: session.metadata.id } });
  const state = useSelector(actor, (s) => s);
  const { expression, error, selected } = state.context;
  const frame = useSelector(session.display, (s) => s.context.frame);
  const feature = useSelector(session.display, (s) => s.context.feature);
  const cellTypes = useSelector(session.annotations, (s) => s.context.cellTypes);
  const activeType = useSelector(session.typeDisplay, (s) => s.context.active);
  const [scope, setScope] = useState<'frame' | 'all'>('frame');
  const [measure, setMeasure] = useState<Measure>('mean');
  const [xChannel, setXChannel] = useState(0);
  const [yChannel, setYChannel] = useState(Math.min(1, session.metadata.channels - 1));
  const [target, setTarget] = useState<number | null>(null);
  const [tool, setTool] = useState<'box' | 'lasso'>('box');
  const typeId = target ?? activeType ?? cellTypes[0]?.id ?? null;
  const frameParameter: api.ExpressionFrame = scope === 'all' ? 'all' : frame;

  useEffect(() => {
    if (open) actor.send({ type: 'LOAD', feature, frame: frameParameter });
  }, [open, actor, feature, frameParameter]);

  const channels = expression?.channels ?? session.metadata.channel_names;
  const xs = useMemo(
    () => (expression ? expressionColumn(expression, measure, xChannel) : []),
    [expression, measure, xChannel],
  );
  const ys = useMemo(
    () => (expression ? expressionColumn(expression, measure, yChannel) : []),
    [expression, measure, yChannel],
  );
  const bins = useMemo(() => histogram(xs), [xs]);
  const binCentres = useMemo(() => bins.edges.map((e) => e + bins.width / 2), [bins]);
  const points = useMemo(
    () => scatterPoints(expression?.cells ?? [], xs, ys),
    [expression, xs, ys],
  );
  const cells = expression?.cells ?? [];
  const channelOptions = channels.map((name, i): [number, string] => [i, name]);
  const type = cellTypes.find((t) => t.id === typeId) ?? null;

  return (
    <Dialog open={open} onClose={onClose} maxWidth="lg" fullWidth data-testid="expression-dialog">
      <DialogTitle>Channel expression per cell</DialogTitle>
      <DialogContent dividers>
        <Stack direction="row" spacing={1} sx={{ mb: 1, flexWrap: 'wrap', alignItems: 'center' }}>
          <LabeledSelect
            id="expression-scope"
            label="Cells of"
            value={scope}
            options={[
              ['frame', `frame ${frame + 1}`],
              ['all', 'all frames'],
            ]}
            onChange={setScope}
          />
          <LabeledSelect
            id="expression-measure"
            label="Measure"
            value={measure}
            options={[
              ['mean', 'mean intensity'],
              ['total', 'total intensity'],
            ]}
            onChange={setMeasure}
          />
          {(
            [
              ['x', xChannel, setXChannel],
              ['y', yChannel, setYChannel],
            ] as const
          ).map(([axis, value, onChange]) => (
            <LabeledSelect
              key={axis}
              id={`expression-${axis}`}
              label={`${axis.toUpperCase()} channel`}
              value={value}
              options={channelOptions}
              onChange={onChange}
            />
          ))}
          <Button
            component="a"
            href={api.expressionUrl(session.metadata.id, feature, frameParameter, 'csv')}
            download
            data-testid="expression-csv"
          >
            Download table (CSV)
          </Button>
        </Stack>
        {error && (
          <Alert severity="error" data-testid="expression-error">
            Could not read the expression: {error}
          </Alert>
        )}
        {state.matches('loading') && <Typography>Measuring cells…</Typography>}
        {expression && (
          <Stack direction="row" spacing={2} sx={{ flexWrap: 'wrap' }}>
            <Stack>
              <Typography variant="caption">
                Histogram of {channels[xChannel]} ({cells.length} cells) — drag to select a range
              </Typography>
              <ExpressionPlot
                kind="histogram"
                testId="expression-histogram"
                x={binCentres}
                y={bins.counts}
                xLabel={channels[xChannel] ?? ''}
                yLabel="cells"
                onSelect={(box) =>
                  actor.send({
                    type: 'SELECT',
                    cells: cellsInBins(cells, xs, bins, box.x0, box.x1),
                  })
                }
              />
            </Stack>
            <Stack>
              <Stack direction="row" spacing={1} sx={{ alignItems: 'center' }}>
                <Typography variant="caption" sx={{ flex: 1 }}>
                  {channels[yChannel]} against {channels[xChannel]} — drag a{' '}
                  {tool === 'box' ? 'box' : 'lasso around cells'} to select
                </Typography>
                <ToggleButtonGroup
                  size="small"
                  exclusive
                  value={tool}
                  onChange={(_e, value: 'box' | 'lasso' | null) => value && setTool(value)}
                >
                  <ToggleButton value="box" data-testid="expression-box">
                    box
                  </ToggleButton>
                  <ToggleButton value="lasso" data-testid="expression-lasso">
                    lasso
                  </ToggleButton>
                </ToggleButtonGroup>
              </Stack>
              <ExpressionPlot
                kind="scatter"
                testId="expression-scatter"
                x={points.xs}
                y={points.ys}
                xLabel={channels[xChannel] ?? ''}
                yLabel={channels[yChannel] ?? ''}
                onSelect={(box) =>
                  actor.send({ type: 'SELECT', cells: cellsInBox(cells, xs, ys, box) })
                }
                tool={tool}
                onLasso={(polygon) =>
                  actor.send({
                    type: 'SELECT',
                    cells: indicesInPolygon(xs, ys, polygon).map((i) => cells[i]),
                  })
                }
              />
            </Stack>
          </Stack>
        )}
      </DialogContent>
      <DialogActions sx={{ gap: 1, flexWrap: 'wrap' }}>
        <Typography data-testid="expression-selected" sx={{ flex: 1 }}>
          {selected.length} cell{selected.length === 1 ? '' : 's'} selected
          {selected.length
            ? `: ${selected.slice(0, 12).join(', ')}${selected.length > 12 ? '…' : ''}`
            : ''}
        </Typography>
        {cellTypes.length > 0 && typeId !== null && (
          <LabeledSelect
            id="expression-type"
            label="Cell type"
            value={typeId}
            options={cellTypes.map((t): [number, string] => [t.id, t.name])}
            onChange={setTarget}
          />
        )}
        <Button
          variant="contained"
          disabled={!selected.length || !type}
          data-testid="expression-add-to-type"
          onClick={() => {
            if (type) session.cellTypes.addCells(type.id, selected);
            actor.send({ type: 'CLEAR' });
          }}
        >
          Add to {type ? type.name : 'a cell type'}
        </Button>
        <Button onClick={onClose}>Close</Button>
      </DialogActions>
    </Dialog>
  );
}
