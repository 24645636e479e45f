// Cell types: create, rename, recolour, reorder (drag and drop), hide and delete them, set their
// opacity, put cells in them by clicking or from the expression plots, and see how many cells
// each has. Tabs beside the types: the marker panel and the Learn panel.
import { useState } from 'react';
import {
  Box,
  Button,
  Chip,
  IconButton,
  Radio,
  Slider,
  Stack,
  Tab,
  Tabs,
  TextField,
  Tooltip,
  Typography,
} from '@mui/material';
import { useSelector } from '@xstate/react';
import type { CellType } from '../api/client';
import { shortcutFor } from '../keymap';
import { dropType, moveType, typeEdits, type TypeEdit } from '../machines/cellTypes';
import type { ProjectSession } from '../session';
import { LabeledSwitch } from './controls';
import { ExpressionDialog } from './ExpressionDialog';
import { LearnPanel } from './LearnPanel';
import { MarkersPanel } from './MarkersPanel';
import { ViewerDisabled } from './ViewOnly';

/** The type being dragged to a new place in the list. */
const DRAGGED = 'application/x-deepcell-type';

function TypeRow({
  session,
  type,
  types,
}: {
  session: ProjectSession;
  type: CellType;
  types: CellType[];
}) {
  const display = useSelector(session.typeDisplay, (s) => s.context);
  const hidden = display.hidden.includes(type.id);
  const active = display.active === type.id;
  const [color, setColor] = useState(type.color);
  const send = (edit: TypeEdit | null) => session.cellTypes.edit(edit);
  return (
    <Box
      data-testid={`cell-type-${type.name}`}
      data-type-id={type.id}
      draggable
      onDragStart={(e) => {
        e.dataTransfer.setData(DRAGGED, String(type.id));
        e.dataTransfer.effectAllowed = 'move';
      }}
      onDragOver={(e) => {
        if (e.dataTransfer.types.includes(DRAGGED)) e.preventDefault();
      }}
      onDrop={(e) => {
        e.preventDefault();
        send(dropType(types, Number(e.dataTransfer.getData(DRAGGED)), type.id));
      }}
      sx={{
        border: 1,
        borderColor: active ? 'primary.main' : 'divider',
        borderRadius: 1,
        p: 0.5,
        cursor: 'grab',
      }}
      title="Drag to reorder"
    >
      <Stack direction="row" spacing={0.5} sx={{ alignItems: 'center' }}>
        <Radio
          size="small"
          checked={active}
          onChange={() => session.typeDisplay.send({ type: 'SET_ACTIVE', id: type.id })}
          slotProps={{ input: { 'aria-label': `Work on ${type.name}` } }}
          sx={{ p: 0.25 }}
        />
        <input
          type="color"
          value={color}
          aria-label={`Colour of ${type.name}`}
          style={{ width: 24, height: 22, border: 'none', background: 'none', padding: 0 }}
          onChange={(e) => setColor(e.target.value)}
          onBlur={() => color !== type.color && send(typeEdits.recolor(type.id, color))}
        />
        <TextField
          size="small"
          variant="standard"
          key={type.name}
          defaultValue={type.name}
          slotProps={{ htmlInput: { 'aria-label': 'Type name', 'data-testid': 'type-name' } }}
          onBlur={(e) => {
            const name = e.target.value.trim();
            if (name && name !== type.name) send(typeEdits.rename(type.id, name));
          }}
          onKeyDown={(e) => e.key === 'Enter' && (e.target as HTMLInputElement).blur()}
          sx={{ flex: 1 }}
        />
        <Typography variant="caption" data-testid="type-count" title="Cells in this type">
          {type.cells.length}
        </Typography>
      </Stack>
      <Stack direction="row" spacing={0} sx={{ alignItems: 'center' }}>
        <Tooltip title={hidden ? 'Show' : 'Hide'}>
          <IconButton
            size="small"
            data-testid="type-visibility"
            onClick={() => session.typeDisplay.send({ type: 'TOGGLE_HIDDEN', id: type.id })}
          >
            {hidden ? '◌' : '●'}
          </IconButton>
        </Tooltip>
        <Slider
          size="small"
          min={0}
          max={1}
          step={0.05}
          value={display.opacity[type.id] ?? display.defaultOpacity}
          aria-label={`Opacity of ${type.name}`}
          onChange={(_e, v) =>
            session.typeDisplay.send({ type: 'SET_OPACITY', id: type.id, opacity: v as number })
          }
          sx={{ mx: 1, flex: 1 }}
        />
        <IconButton
          size="small"
          aria-label="Move up"
          disabled={types[0]?.id === type.id}
          onClick={() => send(moveType(types, type.id, -1))}
        >
          ↑
        </IconButton>
        <IconButton
          size="small"
          aria-label="Move down"
          disabled={types[types.length - 1]?.id === type.id}
          onClick={() => send(moveType(types, type.id, 1))}
        >
          ↓
        </IconButton>
        <IconButton
          size="small"
          aria-label={`Delete ${type.name}`}
          data-testid="type-delete"
          onClick={() => send(typeEdits.remove(type.id))}
        >
          ×
        </IconButton>
      </Stack>
      {active && (
        <Stack direction="row" sx={{ flexWrap: 'wrap', gap: 0.5 }} data-testid="type-cells">
          {type.cells.map((cell) => (
            <Chip
              key={cell}
              size="small"
              label={cell}
              onClick={() => session.selection.send({ type: 'SELECT', cell })}
              onDelete={() => send(typeEdits.removeCell(type.id, cell))}
            />
          ))}
        </Stack>
      )}
    </Box>
  );
}

