// API tokens (`/tokens`): for scripts and pipelines (`Authorization: Bearer <token>`). A new
// token is shown once, to copy; the list shows each one's name and dates, and revokes.
import { useState } from 'react';
import {
  Button,
  Stack,
  Table,
  TableBody,
  TableCell,
  TableHead,
  TableRow,
  TextField,
  Typography,
} from '@mui/material';
import { useSelector } from '@xstate/react';
import {
  createToken,
  listTokens,
  revokeToken,
  type ApiToken,
  type NewToken,
} from '../api/accounts';
import { CopyBox, ExpirySelect, ListError, useListing, when } from '../components/lists';
import { PageShell } from '../components/TopBar';
import { listed, type Change } from '../machines/listing';

const loadTokens = async () => ({ items: await listTokens() });

function changeTokens(change: Change) {
  if (change.revoke !== undefined) return revokeToken(change.revoke as ApiToken['id']);
  return createToken(change.name as string, change.days as number | null);
}

export function TokensPage() {
  const tokens = useListing(loadTokens, changeTokens);
  const { items, result } = useSelector(tokens, (s) => listed<ApiToken, NewToken>(s.context));
  const busy = useSelector(tokens, (s) => !s.matches('ready'));
  const [name, setName] = useState('');
  const [days, setDays] = useState<number | null>(90);
  const created = result && 'token' in result ? result : null;

  return (
    <PageShell title="API tokens">
      <Typography variant="h5" gutterBottom>
        API tokens
      </Typography>
      <Typography variant="body2" color="text.secondary" sx={{ mb: 2 }}>
        A token lets a script or a pipeline act as you: send it as{' '}
        <code>Authorization: Bearer &lt;token&gt;</code>. Anyone who has it can do what you can, so
        give each use its own token and revoke the ones you no longer need.
      </Typography>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          tokens.send({ type: 'CHANGE', change: { name: name.trim(), days } });
          setName('');
        }}
      >
        <Stack direction="row" spacing={2} sx={{ alignItems: 'center', mb: 2 }}>
          <TextField
            size="small"
            label="Name (what it is for)"
            value={name}
            onChange={(event) => setName(event.target.value)}
            slotProps={{ htmlInput: { 'data-testid': 'token-name', maxLength: 100 } }}
            sx={{ flex: 1 }}
          />
          <ExpirySelect value={days} onChange={setDays} testId="token-expiry" />
          <Button
            type="submit"
            variant="contained"
            disabled={busy || !name.trim()}
            data-testid="token-create"
          >
            Create token
          </Button>
        </Stack>
      </form>
      <Stack spacing={2}>
        {created && (
          <CopyBox
            value={created.token}
            testId="new-token"
            note="Your new token. Copy it now: it is not shown again."
            onDone={() => tokens.send({ type: 'DISMISS' })}
          />
        )}
        <ListError list={tokens} testId="token-error" />
      </Stack>
      <Table size="small" sx={{ mt: 2 }}>
        <TableHead>
          <TableRow>
            <TableCell>Name</TableCell>
            <TableCell>Created</TableCell>
            <TableCell>Expires</TableCell>
            <TableCell>Last used</TableCell>
            <TableCell />
          </TableRow>
        </TableHead>
        <TableBody>
          {items.map((token) => (
            <TableRow key={token.id} data-testid="token-row">
              <TableCell data-testid="token-row-name">{token.name}</TableCell>
              <TableCell>{when(token.created)}</TableCell>
              <TableCell>{when(token.expires, 'never')}</TableCell>
              <TableCell>{when(token.last_used, 'not yet')}</TableCell>
              <TableCell align="right">
                <Button
                  size="small"
                  color="error"
                  disabled={busy}
                  data-testid="token-revoke"
                  onClick={() => tokens.send({ type: 'CHANGE', change: { revoke: token.id } })}
                >
                  Revoke
                </Button>
              </TableCell>
            </TableRow>
          ))}
          {items.length === 0 && (
            <TableRow>
              <TableCell colSpan={5} data-testid="tokens-empty">
                No tokens yet.
              </TableCell>
            </TableRow>
          )}
        </TableBody>
      </Table>
    </PageShell>
  );
}
