// Small labelled inputs shared by the panels.
import {
  FormControl,
  FormControlLabel,
  InputLabel,
  MenuItem,
  Select,
  Slider,
  Switch,
  Typography,
} from '@mui/material';

export function LabeledSlider(props: {
  label: string;
  value: number;
  min: number;
  max: number;
  onChange: (value: number) => void;
  testId?: string;
}) {
  return (
    <>
      <Typography variant="caption">{props.label}</Typography>
      <Slider
        size="small"
        min={props.min}
        max={props.max}
        step={(props.max - props.min) / 200}
        value={props.value}
        aria-label={props.label}
        data-testid={props.testId}
        onChange={(_e, v) => props.onChange(v as number)}
      />
    </>
  );
}

export function LabeledSwitch(props: { label: string; checked: boolean; onChange: () => void }) {
  return (
    <FormControlLabel
      control={<Switch size="small" checked={props.checked} onChange={props.onChange} />}
      label={props.label}
    />
  );
}

export function LabeledSelect<T extends string | number>(props: {
  id: string;
  label: string;
  value: T;
  options: [T, string][];
  onChange: (value: T) => void;
}) {
  return (
    <FormControl size="small">
      <InputLabel id={props.id}>{props.label}</InputLabel>
      <Select
        labelId={props.id}
        label={props.label}
        value={props.value}
        data-testid={props.id}
        onChange={(e) => {
          const raw = e.target.value;
          props.onChange((typeof props.value === 'number' ? Number(raw) : raw) as T);
        }}
      >
        {props.options.map(([value, text]) => (
          <MenuItem key={String(value)} value={value}>
            {text}
          </MenuItem>
        ))}
      </Select>
    </FormControl>
  );
}
