// Sign-in (`/login?next=<path>`): username and password, then back to the page that asked
// (a path of this site only), else home.
import { useEffect, useState } from 'react';
import { Alert, Box, Button, Container, Paper, Stack, TextField, Typography } from '@mui/material';
import { useMachine } from '@xstate/react';
import { fromPromise } from 'xstate';
import { getSingleSignOn, signIn, type SingleSignOn } from '../api/accounts';
import { safeNext } from '../api/client';
import { ThemeToggle } from '../components/ThemeToggle';
import { signInMachine } from '../machines/signIn';

const serverSignIn = signInMachine.provide({
  actors: { signIn: fromPromise(({ input }) => signIn(input.username, input.password)) },
});

/** The server's single sign-on when it offers one (else null: no button). */
function useSingleSignOn(): SingleSignOn | null {
  const [offered, setOffered] = useState<SingleSignOn | null>(null);
  useEffect(() => {
    let live = true;
    getSingleSignOn()
      .then((answer) => live && setOffered(answer.enabled ? answer : null))
      .catch(() => undefined); // no button; signing in by password still works
    return () => {
      live = false;
    };
  }, []);
  return offered;
}

/** The provider's sign-in, coming back to the page that asked (the server checks `next` too). */
function singleSignOnUrl(offered: SingleSignOn): string {
  const next = new URLSearchParams(window.location.search).get('next');
  const target = safeNext(next, window.location.origin);
  return `${offered.login}?next=${encodeURIComponent(target)}`;
}

export function LoginPage() {
  const [state, send] = useMachine(serverSignIn);
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const { error } = state.context;
  const signedIn = state.matches('signedIn');
  const busy = state.matches('signingIn') || signedIn;
  const throttled = state.matches('throttled');
  const singleSignOn = useSingleSignOn();

  useEffect(() => {
    if (!signedIn) return;
    const next = new URLSearchParams(window.location.search).get('next');
    window.location.assign(safeNext(next, window.location.origin));
  }, [signedIn]);

  return (
    <Box sx={{ minHeight: '100vh', bgcolor: 'background.default', py: 8 }}>
      <Container maxWidth="xs">
        <Paper sx={{ p: 3 }} elevation={3}>
          <Stack direction="row" sx={{ alignItems: 'center', mb: 2 }}>
            <Typography variant="h5" sx={{ flexGrow: 1 }}>
              DeepCell Label
            </Typography>
            <ThemeToggle />
          </Stack>
          <Typography variant="subtitle1" gutterBottom>
            Sign in
          </Typography>
          <form
            onSubmit={(event) => {
              event.preventDefault();
              send({ type: 'SUBMIT', username, password });
            }}
          >
            <Stack spacing={2}>
              <TextField
                label="Username"
                autoComplete="username"
                autoFocus
                value={username}
                onChange={(event) => setUsername(event.target.value)}
                slotProps={{ htmlInput: { 'data-testid': 'login-username', maxLength: 200 } }}
              />
              <TextField
                label="Password"
                type="password"
                autoComplete="current-password"
                value={password}
                onChange={(event) => setPassword(event.target.value)}
                slotProps={{ htmlInput: { 'data-testid': 'login-password' } }}
              />
              {error && (
                <Alert severity={throttled ? 'warning' : 'error'} data-testid="login-error">
                  {error}
                </Alert>
              )}
              <Button
                type="submit"
                variant="contained"
                disabled={busy || throttled}
                data-testid="login-submit"
              >
                {busy ? 'Signing in…' : 'Sign in'}
              </Button>
              {singleSignOn && (
                <Button
                  variant="outlined"
                  href={singleSignOnUrl(singleSignOn)}
                  data-testid="login-sso"
                >
                  Sign in with {singleSignOn.provider}
                </Button>
              )}
              <Typography variant="body2" color="text.secondary">
                No account yet? Ask the administrator of this server for one.
              </Typography>
            </Stack>
          </form>
        </Paper>
      </Container>
    </Box>
  );
}
