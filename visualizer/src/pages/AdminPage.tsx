// The site's accounts (`/admin`, site admins only): add one, deactivate or reactivate it, give it
// a new password. Others are told the page is not theirs.
import { useState } from 'react';
import {
  Alert,
  Button,
  Dialog,
  DialogActions,
  DialogContent,
  DialogTitle,
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
import { account } from '../account';
import {
  createAccount,
  listAccounts,
  resetPassword,
  setActive,
  type SiteAccount,
} from '../api/accounts';
import { ListError, useListing, when } from '../components/lists';
import { PageShell } from '../components/TopBar';
import { listed, type Change } from '../machines/listing';

const loadAccounts = async () => ({ items: await listAccounts() });

function changeAccounts(change: Change) {
  const username = change.username as string;
  if (change.active !== undefined) return setActive(username, change.active as boolean);
  if (change.reset) {
    return resetPassword(username, change.password as string).then(() => ({
      message: `${username} has a new password: tell them, and they can sign in with it.`,
    }));
  }
  return createAccount({
    username,
    password: change.password as string,
    display_name: change.display_name as string,
  });
}

function NewAccount({ onAdd, busy }: { onAdd: (change: Change) => void; busy: boolean }) {
  const [username, setUsername] = useState('');
  const [displayName, setDisplayName] = useState('');
  const [password, setPassword] = useState('');
  return (
    <form
      onSubmit={(event) => {
        event.preventDefault();
        onAdd({ username: username.trim(), display_name: displayName.trim(), password });
        setUsername('');
        setDisplayName('');
        setPassword('');
      }}
    >
      <Stack direction="row" spacing={1} sx={{ mb: 2 }}>
        <TextField
          size="small"
          label="Username"
          value={username}
          onChange={(event) => setUsername(event.target.value)}
          slotProps={{ htmlInput: { 'data-testid': 'new-username', maxLength: 200 } }}
        />
        <TextField
          size="small"
          label="Display name"
          value={displayName}
          onChange={(event) => setDisplayName(event.target.value)}
          slotProps={{ htmlInput: { 'data-testid': 'new-display-name', maxLength: 200 } }}
        />
        <TextField
          size="small"
          label="Password"
          type="password"
          autoComplete="new-password"
          value={password}
          onChange={(event) => setPassword(event.target.value)}
          slotProps={{ htmlInput: { 'data-testid': 'new-password' } }}
        />
        <Button
          type="submit"
          variant="contained"
          disabled={busy || !username.trim() || !password}
          data-testid="account-add"
        >
          Add account
        </Button>
      </Stack>
    </form>
  );
}

function PasswordDialog({
  username,
  onSet,
  onClose,
}: {
  username: string | null;
  onSet: (password: string) => void;
  onClose: () => void;
}) {
  const [password, setPassword] = useState('');
  return (
    <Dialog open={username !== null} onClose={onClose} data-testid="password-dialog">
      <form
        onSubmit={(event) => {
          event.preventDefault();
          onSet(password);
          setPassword('');
        }}
      >
        <DialogTitle>New password for {username}</DialogTitle>
        <DialogContent>
          <TextField
            autoFocus
            fullWidth
            type="password"
            label="New password"
            autoComplete="new-password"
            value={password}
            onChange={(event) => setPassword(event.target.value)}
            slotProps={{ htmlInput: { 'data-testid': 'reset-password' } }}
            sx={{ mt: 1 }}
          />
        </DialogContent>
        <DialogActions>
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" variant="contained" disabled={!password} data-testid="reset-save">
            Set password
          </Button>
        </DialogActions>
      </form>
    </Dialog>
  );
}

function Accounts() {
  const accounts = useListing(loadAccounts, changeAccounts);
  const { items, result } = useSelector(accounts, (s) =>
    listed<SiteAccount, { message?: string }>(s.context),
  );
  const busy = useSelector(accounts, (s) => !s.matches('ready'));
  const [resetting, setResetting] = useState<string | null>(null);
  const change = (change: Change) => accounts.send({ type: 'CHANGE', change });
  return (
    <>
      <NewAccount onAdd={change} busy={busy} />
      <ListError list={accounts} testId="accounts-error" />
      {result?.message && (
        <Alert
          severity="success"
          data-testid="accounts-done"
          onClose={() => accounts.send({ type: 'DISMISS' })}
        >
          {result.message}
        </Alert>
      )}
      <Table size="small" sx={{ mt: 1 }}>
        <TableHead>
          <TableRow>
            <TableCell>Username</TableCell>
            <TableCell>Display name</TableCell>
            <TableCell>Created</TableCell>
            <TableCell>State</TableCell>
            <TableCell />
          </TableRow>
        </TableHead>
        <TableBody>
          {items.map((user) => (
            <TableRow key={user.username} data-testid="account-row" data-username={user.username}>
              <TableCell>
                {user.username}
                {user.admin ? ' (admin)' : ''}
              </TableCell>
              <TableCell>{user.display_name}</TableCell>
              <TableCell>{when(user.created)}</TableCell>
              <TableCell data-testid="account-state">
                {user.active ? 'active' : 'deactivated'}
              </TableCell>
              <TableCell align="right">
                {!user.sso && (
                  <Button
                    size="small"
                    disabled={busy}
                    data-testid="account-reset"
                    onClick={() => setResetting(user.username)}
                  >
                    Reset password
                  </Button>
                )}
                <Button
                  size="small"
                  color={user.active ? 'error' : 'primary'}
                  disabled={busy}
                  data-testid={user.active ? 'account-deactivate' : 'account-activate'}
                  onClick={() => change({ username: user.username, active: !user.active })}
                >
                  {user.active ? 'Deactivate' : 'Reactivate'}
                </Button>
              </TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
      <PasswordDialog
        username={resetting}
        onClose={() => setResetting(null)}
        onSet={(password) => {
          change({ username: resetting, reset: true, password });
          setResetting(null);
        }}
      />
    </>
  );
}

export function AdminPage() {
  const admin = useSelector(account(), (s) => s.context.me?.admin === true);
  return (
    <PageShell title="Accounts" maxWidth="lg">
      <Typography variant="h5" gutterBottom>
        Accounts
      </Typography>
      {admin ? (
        <Accounts />
      ) : (
        <Alert severity="warning" data-testid="admin-only">
          This page is for the site&apos;s administrators.
        </Alert>
      )}
    </PageShell>
  );
}
