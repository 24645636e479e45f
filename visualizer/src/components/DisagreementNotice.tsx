// In review mode, above the image: how many cells of the shown replica disagree with each other
// replica of its image, and a switch for their highlight.
import { Alert, FormControlLabel, Switch } from '@mui/material';
import { useSelector } from '@xstate/react';
import { disagreementLines } from '../machines/disagreement';
import type { ProjectSession } from '../session';

export function DisagreementNotice({ session }: { session: ProjectSession }) {
  const compared = useSelector(session.disagreement, (s) => s.matches('compared'));
  const { found, shown } = useSelector(session.disagreement, (s) => s.context);
  if (!compared || !found) return null;
  return (
    <Alert
      severity={found.cells.length ? 'warning' : 'success'}
      sx={{ py: 0, borderRadius: 0, alignItems: 'center' }}
      data-testid="disagreement"
      data-cells={found.cells.join(',')}
      data-shown={shown ? 'true' : 'false'}
      action={
        found.cells.length > 0 && (
          <FormControlLabel
            label="Highlight"
            control={
              <Switch
                size="small"
                checked={shown}
                onChange={() => session.disagreement.send({ type: 'TOGGLE' })}
                slotProps={{ input: { 'aria-label': 'Highlight disagreeing cells' } }}
                data-testid="disagreement-toggle"
              />
            }
          />
        )
      }
    >
      Replica {found.replica} of {found.image.name}: {disagreementLines(found).join('; ')}
      {found.cells.length > 0 && shown ? ' (highlighted, on the first frame).' : '.'}
    </Alert>
  );
}
