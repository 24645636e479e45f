// The labelling page: loads the project, then lays out tools, canvas and panels around a session.
import { useEffect, useState } from 'react';
import {
  Alert,
  Box,
  Button,
  Chip,
  CircularProgress,
  Divider,
  LinearProgress,
  Menu,
  MenuItem,
  Slider,
  Stack,
  Tooltip,
  Typography,
} from '@mui/material';
import { useMachine, useSelector } from '@xstate/react';
import { fromPromise, type ActorRefFrom } from 'xstate';
import { atLeast, openShareLink } from '../api/accounts';
import { getProject, type ExportFormat, type ProjectMetadata } from '../api/client';
import { ShareDialog } from '../components/ShareDialog';
import { CellTypesPanel } from '../components/CellTypesPanel';
import { CommentsPanel } from '../components/CommentsPanel';
import { DisplayPanel } from '../components/DisplayPanel';
import { DisagreementNotice } from '../components/DisagreementNotice';
import { DivisionsPanel } from '../components/DivisionsPanel';
import { LinkingPanel } from '../components/LinkingPanel';
import { HelpDialog } from '../components/HelpDialog';
import { HistoryPanel } from '../components/HistoryPanel';
import { ImageCanvas } from '../components/ImageCanvas';
import { JobProgress } from '../components/JobProgress';
import { Notices } from '../components/Notices';
import { PeoplePresent } from '../components/PeoplePresent';
import { SegmentPanel } from '../components/SegmentPanel';
import { SaveStatus } from '../components/SaveStatus';
import { SelectionPanel } from '../components/SelectionPanel';
import { SpotsPanel } from '../components/SpotsPanel';
import { TopBar } from '../components/TopBar';
import { TimelineBars } from '../components/TimelineBars';
import { ToolPanel } from '../components/ToolPanel';
import { ViewerDisabled } from '../components/ViewOnly';
import { keyName, shortcutFor, type KeyActionId } from '../keymap';
import type { jobMachine } from '../machines/job';
import { projectMachine } from '../machines/project';
import { openProject, type ProjectSession } from '../session';
import { VIEW_ONLY } from '../session/edits';
import type { TileStats } from '../data/tiledImage';

/**
 * The project, with the caller's role on it. A share link's address (`&share=<token>`) is opened
 * first, once: it gives the caller the link's role, and the address loses the token.
 */
async function loadProject(projectId: string): Promise<ProjectMetadata> {
  const address = new URL(window.location.href);
  const share = address.searchParams.get('share');
  if (share) {
    await openShareLink(share);
    address.searchParams.delete('share');
    window.history.replaceState(null, '', address.pathname + address.search);
  }
  return getProject(projectId);
}

const loadingMachine = projectMachine.provide({
  actors: { load: fromPromise(({ input }) => loadProject(input.projectId)) },
});

declare global {
  interface Window {
    /** The open project, for tests and debugging from the console. */
    deepcellLabel?: ProjectSession;
    /** Figures of the open project's tile cache and loading, for tests and measurements. */
    __deepcellDebug?: { tiles: () => TileStats };
  }
}

function isTyping(target: EventTarget | null) {
  const element = target as HTMLElement | null;
  return (
    !!element &&
    (element.tagName === 'INPUT' ||
      element.tagName === 'TEXTAREA' ||
      element.isContentEditable ||
      // Keys in an open dialog (the expression plots) belong to it, not to the canvas.
      !!element.closest?.('[role="dialog"]'))
  );
}

export function FrameSlider({ session }: { session: ProjectSession }) {
  const frame = useSelector(session.display, (s) => s.context.frame);
  const frames = session.metadata.frames;
  if (frames <= 1) return null;
  return (
    <Stack direction="row" spacing={2} sx={{ px: 2, alignItems: 'center' }}>
      <Typography variant="caption" data-testid="frame-label" sx={{ whiteSpace: 'nowrap' }}>
        Frame {frame + 1} / {frames} (A/D)
      </Typography>
      <Slider
        size="small"
        min={0}
        max={frames - 1}
        value={frame}
        marks
        aria-label="Frame"
        data-testid="frame-slider"
        onChange={(_e, v) => session.display.send({ type: 'SET_FRAME', frame: v as number })}
      />
    </Stack>
  );
}

