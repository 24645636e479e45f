// Segment and cells tools, brush size, write mode and scope (all disabled for a viewer).
import {
  Box,
  Button,
  Divider,
  Slider,
  Stack,
  ToggleButton,
  ToggleButtonGroup,
  Tooltip,
  Typography,
} from '@mui/material';
import { useSelector } from '@xstate/react';
import type { WriteMode } from '../api/client';
import { shortcutFor, type KeyActionId } from '../keymap';
import { MAX_BRUSH, MIN_BRUSH, type Scope, type Tool } from '../machines/tools';
import type { ProjectSession } from '../session';
import { LabeledSelect } from './controls';

const SEGMENT: [Tool, string, KeyActionId][] = [
  ['select', 'Select', 'select'],
  ['brush', 'Brush', 'brush'],
  ['eraser', 'Eraser', 'eraser'],
  ['trim', 'Trim', 'trim'],
  ['flood', 'Flood', 'flood'],
  ['threshold', 'Threshold', 'threshold'],
  ['watershed', 'Watershed', 'watershed'],
];
const CELLS: [Tool, string, KeyActionId][] = [
  ['delete', 'Delete', 'delete'],
  ['replace', 'Replace', 'replace'],
  ['swap', 'Swap', 'swap'],
  ['new', 'New id', 'relabel'],
];
const ACTIONS: [KeyActionId, string][] = [
  ['autofit', 'Autofit'],
  ['shrink', 'Shrink'],
  ['grow', 'Grow'],
];

export function ToolPanel({ session }: { session: ProjectSession }) {
  const tools = useSelector(session.tools, (s) => s.context);
  const toolButtons = (list: [Tool, string, KeyActionId][], label: string) => (
    <ToggleButtonGroup
      orientation="vertical"
      exclusive
      size="small"
      value={tools.tool}
      aria-label={label}
      onChange={(_e, tool: Tool | null) =>
        tool && session.tools.send({ type: 'SELECT_TOOL', tool })
      }
    >
      {list.map(([tool, name, key]) => (
        <ToggleButton
          key={tool}
          value={tool}
          data-testid={`tool-${tool}`}
          sx={{ justifyContent: 'space-between', py: 0.25 }}
        >
          <span>{name}</span>
          <Typography variant="caption" sx={{ opacity: 0.6 }}>
            {shortcutFor(key)}
          </Typography>
        </ToggleButton>
      ))}
    </ToggleButtonGroup>
  );
  return (
    // A viewer sees the tools, disabled all at once (a disabled fieldset disables every control).
    <Box
      component="fieldset"
      disabled={session.readOnly}
      data-testid="tool-panel"
      sx={{ border: 0, m: 0, p: 0, minWidth: 0, opacity: session.readOnly ? 0.5 : 1 }}
    >
      <Stack spacing={1} sx={{ p: 1, width: 190, overflowY: 'auto' }}>
        <Typography variant="overline">Segment</Typography>
        {toolButtons(SEGMENT, 'Segment tools')}
        <Typography variant="caption">Brush size: {tools.brushSize}</Typography>
        <Slider
          size="small"
          min={MIN_BRUSH}
          max={MAX_BRUSH}
          value={tools.brushSize}
          onChange={(_e, v) => session.tools.send({ type: 'SET_BRUSH_SIZE', size: v as number })}
          aria-label="Brush size"
        />
        <LabeledSelect<WriteMode>
          id="write-mode"
          label="Write mode"
          value={tools.writeMode}
          options={[
            ['exclude', 'Exclude (background only)'],
            ['overwrite', 'Overwrite'],
            ['overlap', 'Overlap'],
          ]}
          onChange={(mode) => session.tools.send({ type: 'SET_WRITE_MODE', mode })}
        />
        <Stack direction="row" spacing={0.5}>
          {ACTIONS.map(([id, name]) => (
            <Tooltip key={id} title={`${name} the selected cell (${shortcutFor(id)})`}>
              <Button
                size="small"
                variant="outlined"
                sx={{ minWidth: 0, px: 0.75 }}
                onClick={session.keys.handlers[id]}
                data-testid={`action-${id}`}
              >
                {name}
              </Button>
            </Tooltip>
          ))}
        </Stack>
        <Divider />
        <Typography variant="overline">Cells</Typography>
        {toolButtons(CELLS, 'Cells tools')}
        <LabeledSelect<Scope>
          id="scope"
          label="Scope"
          value={tools.scope}
          options={[
            ['frame', 'This frame'],
            ['past', 'This and past frames'],
            ['future', 'This and future frames'],
            ['all', 'All frames'],
          ]}
          onChange={(scope) => session.tools.send({ type: 'SET_SCOPE', scope })}
        />
        {(tools.tool === 'replace' || tools.tool === 'swap') && (
          <Typography variant="caption" data-testid="other-cell">
            Other cell: {tools.other ?? 'click one on the image'}
          </Typography>
        )}
        <Button
          variant="contained"
          size="small"
          onClick={session.keys.handlers.apply}
          data-testid="apply"
        >
          Apply ({shortcutFor('apply')})
        </Button>
      </Stack>
    </Box>
  );
}
