// Entry point: theme and the pages (home at `/`, project at `/project?projectId=`, review mode at
// `/review?projectId=a,b,c`).
import { StrictMode, useMemo, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { Box, CssBaseline, ThemeProvider, createTheme } from '@mui/material';
import { HomePage } from './pages/HomePage';
import { ProjectPage } from './pages/ProjectPage';
import { ReviewPage } from './pages/ReviewPage';
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
  return (
    <ThemeModeContext.Provider value={modeValue}>
      <ThemeProvider theme={theme}>
        <CssBaseline />
        {onProject || onReview ? (
          <ProjectRoute parameter={params.get('projectId')} review={onReview} />
        ) : (
          <HomePage />
        )}
      </ThemeProvider>
    </ThemeModeContext.Provider>
  );
}

/** One project id opens it; several (`a,b,c`), or any under `/review`, open review mode. */
function ProjectRoute({ parameter, review }: { parameter: string | null; review: boolean }) {
  const projects = reviewProjects(parameter);
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