function HistoryButtons({ session }: { session: ProjectSession }) {
  const available = useSelector(session.undo, (s) => s.context);
  const buttons = [
    ['undo', 'Undo', available.canUndo],
    ['redo', 'Redo', available.canRedo],
  ] as const;
  return buttons.map(([id, name, enabled]) => (
    <Tooltip key={id} title={`${name} (${shortcutFor(id)})`}>
      <span>
        <Button
          color="inherit"
          size="small"
          disabled={!enabled}
          onClick={session.keys.handlers[id]}
          data-testid={id}
        >
          {name}
        </Button>
      </span>
    </Tooltip>
  ));
}

const EXPORT_LABELS = { download: 'Preparing the download', submit: 'Submitting' } as const;

/** Every file the project can be downloaded as (the server's export formats). */
const DOWNLOAD_FORMATS: [ExportFormat, string][] = [
  ['zip', 'Project zip (DeepCell Label)'],
  ['npz', 'NumPy arrays (.npz)'],
  ['ctc', 'Cell Tracking Challenge (.zip)'],
  ['trk', 'DeepCell tracks (.trk)'],
  ['ome-zarr', 'OME-Zarr (.zip)'],
];

function ExportButtons({ session }: { session: ProjectSession }) {
  const state = useSelector(session.exporter, (s) => s);
  const busy = !state.matches('idle');
  const kind = state.context.kind;
  const job = state.children.job as ActorRefFrom<typeof jobMachine> | undefined;
  const [menu, setMenu] = useState<HTMLElement | null>(null);
  return (
    <>
      <Button
        color="inherit"
        size="small"
        disabled={busy}
        onClick={() => session.exporter.send({ type: 'DOWNLOAD' })}
        data-testid="download"
      >
        {busy && kind === 'download' ? 'Downloading…' : 'Download'}
      </Button>
      <Button
        color="inherit"
        size="small"
        disabled={busy}
        aria-label="Download as"
        sx={{ minWidth: 0, px: 0.5, ml: -1 }}
        onClick={(event) => setMenu(event.currentTarget)}
        data-testid="download-menu"
      >
        ▾
      </Button>
      <Menu anchorEl={menu} open={menu !== null} onClose={() => setMenu(null)}>
        {DOWNLOAD_FORMATS.map(([format, name]) => (
          <MenuItem
            key={format}
            data-testid={`download-${format}`}
            onClick={() => {
              setMenu(null);
              session.exporter.send({ type: 'DOWNLOAD', format });
            }}
          >
            {name}
          </MenuItem>
        ))}
      </Menu>
      <Button
        color="inherit"
        size="small"
        disabled={busy || session.readOnly}
        onClick={() => session.exporter.send({ type: 'SUBMIT' })}
        data-testid="submit"
      >
        {busy && kind === 'submit' ? 'Submitting…' : 'Submit'}
      </Button>
      {job && kind && (
        <Box sx={{ width: 280 }} data-testid="export-job">
          <JobProgress actor={job} label={EXPORT_LABELS[kind]} />
        </Box>
      )}
    </>
  );
}

/** The download's or submit's outcome, floating under the top bar (the bar keeps one line). */
function ExportResult({ session }: { session: ProjectSession }) {
  const { message, severity } = useSelector(session.exporter, (s) => s.context);
  if (!message) return null;
  return (
    <Alert
      severity={severity ?? 'info'}
      data-testid="export-result"
      sx={{ position: 'fixed', top: 56, right: 16, zIndex: 1400, maxWidth: 480, boxShadow: 3 }}
      onClose={() => session.exporter.send({ type: 'DISMISS' })}
    >
      {message}
    </Alert>
  );
}

