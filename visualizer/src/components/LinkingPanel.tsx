// Following cells through frames: match this frame to the previous or next, copy or interpolate
// the selected cell, link the whole movie (a job with its progress), and the divisions the
// linking proposes, each to accept or reject, listed by frame or stepped through least sure first,
// and the links it is least sure of, stepped through least sure first. Frames are numbered from
// 1, as everywhere.
import { Box, Button, Chip, IconButton, Stack, Tooltip, Typography } from '@mui/material';
import { useSelector } from '@xstate/react';
import { shortcutFor } from '../keymap';
import { proposalsOf, sameProposal } from '../machines/proposals';
import { currentLink } from '../machines/uncertainLinks';
import type { ProjectSession } from '../session';
import { JobProgress } from './JobProgress';

export function LinkingPanel({ session }: { session: ProjectSession }) {
  const feature = useSelector(session.display, (s) => s.context.feature);
  const job = useSelector(session.proposals, (s) => s.context.job);
  const all = useSelector(session.proposals, (s) => s.context.proposals);
  const order = useSelector(session.proposals, (s) => s.context.order);
  const checking = useSelector(session.proposals, (s) => s.context.checking);
  const proposals = proposalsOf(all, feature, order);
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
      <UncertainLinks session={session} />
      {proposals.length > 0 && (
        <Box sx={{ maxHeight: 200, overflowY: 'auto' }} data-testid="proposals">
          <Stack direction="row" spacing={0.5} sx={{ alignItems: 'center' }}>
            <Typography variant="caption" sx={{ fontWeight: 'bold' }}>
              Proposed divisions ({proposals.length})
            </Typography>
            <LeastSureFirst
              stepping={order === 'leastSure'}
              canStep={checking !== null}
              ids={['check-least-sure', 'check-next', 'stop-checking']}
              stopLabel="By frame"
              start={() => session.linking.checkLeastSure()}
              next={() => session.linking.checkNext()}
              stop={() => session.linking.stopChecking()}
            />
          </Stack>
          {proposals.map((proposal) => (
            <Stack
              key={`${proposal.t}-${proposal.parent}`}
              direction="row"
              spacing={0.5}
              sx={{ alignItems: 'center' }}
              data-testid={`proposal-${proposal.parent}`}
              data-checking={checking !== null && sameProposal(checking, proposal)}
            >
              <Tooltip title={`Show frame ${proposal.t + 1}`}>
                <Chip
                  size="small"
                  color={checking && sameProposal(checking, proposal) ? 'primary' : 'default'}
                  label={
                    `${proposal.parent} → ${proposal.daughters.join(', ')} at frame ${proposal.t + 1}` +
                    (proposal.confidence === undefined
                      ? ''
                      : ` (${Math.round(proposal.confidence * 100)}% sure)`)
                  }
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

const REASONS = { rival: 'another cell came close', gap: 'a gap closed' } as const;

/** The links the last linking of the shown feature is least sure of, checked one by one. */
function UncertainLinks({ session }: { session: ProjectSession }) {
  const feature = useSelector(session.display, (s) => s.context.feature);
  const linked = useSelector(session.uncertainLinks, (s) => s.context.feature);
  const links = useSelector(session.uncertainLinks, (s) => s.context.links);
  const total = useSelector(session.uncertainLinks, (s) => s.context.total);
  const checking = useSelector(session.uncertainLinks, currentLink);
  const position = useSelector(session.uncertainLinks, (s) => s.context.position);
  if (linked !== feature || !links.length) return null;
  return (
    <Stack spacing={0.5} data-testid="uncertain-links">
      <Stack direction="row" spacing={0.5} sx={{ alignItems: 'center' }}>
        <Typography variant="caption" sx={{ fontWeight: 'bold' }}>
          Uncertain links ({total})
        </Typography>
        <LeastSureFirst
          stepping={checking !== null}
          canStep
          ids={['check-uncertain', 'uncertain-next', 'uncertain-stop']}
          stopLabel="Done"
          start={() => session.linking.checkUncertain()}
          next={() => session.linking.nextUncertain()}
          stop={() => session.linking.stopUncertain()}
        />
      </Stack>
      {checking && (
        <Typography variant="body2" data-testid="uncertain-current">
          {`${position + 1} of ${links.length}: cell ${checking.cell} at frame ${checking.t + 1}, ` +
            `linked from frame ${checking.from_t + 1} (${Math.round(checking.confidence * 100)}% ` +
            `sure: ${REASONS[checking.reason]})`}
        </Typography>
      )}
    </Stack>
  );
}

/** "Check least sure first", or while stepping "Next least sure" and a way out; `ids` are the
 *  three buttons' test ids. */
function LeastSureFirst(props: {
  stepping: boolean;
  canStep: boolean;
  ids: [string, string, string];
  stopLabel: string;
  start: () => void;
  next: () => void;
  stop: () => void;
}) {
  const [startId, nextId, stopId] = props.ids;
  if (!props.stepping) {
    return (
      <Button size="small" data-testid={startId} onClick={props.start}>
        Check least sure first
      </Button>
    );
  }
  return (
    <>
      <Button size="small" data-testid={nextId} disabled={!props.canStep} onClick={props.next}>
        Next least sure
      </Button>
      <Button size="small" data-testid={stopId} onClick={props.stop}>
        {props.stopLabel}
      </Button>
    </>
  );
}
