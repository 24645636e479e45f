// Display settings: grayscale or colour layers, ranges, label opacity, feature and channel names.
import {
  Box,
  Button,
  IconButton,
  MenuItem,
  Select,
  Slider,
  Stack,
  Switch,
  TextField,
  ToggleButton,
  ToggleButtonGroup,
  Typography,
} from '@mui/material';
import { useSelector } from '@xstate/react';
import { MAX_LAYERS } from '../machines/display';
import { LabeledSelect, LabeledSlider, LabeledSwitch } from './controls';
import { ProjectInfo } from './ProjectInfo';
import type { ProjectSession } from '../session';
import { needsAnnotator } from './ViewOnly';

function RangeSlider({ session, channel }: { session: ProjectSession; channel: number }) {
  const settings = useSelector(session.display, (s) => s.context.channels[channel]);
  const [low, high] = settings.dataRange;
  const integer = Number.isInteger(low) && Number.isInteger(high) && high - low > 20;
  return (
    <Slider
      size="small"
      min={low}
      max={high}
      step={integer ? 1 : (high - low) / 200}
      value={settings.range}
      valueLabelDisplay="auto"
      data-testid={`range-${channel}`}
      aria-label={`Range of ${settings.name}`}
      onChange={(_e, v) =>
        session.display.send({ type: 'SET_RANGE', channel, range: v as [number, number] })
      }
    />
  );
}

export function DisplayPanel({ session }: { session: ProjectSession }) {
  const display = useSelector(session.display, (s) => s.context);
  const settings = display.channels[display.channel];
  const send = session.display.send.bind(session.display);
  const channelSelect = (value: number, onChange: (c: number) => void, testId: string) => (
    <Select
      size="small"
      value={value}
      onChange={(e) => onChange(Number(e.target.value))}
      data-testid={testId}
      sx={{ flex: 1 }}
    >
      {display.channels.map((c, i) => (
        <MenuItem key={i} value={i}>
          {c.name}
        </MenuItem>
      ))}
    </Select>
  );
  return (
    <Stack spacing={1} sx={{ p: 1 }}>
      <Typography variant="overline">Display</Typography>
      <ToggleButtonGroup
        exclusive
        size="small"
        value={display.mode}
        onChange={(_e, mode) => mode && send({ type: 'SET_MODE', mode })}
      >
        <ToggleButton value="grayscale" data-testid="mode-grayscale">
          Grayscale
        </ToggleButton>
        <ToggleButton value="color" data-testid="mode-color">
          Colour
        </ToggleButton>
      </ToggleButtonGroup>
      {display.mode === 'grayscale' ? (
        <>
          <Stack direction="row" spacing={1} sx={{ alignItems: 'center' }}>
            <Typography variant="caption">Channel (C)</Typography>
            {channelSelect(
              display.channel,
              (channel) => send({ type: 'SET_CHANNEL', channel }),
              'channel-select',
            )}
          </Stack>
          <Typography variant="caption">Range</Typography>
          <RangeSlider session={session} channel={display.channel} />
          <LabeledSlider
            label="Brightness"
            min={-1}
            max={1}
            value={settings.brightness}
            onChange={(brightness) =>
              send({ type: 'SET_BRIGHTNESS', channel: display.channel, brightness })
            }
          />
          <LabeledSlider
            label="Contrast"
            min={-1}
            max={1}
            value={settings.contrast}
            onChange={(contrast) =>
              send({ type: 'SET_CONTRAST', channel: display.channel, contrast })
            }
          />
          <LabeledSwitch
            label="Invert"
            checked={settings.invert}
            onChange={() => send({ type: 'TOGGLE_INVERT', channel: display.channel })}
          />
        </>
      ) : (
        <>
          {display.layers.map((layer, index) => (
            <Box
              key={index}
              sx={{ border: 1, borderColor: 'divider', borderRadius: 1, p: 0.5 }}
              data-testid={`layer-${index}`}
            >
              <Stack direction="row" spacing={0.5} sx={{ alignItems: 'center' }}>
                <Switch
                  size="small"
                  checked={layer.on}
                  onChange={() => send({ type: 'SET_LAYER', index, layer: { on: !layer.on } })}
                  slotProps={{ input: { 'aria-label': 'Layer on' } }}
                />
                <input
                  type="color"
                  value={layer.color}
                  aria-label="Layer colour"
                  style={{ width: 28, height: 24, border: 'none', background: 'none' }}
                  onChange={(e) =>
                    send({ type: 'SET_LAYER', index, layer: { color: e.target.value } })
                  }
                />
                {channelSelect(
                  layer.channel,
                  (channel) => send({ type: 'SET_LAYER', index, layer: { channel } }),
                  `layer-channel-${index}`,
                )}
                <IconButton
                  size="small"
                  aria-label="Remove layer"
                  onClick={() => send({ type: 'REMOVE_LAYER', index })}
                  disabled={display.layers.length <= 1}
                >
                  ×
                </IconButton>
              </Stack>
              <RangeSlider session={session} channel={layer.channel} />
            </Box>
          ))}
          <Button
            size="small"
            onClick={() => send({ type: 'ADD_LAYER' })}
            disabled={display.layers.length >= MAX_LAYERS}
            data-testid="add-layer"
          >
            Add layer
          </Button>
        </>
      )}
      <TextField
        size="small"
        label={`Rename ${settings.name}`}
        key={`${display.channel}-${settings.name}`}
        defaultValue={settings.name}
        onBlur={(e) => session.edits.renameChannel(display.channel, e.target.value)}
        disabled={session.readOnly}
        helperText={session.readOnly ? needsAnnotator('renaming a channel') : undefined}
        slotProps={{ htmlInput: { 'data-testid': 'rename-channel' } }}
        onKeyDown={(e) => e.key === 'Enter' && (e.target as HTMLInputElement).blur()}
      />
      <Typography variant="overline">Labels</Typography>
      {display.features > 1 && (
        <LabeledSelect
          id="feature-select"
          label="Feature (F)"
          value={display.feature}
          options={display.featureNames.map((name, i): [number, string] => [i, name])}
          onChange={(feature) => send({ type: 'SET_FEATURE', feature })}
        />
      )}
      <LabeledSlider
        label="Fill opacity"
        min={0}
        max={1}
        value={display.labelOpacity}
        testId="label-opacity"
        onChange={(opacity) => send({ type: 'SET_LABEL_OPACITY', opacity })}
      />
      <LabeledSlider
        label="Outline opacity"
        min={0}
        max={1}
        value={display.outlineOpacity}
        onChange={(opacity) => send({ type: 'SET_OUTLINE_OPACITY', opacity })}
      />
      <LabeledSwitch
        label="Highlight selected (H)"
        checked={display.highlight}
        onChange={() => send({ type: 'TOGGLE_HIGHLIGHT' })}
      />
      <LabeledSwitch
        label="Show labels (L)"
        checked={display.showLabels}
        onChange={() => send({ type: 'TOGGLE_LABELS' })}
      />
      <Typography variant="overline">Image</Typography>
      <ProjectInfo metadata={session.metadata} />
    </Stack>
  );
}