/** Owners share; viewers are told they only look. */
function Access({ session }: { session: ProjectSession }) {
  const [open, setOpen] = useState(false);
  if (session.readOnly) {
    return (
      <Tooltip title={VIEW_ONLY}>
        <Chip
          size="small"
          label="View only"
          color="warning"
          data-testid="view-only"
          sx={{ fontWeight: 500 }}
        />
      </Tooltip>
    );
  }
  if (!atLeast(session.metadata.role, 'owner')) return null;
  return (
    <>
      <Button color="inherit" size="small" onClick={() => setOpen(true)} data-testid="share">
        Share
      </Button>
      <ShareDialog projectId={session.metadata.id} open={open} onClose={() => setOpen(false)} />
    </>
  );
}

function SegmentPart({ session }: { session: ProjectSession }) {
  return (
    <ViewerDisabled session={session} what="segmenting">
      <SegmentPanel session={session} />
    </ViewerDisabled>
  );
}

function Workspace({ session }: { session: ProjectSession }) {
  const [helpOpen, setHelpOpen] = useState(false);
  const segmentFirst = new URLSearchParams(window.location.search).get('panel') === 'segment';
  useEffect(() => {
    session.keys.onHelp = () => setHelpOpen(true);
    const down = (event: KeyboardEvent) => {
      if (isTyping(event.target) || helpOpen) return;
      if (session.keys.down(keyName(event))) event.preventDefault();
    };
    const up = (event: KeyboardEvent) => session.keys.up(keyName(event));
    window.addEventListener('keydown', down);
    window.addEventListener('keyup', up);
    return () => {
      window.removeEventListener('keydown', down);
      window.removeEventListener('keyup', up);
    };
  }, [session, helpOpen]);

  return (
    <Box
      sx={{
        height: '100%',
        display: 'flex',
        flexDirection: 'column',
        bgcolor: 'background.default',
      }}
    >
      <TopBar dense title={session.metadata.name} titleTestId="project-name">
        <PeoplePresent session={session} />
        <Access session={session} />
        <SaveStatus session={session} />
        <HistoryButtons session={session} />
        <ExportButtons session={session} />
        <Button color="inherit" size="small" onClick={() => setHelpOpen(true)} data-testid="help">
          Help (?)
        </Button>
      </TopBar>
      <Box sx={{ flex: 1, display: 'flex', minHeight: 0 }}>
        <Box sx={{ borderRight: 1, borderColor: 'divider', overflowY: 'auto' }}>
          <ToolPanel session={session} />
        </Box>
        <Box sx={{ flex: 1, display: 'flex', flexDirection: 'column', minWidth: 0 }}>
          <DisagreementNotice session={session} />
          <ImageCanvas session={session} />
          <FrameSlider session={session} />
          <TimelineBars session={session} />
        </Box>
        <Box sx={{ width: 300, borderLeft: 1, borderColor: 'divider', overflowY: 'auto' }}>
          {/* ?panel=segment (an image without labels) opens with the Segment panel first. */}
          {segmentFirst && <SegmentPart session={session} />}
          {segmentFirst && <Divider />}
          <SelectionPanel session={session} />
          <Divider />
          <CommentsPanel session={session} />
          <Divider />
          {!segmentFirst && <SegmentPart session={session} />}
          {!segmentFirst && <Divider />}
          {/* Divisions and linking follow cells from frame to frame: one frame has neither. */}
          {session.metadata.frames > 1 && (
            <>
              <DivisionsPanel session={session} />
              <ViewerDisabled session={session} what="linking">
                <LinkingPanel session={session} />
              </ViewerDisabled>
            </>
          )}
          <Divider />
          <CellTypesPanel session={session} />
          <Divider />
          <SpotsPanel session={session} />
          <DisplayPanel session={session} />
          <Divider />
          <HistoryPanel session={session} />
        </Box>
      </Box>
      <Notices session={session} />
      <ExportResult session={session} />
      <HelpDialog open={helpOpen} onClose={() => setHelpOpen(false)} />
    </Box>
  );
}

