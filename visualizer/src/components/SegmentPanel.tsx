// Segmentation that starts the work: choose a method, channel and cell diameter (or measure it
// from the drawn cells), for a method that learns drag a box around cells you drew, run (a job
// with its progress), then step through the proposed cells, least sure first.
import {
  Button,
  Checkbox,
  FormControlLabel,
  MenuItem,
  Stack,
  TextField,
  Typography,
} from '@mui/material';
import { useSelector } from '@xstate/react';
import { learns } from '../machines/segmentation';
import type { ProjectSession } from '../session';
import { JobProgress } from './JobProgress';

function Tick(props: {
  label: string;
  checked: boolean;
  onChange: (checked: boolean) => void;
  testId?: string;
}) {
  return (
    <FormControlLabel
      control={
        <Checkbox
          size="small"
          checked={props.checked}
          onChange={(e) => props.onChange(e.target.checked)}
          data-testid={props.testId}
        />
      }
      label={props.label}
    />
  );
}

export function SegmentPanel({ session }: { session: ProjectSession }) {
  const { actor } = session.segmentation;
  const context = useSelector(actor, (s) => s.context);
  const drawing = useSelector(actor, (s) => s.matches('drawingBox'));
  const channels = useSelector(session.display, (s) => s.context.channels);
  const learning = learns(context);
  const next = context.proposed[context.checked];
  return (
    <Stack spacing={1} sx={{ p: 1 }} data-testid="segment-panel" id="segment-panel">
      <Typography variant="overline">Segment</Typography>
      <TextField
        select
        size="small"
        label="Method"
        value={context.methods.length ? context.method : ''}
        onChange={(e) => actor.send({ type: 'SET_METHOD', method: e.target.value })}
        slotProps={{ htmlInput: { 'data-testid': 'segment-method' } }}
        helperText={context.methods.find((m) => m.name === context.method)?.description}
      >
        {context.methods.map((m) => (
          <MenuItem key={m.name} value={m.name} data-testid={`segment-method-${m.name}`}>
            {m.name}
          </MenuItem>
        ))}
      </TextField>
      <TextField
        select
        size="small"
        label="Channel"
        value={context.channel}
        onChange={(e) => actor.send({ type: 'SET_CHANNEL', channel: Number(e.target.value) })}
      >
        {channels.map((c, i) => (
          <MenuItem key={i} value={i}>
            {c.name}
          </MenuItem>
        ))}
      </TextField>
      <Stack direction="row" spacing={0.5} sx={{ alignItems: 'center' }}>
        <TextField
          size="small"
          type="number"
          label="Cell diameter (px)"
          placeholder="measured"
          value={context.diameter ?? ''}
          onChange={(e) =>
            actor.send({
              type: 'SET_DIAMETER',
              diameter: e.target.value === '' ? null : Number(e.target.value),
            })
          }
          slotProps={{ htmlInput: { 'data-testid': 'segment-diameter', min: 4, max: 400 } }}
          sx={{ width: 140 }}
        />
        <Button
          size="small"
          data-testid="measure-diameter"
          onClick={() => void session.segmentation.measureDiameter()}
        >
          Measure from my cells
        </Button>
      </Stack>
      {session.metadata.frames > 1 && (
        <Tick
          label="Every frame"
          checked={context.allFrames}
          onChange={(allFrames) => actor.send({ type: 'SET_ALL_FRAMES', allFrames })}
        />
      )}
      <Tick
        label="Into a new label layer"
        testId="segment-new-feature"
        checked={context.newFeature}
        onChange={(newFeature) => actor.send({ type: 'SET_NEW_FEATURE', newFeature })}
      />
      {learning && (
        <Stack direction="row" spacing={0.5} sx={{ alignItems: 'center' }}>
          <Button
            size="small"
            variant={drawing ? 'contained' : 'outlined'}
            data-testid="segment-draw-box"
            onClick={() => actor.send({ type: drawing ? 'CANCEL_BOX' : 'DRAW_BOX' })}
          >
            {drawing ? 'Drag on the image…' : 'Drag a box'}
          </Button>
          <Typography variant="caption" data-testid="segment-box">
            {context.box
              ? `Box ${context.box[0]}, ${context.box[1]} – ${context.box[2]}, ${context.box[3]}`
              : 'around cells you drew, every one'}
          </Typography>
        </Stack>
      )}
      <Button
        size="small"
        variant="contained"
        data-testid="segment-run"
        disabled={learning && !context.box}
        onClick={() => void session.segmentation.run()}
      >
        Segment
      </Button>
      {context.job && <JobProgress actor={context.job} label="Segmenting" />}
      {context.proposed.length > 0 && (
        <Stack direction="row" spacing={0.5} sx={{ alignItems: 'center' }}>
          <Button
            size="small"
            variant="outlined"
            data-testid="segment-next"
            disabled={!next}
            onClick={() => session.segmentation.nextLeastSure()}
          >
            Check least sure first
          </Button>
          <Typography variant="caption" data-testid="segment-checked">
            {context.checked} of {context.proposed.length} checked
            {context.checked > 0 &&
              ` (cell ${context.proposed[context.checked - 1].cell}: ` +
                `${Math.round(context.proposed[context.checked - 1].confidence * 100)}% sure)`}
          </Typography>
        </Stack>
      )}
    </Stack>
  );
}
