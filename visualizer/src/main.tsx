// Entry point: the theme, the signed-in account, and the pages by path: `/login` and a crowd link
// `/crowd/<token>` for anyone, every other page once the account is known (home `/`, project
// `/project?projectId=`, review mode `/review?projectId=a,b,c`, campaigns `/campaigns` and
// `/campaign?id=`, …).
// The server serves index.html for each of these paths (APP_PAGES in the backend's api/).
import { StrictMode, useMemo, useState } from 'react';
import { createRoot } from 'react-dom/client';
import {
  Alert,
  Box,
  Button,
  CircularProgress,
  CssBaseline,
  ThemeProvider,
  Typography,
  createTheme,
} from '@mui/material';
import { useSelector } from '@xstate/react';
import { account } from './account';
import { LoginPage } from './pages/LoginPage';
import { CrowdPage } from './pages/CrowdPage';
import { TokensPage } from './pages/TokensPage';
import { MyProjectsPage } from './pages/MyProjectsPage';
import { AdminPage } from './pages/AdminPage';
import { HomePage } from './pages/HomePage';
import { ProjectPage } from './pages/ProjectPage';
import { ReviewPage } from './pages/ReviewPage';
import { CampaignsPage } from './pages/CampaignsPage';
import { CampaignPage } from './pages/CampaignPage';
import { TaskBar } from './components/TaskBar';
import { reviewProjects } from './machines/review';
import { ThemeModeContext, type ThemeMode } from './themeMode';

const THEME_KEY = 'deepcell-label-theme';

function initialMode(): ThemeMode {
  const stored = localStorage.getItem(THEME_KEY);
  if (stored === 'light' || stored === 'dark') return stored;
  return window.matchMedia?.('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

function App() {
  const [mode, setMode] = useState<ThemeMode>(initialMode);
  const theme = useMemo(() => createTheme({ palette: { mode } }), [mode]);
  const modeValue = useMemo(
    () => ({
      mode,
      toggle: () =>
        setMode((m) => {
          const next = m === 'light' ? 'dark' : 'light';
          localStorage.setItem(THEME_KEY, next);
          return next;
        }),
    }),
    [mode],
  );
  const parts = window.location.pathname.replace(/\/+$/, '').split('/');
  // A crowd link's page has the link's token below it: /crowd/<token>.
  const page = parts[1] === 'crowd' ? 'crowd' : (parts.pop() ?? '');
  return (
    <ThemeModeContext.Provider value={modeValue}>
      <ThemeProvider theme={theme}>
        <CssBaseline />
        {page === 'login' ? (
          <LoginPage />
        ) : page === 'crowd' ? (
          <CrowdPage />
        ) : (
          <SignedIn page={page} />
        )}
      </ThemeProvider>
    </ThemeModeContext.Provider>
  );
}

function Page({ page }: { page: string }) {
  const params = new URLSearchParams(window.location.search);
  switch (page) {
    case 'project':
    case 'review':
      return (
        <ProjectRoute
          parameter={params.get('projectId')}
          review={page === 'review'}
          task={params.get('task')}
        />
      );
    case 'projects':
      return <MyProjectsPage />;
    case 'admin':
      return <AdminPage />;
    case 'tokens':
      return <TokensPage />;
    case 'campaigns':
      return <CampaignsPage />;
    case 'campaign':
      return <CampaignPage campaignId={params.get('id') ?? ''} />;
    default:
      return <HomePage />;
  }
}

/** The page, once the server has said who is signed in (signed out: off to sign in). */
function SignedIn({ page }: { page: string }) {
  const actor = account();
  const signedIn = useSelector(actor, (s) => s.matches('signedIn') || s.matches('signingOut'));
  const error = useSelector(actor, (s) => (s.matches('failed') ? s.context.error : null));
  if (signedIn) return <Page page={page} />;
  if (error) {
    return (
      <Alert
        severity="error"
        sx={{ m: 4 }}
        data-testid="account-error"
        action={<Button onClick={() => actor.send({ type: 'RETRY' })}>Retry</Button>}
      >
        Could not ask the server who you are: {error}
      </Alert>
    );
  }
  return (
    <Box sx={{ p: 4, display: 'flex', gap: 2, alignItems: 'center' }}>
      <CircularProgress size={24} />
      <Typography>Signing in…</Typography>
    </Box>
  );
}

/** One project id opens it; several (`a,b,c`), or any under `/review`, open review mode; a
 *  campaign task opens its project under the task's bar. */
function ProjectRoute({
  parameter,
  review,
  task,
}: {
  parameter: string | null;
  review: boolean;
  task: string | null;
}) {
  const projects = reviewProjects(parameter);
  if (task) {
    // A campaign task: its instructions and Submit above the project.
    return (
      <Box sx={{ height: '100vh', display: 'flex', flexDirection: 'column' }}>
        <TaskBar taskId={Number(task)} />
        <Box sx={{ flex: 1, minHeight: 0 }}>
          <ProjectPage projectId={projects[0] ?? ''} />
        </Box>
      </Box>
    );
  }
  return (
    <Box sx={{ height: '100vh' }}>
      {projects.length > 1 || (review && projects.length) ? (
        <ReviewPage projects={projects} />
      ) : (
        <ProjectPage projectId={projects[0] ?? ''} />
      )}
    </Box>
  );
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