/**
 * A project's metadata loaded (asked for again while it is being prepared), then its session
 * opened, and disposed of when the page closes. `shown`: the page's main project, the one that
 * `window.deepcellLabel` gives to tests and the console.
 */
export function useProjectSession(projectId: string, shown = false) {
  const [state, send] = useMachine(loadingMachine, { input: { projectId } });
  const metadata = state.matches('ready') ? state.context.metadata : null;
  const [session, setSession] = useState<ProjectSession | null>(null);

  useEffect(() => {
    if (!metadata) return;
    const created = openProject(metadata);
    if (shown) {
      window.deepcellLabel = created;
      window.__deepcellDebug = { tiles: () => created.canvas.tileStats() };
    }
    setSession(created);
    return () => {
      created.dispose();
      if (window.deepcellLabel === created) {
        delete window.deepcellLabel;
        delete window.__deepcellDebug;
      }
    };
  }, [metadata, shown]);
  return { state, send, session };
}

const NO_PROJECTS: string[] = [];

export function ProjectPage({
  projectId,
  pageHandlers = {},
  compareWith = NO_PROJECTS,
}: {
  projectId: string;
  /** Keys handled by the page around the project (review mode's next and previous). */
  pageHandlers?: Partial<Record<KeyActionId, () => void>>;
  /** Other projects of a review: where they are replicas of this one's image, the cells that
   * disagree are highlighted. */
  compareWith?: string[];
}) {
  const { state, send, session } = useProjectSession(projectId, true);
  const ready = state.matches('ready');

  useEffect(() => {
    if (session) session.keys.pageHandlers = pageHandlers;
  }, [session, pageHandlers]);

  const others = compareWith.join(',');
  useEffect(() => {
    session?.disagreement.send({ type: 'COMPARE', others: others ? others.split(',') : [] });
  }, [session, others]);

  if (state.matches('failed')) {
    return (
      <Box sx={{ p: 4 }}>
        <Alert
          severity="error"
          data-testid="project-error"
          action={<Button onClick={() => send({ type: 'RETRY' })}>Retry</Button>}
        >
          Could not open project {projectId}: {state.context.error}
        </Alert>
        <Button href="/" sx={{ mt: 2 }}>
          Back to the home page
        </Button>
      </Box>
    );
  }
  const building = state.context.metadata;
  if (state.matches('buildFailed') && building) {
    return (
      <Box sx={{ p: 4 }}>
        <Alert severity="error" data-testid="build-failed">
          Project {building.name || projectId} could not be prepared:{' '}
          {building.status_message || 'no reason given'}
        </Alert>
        <Button href="/" sx={{ mt: 2 }} data-testid="build-failed-home">
          Back to the home page
        </Button>
      </Box>
    );
  }
  if (!ready && building?.status === 'building') {
    const percent = Math.round((building.progress ?? 0) * 100);
    return (
      <Box sx={{ p: 4, maxWidth: 560 }} data-testid="building">
        <Typography variant="h6">Preparing {building.name || projectId}…</Typography>
        <LinearProgress
          variant="determinate"
          value={percent}
          sx={{ my: 2 }}
          data-testid="build-progress"
          aria-label="Preparation progress"
        />
        <Typography data-testid="build-status">
          {percent}% {building.status_message ? `— ${building.status_message}` : ''}
        </Typography>
        <Typography variant="body2" sx={{ mt: 1, opacity: 0.7 }}>
          Large images are cut into tiles at several resolutions first; the project opens by itself
          when this is done.
        </Typography>
      </Box>
    );
  }
  if (!session || !ready) {
    return (
      <Box sx={{ p: 4, display: 'flex', gap: 2, alignItems: 'center' }}>
        <CircularProgress size={24} />
        <Typography>Opening project…</Typography>
      </Box>
    );
  }
  return <Workspace session={session} />;
}
