// In review mode, above the image: how many cells of the shown replica disagree with each other
// replica of its image, and a switch for their highlight.
import { Alert, FormControlLabel, Switch } from '@mui/material';
import { useSelector } from '@xstate/react';
import { disagreementLines } from '../machines/disagreement';
import type { ProjectSession } from '../session';

export function DisagreementNotice({ session }: { session: ProjectSession }) {
  const { found, shown } = useSelector(session.disagreement, (s) => s.context);
  const featureNames = useSelector(session.display, (s) => s.context.featureNames);
  // While another frame is compared, the last answer stays (saying which frame it is of).
  if (!found) return null;
  return (
    <Alert
      severity={found.cells.length ? 'warning' : 'success'}
      sx={{ py: 0, borderRadius: 0, alignItems: 'center' }}
      data-testid="disagreement"
      data-cells={found.cells.join(',')}
      data-frame={found.frame}
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
      Replica {found.replica} of {found.image.name}
      {session.metadata.frames > 1 ? `, frame ${found.frame + 1}` : ''}
      {session.metadata.features > 1 ? `, ${featureNames[found.feature]}` : ''}:{' '}
      {disagreementLines(found).join('; ')}
      {found.cells.length > 0 && shown ? ' (highlighted).' : '.'}
    </Alert>
  );
}