export function CellTypesPanel({ session }: { session: ProjectSession }) {
  const [tab, setTab] = useState<'types' | 'markers' | 'learn'>('types');
  return (
    <Stack spacing={1} sx={{ p: 1 }} data-testid="cell-types-panel">
      <Typography variant="overline">Cell types</Typography>
      <Tabs
        value={tab}
        onChange={(_e, value) => setTab(value)}
        variant="fullWidth"
        sx={{ minHeight: 32 }}
      >
        <Tab value="types" label="Types" sx={{ minHeight: 32, py: 0 }} data-testid="tab-types" />
        <Tab
          value="markers"
          label="Markers"
          sx={{ minHeight: 32, py: 0 }}
          data-testid="tab-markers"
        />
        <Tab value="learn" label="Learn" sx={{ minHeight: 32, py: 0 }} data-testid="tab-learn" />
      </Tabs>
      {tab === 'types' && <TypesTab session={session} />}
      {tab === 'markers' && <MarkersPanel session={session} />}
      {tab === 'learn' && (
        <ViewerDisabled session={session} what="learning">
          <LearnPanel session={session} />
        </ViewerDisabled>
      )}
    </Stack>
  );
}

function TypesTab({ session }: { session: ProjectSession }) {
  const allTypes = useSelector(session.annotations, (s) => s.context.cellTypes);
  const feature = useSelector(session.display, (s) => s.context.feature);
  const overlay = useSelector(session.typeDisplay, (s) => s.context.overlay);
  const active = useSelector(session.typeDisplay, (s) => s.context.active);
  const purpose = useSelector(session.picker, (s) => s.context.purpose);
  const [name, setName] = useState('');
  const [plots, setPlots] = useState(false);
  const types = allTypes.filter((t) => (t.feature ?? 0) === feature);
  const picking = purpose?.kind === 'cellType';
  const create = () => {
    if (!name.trim()) return;
    session.cellTypes.create(name);
    setName('');
  };
  return (
    <Stack spacing={1}>
      <Stack direction="row" spacing={0.5}>
        <TextField
          size="small"
          label="New type"
          value={name}
          onChange={(e) => setName(e.target.value)}
          onKeyDown={(e) => e.key === 'Enter' && create()}
          slotProps={{ htmlInput: { 'data-testid': 'new-type-name' } }}
          sx={{ flex: 1 }}
        />
        <Button size="small" onClick={create} disabled={!name.trim()} data-testid="create-type">
          Create
        </Button>
      </Stack>
      {types.map((type) => (
        <TypeRow key={type.id} session={session} type={type} types={types} />
      ))}
      <Button
        size="small"
        variant={picking ? 'contained' : 'outlined'}
        disabled={active === null}
        onClick={session.keys.handlers.pickTypeCells}
        data-testid="pick-type-cells"
      >
        {picking
          ? 'Done picking cells'
          : `Click cells to add/remove (${shortcutFor('pickTypeCells')})`}
      </Button>
      {picking && (
        <Typography variant="caption" data-testid="type-picking">
          Click a cell to put it in the chosen type, or take it out; Shift+click cycles overlapping
          cells. Esc stops.
        </Typography>
      )}
      <LabeledSwitch
        label={`Show type colours (${shortcutFor('toggleTypeOverlay')})`}
        checked={overlay}
        onChange={() => session.typeDisplay.send({ type: 'TOGGLE_OVERLAY' })}
      />
      <Button size="small" onClick={() => setPlots(true)} data-testid="open-expression">
        Expression plots…
      </Button>
      {plots && <ExpressionDialog session={session} open={plots} onClose={() => setPlots(false)} />}
    </Stack>
  );
}
