// The selected cell's parent and daughters, adding and removing daughters by clicking cells, and
// the problems the server finds in the divisions, each a link to where it is. The problems are
// worded here with frames numbered from 1, like everywhere in the app.
import {
  Alert,
  Box,
  Button,
  Chip,
  List,
  ListItemButton,
  ListItemText,
  Stack,
  Typography,
} from '@mui/material';
import { useSelector } from '@xstate/react';
import { shortcutFor } from '../keymap';
import { describeFinding, divisionsOfCell, findingTarget } from '../machines/annotations';
import { cellColorCss } from '../render/lookup';
import type { ProjectSession } from '../session';

function CellChip({
  session,
  cell,
  frame,
  onDelete,
  testId,
}: {
  session: ProjectSession;
  cell: number;
  frame: number;
  onDelete?: () => void;
  testId: string;
}) {
  return (
    <Chip
      size="small"
      label={`${cell}`}
      data-testid={testId}
      title={`Show cell ${cell} in frame ${frame + 1}`}
      onClick={() => session.divisions.jumpTo(frame, cell)}
      onDelete={onDelete}
      sx={{ borderLeft: 6, borderColor: cellColorCss(cell) }}
    />
  );
}

function PickingHint({ session }: { session: ProjectSession }) {
  const picker = useSelector(session.picker, (s) => s.context);
  const purpose = picker.purpose;
  if (!purpose || purpose.kind === 'cellType') return null;
  const verb =
    purpose.kind === 'addDaughter' ? 'add as a daughter of' : 'remove from the daughters of';
  return (
    <Alert severity="info" sx={{ py: 0 }} data-testid="division-picking">
      Click a cell to {verb} cell {purpose.parent}. Shift+click cycles overlapping cells
      {picker.candidate !== null ? ` (now: cell ${picker.candidate})` : ''}. Esc cancels.
    </Alert>
  );
}

export function DivisionsPanel({ session }: { session: ProjectSession }) {
  const selected = useSelector(session.selection, (s) => s.context.selected);
  const feature = useSelector(session.display, (s) => s.context.feature);
  const allDivisions = useSelector(session.annotations, (s) => s.context.divisions);
  const allFindings = useSelector(session.annotations, (s) => s.context.findings);
  // Divisions name the cells of one feature: the shown one's are listed.
  const divisions = allDivisions.filter((d) => (d.feature ?? 0) === feature);
  const findings = allFindings.filter((f) => (f.feature ?? 0) === feature);
  const purpose = useSelector(session.picker, (s) => s.context.purpose);
  const { asParent, asDaughter } = divisionsOfCell(divisions, selected);
  const frames = session.metadata.frames;
  const removeDaughter = (parent: number, daughter: number) =>
    session.divisions.removeDaughter(parent, daughter);
  return (
    <Stack spacing={1} sx={{ p: 1 }} data-testid="divisions-panel">
      <Typography variant="overline">Divisions</Typography>
      {selected === null ? (
        <Typography variant="caption">Select a cell to see its parent and daughters.</Typography>
      ) : (
        <>
          <Stack direction="row" spacing={1} sx={{ alignItems: 'center', flexWrap: 'wrap' }}>
            <Typography variant="caption" sx={{ width: 64 }}>
              Parent
            </Typography>
            {asDaughter ? (
              <>
                <CellChip
                  session={session}
                  cell={asDaughter.parent}
                  frame={Math.max(0, asDaughter.t - 1)}
                  testId="division-parent"
                />
                <Typography variant="caption">divides at frame {asDaughter.t + 1}</Typography>
              </>
            ) : (
              <Typography variant="caption" data-testid="division-parent-none">
                none
              </Typography>
            )}
          </Stack>
          <Stack direction="row" spacing={0.5} sx={{ alignItems: 'center', flexWrap: 'wrap' }}>
            <Typography variant="caption" sx={{ width: 64 }}>
              Daughters
            </Typography>
            {asParent && asParent.daughters.length ? (
              asParent.daughters.map((daughter) => (
                <CellChip
                  key={daughter}
                  session={session}
                  cell={daughter}
                  frame={asParent.t}
                  testId={`division-daughter-${daughter}`}
                  onDelete={() => removeDaughter(asParent.parent, daughter)}
                />
              ))
            ) : (
              <Typography variant="caption" data-testid="division-daughters-none">
                none
              </Typography>
            )}
          </Stack>
          {asParent && (
            <Button
              size="small"
              data-testid="jump-to-division"
              onClick={() => session.divisions.jumpTo(asParent.t, asParent.parent)}
            >
              Go to division (frame {asParent.t + 1})
            </Button>
          )}
          <Stack direction="row" spacing={0.5}>
            <Button
              size="small"
              variant={purpose?.kind === 'addDaughter' ? 'contained' : 'outlined'}
              data-testid="add-daughter"
              onClick={session.keys.handlers.addDaughter}
            >
              Add daughter ({shortcutFor('addDaughter')})
            </Button>
            <Button
              size="small"
              variant={purpose?.kind === 'removeDaughter' ? 'contained' : 'outlined'}
              data-testid="remove-daughter"
              disabled={!asParent}
              onClick={session.keys.handlers.removeDaughter}
            >
              Remove ({shortcutFor('removeDaughter')})
            </Button>
          </Stack>
        </>
      )}
      <PickingHint session={session} />
      <Typography variant="caption" sx={{ fontWeight: 'bold' }}>
        Problems ({findings.length}) — {shortcutFor('nextFinding')} jumps to the next
      </Typography>
      {findings.length === 0 ? (
        <Typography variant="caption" data-testid="findings-none">
          No problems found.
        </Typography>
      ) : (
        <Box sx={{ maxHeight: 180, overflowY: 'auto' }}>
          <List dense disablePadding data-testid="findings">
            {findings.map((finding, i) => {
              const target = findingTarget(finding);
              return (
                <ListItemButton
                  key={`${finding.kind}-${finding.cell}-${i}`}
                  data-testid={`finding-${finding.kind}`}
                  title={`As the server reports it: ${finding.message}`}
                  onClick={() => session.divisions.jumpTo(target.frame, target.cell)}
                >
                  <ListItemText
                    primary={describeFinding(finding)}
                    secondary={`Show cell ${finding.cell} at frame ${target.frame + 1} / ${frames}`}
                    slotProps={{ primary: { variant: 'caption', color: 'warning' } }}
                  />
                </ListItemButton>
              );
            })}
          </List>
        </Box>
      )}
    </Stack>
  );
}
