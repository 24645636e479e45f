// Review mode's side-by-side view: the judged project and another beside it, each on a canvas of
// its own, both showing the same part of the image (zoom, pan, frame, feature, whichever one is
// moved). Where the two are replicas of one campaign image, each highlights its cells that
// disagree with the other.
import { useEffect, useState } from 'react';
import {
  Alert,
  Box,
  CircularProgress,
  MenuItem,
  Stack,
  TextField,
  Typography,
} from '@mui/material';
import { DisagreementNotice } from '../components/DisagreementNotice';
import { ImageCanvas } from '../components/ImageCanvas';
import type { ProjectSession } from '../session';
import { pairViews } from '../session/pairing';
import { FrameSlider, useProjectSession } from './ProjectPage';

declare global {
  interface Window {
    /** The two sessions of the side-by-side view (judged first), for tests and the console. */
    deepcellLabelPair?: ProjectSession[];
  }
}

interface Choice {
  project: string;
  name: string;
}

function Pane({
  projectId,
  other,
  judged,
  onSession,
  heading,
}: {
  projectId: string;
  other: string;
  judged: boolean;
  onSession: (session: ProjectSession | null) => void;
  heading: React.ReactNode;
}) {
  const { state, session } = useProjectSession(projectId, judged);
  useEffect(() => {
    onSession(session);
    return () => onSession(null);
  }, [session, onSession]);
  useEffect(() => {
    session?.disagreement.send({ type: 'COMPARE', others: [other] });
  }, [session, other]);
  const failed = state.matches('failed');
  // Three cells of the view's grid, so that both canvases start at the same height whatever
  // their notices say.
  return (
    <Box
      data-testid={judged ? 'pane-judged' : 'pane-beside'}
      data-project={projectId}
      sx={{ display: 'contents' }}
    >
      <Box sx={{ px: 1, py: 0.5, bgcolor: 'background.default' }}>{heading}</Box>
      <Box sx={{ bgcolor: 'background.default', minWidth: 0 }}>
        {failed && (
          <Alert severity="error">
            Could not open project {projectId}: {state.context.error}
          </Alert>
        )}
        {session && <DisagreementNotice session={session} />}
      </Box>
      <Box sx={{ display: 'flex', minHeight: 0, minWidth: 0, bgcolor: 'background.default' }}>
        {session ? (
          <ImageCanvas session={session} />
        ) : (
          !failed && (
            <Stack direction="row" spacing={1} sx={{ p: 2, alignItems: 'center' }}>
              <CircularProgress size={20} />
              <Typography>Opening project…</Typography>
            </Stack>
          )
        )}
      </Box>
    </Box>
  );
}

export function SideBySide({
  judged,
  beside,
  choices,
  nameOf,
  onChoose,
}: {
  judged: string;
  beside: string;
  /** Every project that can be shown beside the judged one. */
  choices: Choice[];
  nameOf: (project: string) => string;
  onChoose: (project: string) => void;
}) {
  const [left, setLeft] = useState<ProjectSession | null>(null);
  const [right, setRight] = useState<ProjectSession | null>(null);
  useEffect(() => {
    if (!left || !right) return;
    window.deepcellLabelPair = [left, right];
    const disconnect = pairViews(left, right);
    return () => {
      disconnect();
      delete window.deepcellLabelPair;
    };
  }, [left, right]);
  return (
    <Box sx={{ height: '100%', display: 'flex', flexDirection: 'column' }}>
      <Box
        sx={{
          flex: 1,
          minHeight: 0,
          display: 'grid',
          gridTemplateColumns: 'minmax(0, 1fr) minmax(0, 1fr)',
          gridTemplateRows: 'auto auto minmax(0, 1fr)',
          gridAutoFlow: 'column',
          columnGap: 0.5,
          bgcolor: 'divider',
        }}
      >
        <Pane
          key={judged}
          projectId={judged}
          other={beside}
          judged
          onSession={setLeft}
          heading={<Typography variant="subtitle2">Judged: {nameOf(judged)}</Typography>}
        />
        <Pane
          key={beside}
          projectId={beside}
          other={judged}
          judged={false}
          onSession={setRight}
          heading={
            choices.length > 1 ? (
              <TextField
                select
                size="small"
                variant="standard"
                label="Beside it"
                value={beside}
                onChange={(e) => onChoose(e.target.value)}
                slotProps={{ htmlInput: { 'data-testid': 'beside-choice' } }}
              >
                {choices.map((choice) => (
                  <MenuItem key={choice.project} value={choice.project}>
                    {choice.name}
                  </MenuItem>
                ))}
              </TextField>
            ) : (
              <Typography variant="subtitle2">Beside it: {nameOf(beside)}</Typography>
            )
          }
        />
      </Box>
      {left && <FrameSlider session={left} />}
    </Box>
  );
}
