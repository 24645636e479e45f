// Following cells through frames: match this frame to the previous or next, copy or interpolate
// the selected cell, link the whole movie (a job with its progress), and the divisions the
// linking proposes, each to accept or reject. Frames are numbered from 1, as everywhere.
import { Box, Button, Chip, IconButton, Stack, Tooltip, Typography } from '@mui/material';
import { useSelector } from '@xstate/react';
import { shortcutFor } from '../keymap';
import { proposalsOf } from '../machines/proposals';
import type { ProjectSession } from '../session';
import { JobProgress } from './JobProgress';

export function LinkingPanel({ session }: { session: ProjectSession }) {
  const feature = useSelector(session.display, (s) => s.context.feature);
  const job = useSelector(session.proposals, (s) => s.context.job);
  const all = useSelector(session.proposals, (s) => s.context.proposals);
  const proposals = proposalsOf(all, feature);
  const { handlers } = session.keys;
  return (
    <Stack spacing={1} sx={{ p: 1 }} data-testid="linking-panel">
      <Typography variant="overline">Frames</Typography>
      <Stack direction="row" spacing={0.5} sx={{ flexWrap: 'wrap', gap: 0.5 }}>
        <Button
          size="small"
          variant="outlined"
          data-testid="match-previous"
          onClick={handlers.matchPrevious}
        >
          Match to previous frame ({shortcutFor('matchPrevious')})
        </Button>
        <Button
          size="small"
          variant="outlined"
          data-testid="match-next"
          onClick={handlers.matchNext}
        >
          Match to next frame ({shortcutFor('matchNext')})
        </Button>
        <Button
          size="small"
          variant="outlined"
          data-testid="copy-from-previous"
          onClick={handlers.copyFromPrevious}
        >
          Copy cell from previous ({shortcutFor('copyFromPrevious')})
        </Button>
        <Button
          size="small"
          variant="outlined"
          data-testid="interpolate"
          onClick={handlers.interpolate}
        >
          Interpolate to here ({shortcutFor('interpolate')})
        </Button>
        <Button
          size="small"
          variant="contained"
          data-testid="link-movie"
          onClick={handlers.linkMovie}
        >
          Link all frames ({shortcutFor('linkMovie')})
        </Button>
      </Stack>
      {job && <JobProgress actor={job} label="Linking" />}
      {proposals.length > 0 && (
        <Box sx={{ maxHeight: 200, overflowY: 'auto' }} data-testid="proposals">
          <Typography variant="caption" sx={{ fontWeight: 'bold' }}>
            Proposed divisions ({proposals.length})
          </Typography>
          {proposals.map((proposal) => (
            <Stack
              key={`${proposal.t}-${proposal.parent}`}
              direction="row"
              spacing={0.5}
              sx={{ alignItems: 'center' }}
              data-testid={`proposal-${proposal.parent}`}
            >
              <Tooltip title={`Show frame ${proposal.t + 1}`}>
                <Chip
                  size="small"
                  label={`${proposal.parent} → ${proposal.daughters.join(', ')} at frame ${proposal.t + 1}`}
                  onClick={() => session.linking.show(proposal)}
                  data-testid="proposal-show"
                />
              </Tooltip>
              <Button
                size="small"
                data-testid="proposal-accept"
                onClick={() => session.linking.accept(proposal)}
              >
                Accept
              </Button>
              <IconButton
                size="small"
                aria-label="Reject"
                data-testid="proposal-reject"
                onClick={() => session.linking.reject(proposal)}
              >
                ✕
              </IconButton>
            </Stack>
          ))}
        </Box>
      )}
    </Stack>
  );
}
