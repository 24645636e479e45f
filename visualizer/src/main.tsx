// Entry point: theme and the two pages (home at `/`, project at `/project?projectId=`).
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
  const onProject = window.location.pathname.replace(/\/+$/, '').endsWith('/project');
  return (
    <ThemeModeContext.Provider value={modeValue}>
      <ThemeProvider theme={theme}>
        <CssBaseline />
        {onProject ? <ProjectRoute parameter={params.get('projectId')} /> : <HomePage />}
      </ThemeProvider>
    </ThemeModeContext.Provider>
  );
}

/** One project id opens it; several (`a,b,c`) open review mode over them. */
function ProjectRoute({ parameter }: { parameter: string | null }) {
  const projects = reviewProjects(parameter);
  return (
    <Box sx={{ height: '100vh' }}>
      {projects.length > 1 ? (
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
