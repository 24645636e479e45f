// Entry point: theme and the pages (home at `/`, project at `/project?projectId=`, review mode at
// `/review?projectId=a,b,c`, campaigns at `/campaigns` and `/campaign?id=`).
import { StrictMode, useMemo, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { Box, CssBaseline, ThemeProvider, createTheme } from '@mui/material';
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
  const params = new URLSearchParams(window.location.search);
  const path = window.location.pathname.replace(/\/+$/, '');
  const onProject = path.endsWith('/project');
  const onReview = path.endsWith('/review');
  const page =
    onProject || onReview ? (
      <ProjectRoute
        parameter={params.get('projectId')}
        review={onReview}
        task={params.get('task')}
      />
    ) : path.endsWith('/campaigns') ? (
      <CampaignsPage />
    ) : path.endsWith('/campaign') ? (
      <CampaignPage campaignId={params.get('id') ?? ''} />
    ) : (
      <HomePage />
    );
  return (
    <ThemeModeContext.Provider value={modeValue}>
      <ThemeProvider theme={theme}>
        <CssBaseline />
        {page}
      </ThemeProvider>
    </ThemeModeContext.Provider>
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
