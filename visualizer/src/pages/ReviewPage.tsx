// Review mode (`/review?projectId=a,b,c`, or `/project` with several ids): a bar to step through the projects and judge each,
// above the usual project page of the one being reviewed (or a note when the id names no project).
// When the projects are replicas of one campaign image, the cells where the shown one disagrees
// with the others are highlighted. They are shown one at a time (toggled with Next and Previous)
// or two side by side (`&view=side`), the judged one and another, both showing the same place.
import { useEffect, useMemo, useState } from 'react';
import {
  Alert,
  Box,
  Button,
  Chip,
  Paper,
  Stack,
  TextField,
  ToggleButton,
  ToggleButtonGroup,
  Typography,
} from '@mui/material';
import { useMachine } from '@xstate/react';
import { fromPromise } from 'xstate';
import * as api from '../api/client';
import { actionForKey, keyName, shortcutFor, type KeyActionId } from '../keymap';
import { besideChoices, besideProject, isMissing, reviewMachine } from '../machines/review';
import { ProjectPage } from './ProjectPage';
import { SideBySide } from './SideBySide';

const serverReviewMachine = reviewMachine.provide({
  actors: {
    loadReviews: fromPromise(async ({ input }) => (await api.getReviews(input.projects)).reviews),
    judge: fromPromise(({ input }) => api.postReview(input.project, input.judgment, input.comment)),
  },
});

const JUDGMENTS = [
  ['accept', 'Accept', 'success'],
  ['reject', 'Reject', 'error'],
] as const;

function verdictColor(review: api.Review | undefined) {
  if (review?.missing) return 'warning';
  const judgment = review?.judgment;
  if (judgment === 'accept') return 'success';
  if (judgment === 'reject') return 'error';
  return 'default';
}

type PageHandlers = Partial<Record<KeyActionId, () => void>>;

/** The review keys where no project page handles the keys (it passes them on when it does). */
function usePageKeys(handlers: PageHandlers) {
  useEffect(() => {
    const down = (event: KeyboardEvent) => {
      const target = event.target as HTMLElement | null;
      if (target?.tagName === 'INPUT' || target?.tagName === 'TEXTAREA') return;
      const action = actionForKey('project', keyName(event));
      const handler = action && handlers[action];
      if (handler) {
        event.preventDefault();
        handler();
      }
    };
    window.addEventListener('keydown', down);
    return () => window.removeEventListener('keydown', down);
  }, [handlers]);
}

/** In place of the project page when the id names no project; the review keys still step on. */
function MissingProject({ project, handlers }: { project: string; handlers: PageHandlers }) {
  usePageKeys(handlers);
  return (
    <Alert severity="warning" sx={{ m: 2 }} data-testid="review-missing">
      There is no project with the id “{project}”: it may be mistyped, or the project was deleted.
      The other projects of the review can still be judged.
    </Alert>
  );
}

/** The side-by-side view, with the review keys (its panes show the canvas only). */
function SideBySideWithKeys({
  handlers,
  ...props
}: { handlers: PageHandlers } & React.ComponentProps<typeof SideBySide>) {
  usePageKeys(handlers);
  return <SideBySide {...props} />;
}

export function ReviewPage({ projects }: { projects: string[] }) {
  const sideBySide = new URLSearchParams(window.location.search).get('view') === 'side';
  const [state, send] = useMachine(serverReviewMachine, { input: { projects, sideBySide } });
  const { index, reviews, error } = state.context;
  const project = projects[index];
  const review = reviews[project];
  const [comments, setComments] = useState<Record<string, string>>({});
  const comment = comments[project] ?? review?.comment ?? '';
  const missing = isMissing(state.context, project);
  const busy = !state.matches('ready') || missing;
  const handlers = useMemo<PageHandlers>(
    () => ({
      nextProject: () => send({ type: 'NEXT' }),
      previousProject: () => send({ type: 'PREVIOUS' }),
    }),
    [send],
  );
  const judge = (judgment: api.Judgment) => send({ type: 'JUDGE', judgment, comment });
  // The shown project is compared with the others where they are replicas of one image.
  const others = useMemo(() => besideChoices(state.context), [state.context]);
  const beside = besideProject(state.context);
  const nameOf = (id: string) => reviews[id]?.name ?? id;
  const paired = state.context.sideBySide && !missing && beside !== null;

  return (
    <Box sx={{ height: '100%', display: 'flex', flexDirection: 'column' }}>
      <Paper square elevation={2} sx={{ px: 2, py: 1 }} data-testid="review-bar">
        <Stack direction="row" spacing={1} sx={{ alignItems: 'center', flexWrap: 'wrap' }}>
          <Typography variant="subtitle2" data-testid="review-position">
            Review: project {index + 1} of {projects.length}
          </Typography>
          <Button
            size="small"
            disabled={index === 0}
            onClick={handlers.previousProject}
            data-testid="review-previous"
          >
            Previous ({shortcutFor('previousProject')})
          </Button>
          <Button
            size="small"
            disabled={index === projects.length - 1}
            onClick={handlers.nextProject}
            data-testid="review-next"
          >
            Next ({shortcutFor('nextProject')})
          </Button>
          <TextField
            size="small"
            label="Comment"
            value={comment}
            disabled={missing}
            onChange={(e) => setComments({ ...comments, [project]: e.target.value })}
            slotProps={{ htmlInput: { 'data-testid': 'review-comment' } }}
            sx={{ minWidth: 240, flex: 1 }}
          />
          {JUDGMENTS.map(([judgment, text, color]) => (
            <Button
              key={judgment}
              size="small"
              variant="contained"
              color={color}
              disabled={busy}
              onClick={() => judge(judgment)}
              data-testid={`review-${judgment}`}
            >
              {text}
            </Button>
          ))}
          <Chip
            size="small"
            data-testid="review-verdict"
            color={verdictColor(review)}
            label={missing ? 'missing' : review?.judgment ? `${review.judgment}ed` : 'not reviewed'}
          />
          {review?.judgment && review.reviewer && (
            <Typography variant="caption" data-testid="review-by">
              by {review.reviewer}
              {review.reviewed ? `, ${new Date(review.reviewed).toLocaleString()}` : ''}
            </Typography>
          )}
          <ToggleButtonGroup
            size="small"
            exclusive
            value={state.context.sideBySide ? 'side' : 'one'}
            onChange={(_event, value) =>
              value && send({ type: 'SIDE_BY_SIDE', on: value === 'side' })
            }
            aria-label="How the projects are shown"
            disabled={others.length === 0}
          >
            <ToggleButton value="one" data-testid="view-one">
              One at a time
            </ToggleButton>
            <ToggleButton value="side" data-testid="view-side">
              Side by side
            </ToggleButton>
          </ToggleButtonGroup>
          <Button
            size="small"
            component="a"
            href={api.reviewsUrl(projects, 'csv')}
            download="review.csv"
            data-testid="review-csv"
          >
            Download review (CSV)
          </Button>
        </Stack>
        <Stack direction="row" spacing={0.5} sx={{ mt: 0.5, flexWrap: 'wrap' }}>
          {projects.map((id, i) => (
            <Chip
              key={id}
              size="small"
              variant={i === index ? 'filled' : 'outlined'}
              color={verdictColor(reviews[id])}
              label={`${i + 1}. ${reviews[id]?.name ?? id}${
                isMissing(state.context, id) ? ' (missing)' : ''
              }`}
              onClick={() => send({ type: 'GO', index: i })}
              data-testid={`review-project-${i}`}
              data-judgment={reviews[id]?.judgment ?? ''}
              data-missing={isMissing(state.context, id) ? 'true' : 'false'}
            />
          ))}
        </Stack>
        {error && (
          <Alert severity="error" sx={{ mt: 0.5 }} data-testid="review-error">
            {error}
          </Alert>
        )}
      </Paper>
      <Box sx={{ flex: 1, minHeight: 0 }}>
        {missing ? (
          <MissingProject project={project} handlers={handlers} />
        ) : paired ? (
          <SideBySideWithKeys
            handlers={handlers}
            judged={project}
            beside={beside}
            choices={others.map((id) => ({ project: id, name: nameOf(id) }))}
            nameOf={nameOf}
            onChoose={(id) => send({ type: 'BESIDE', project: id })}
          />
        ) : (
          <ProjectPage
            key={project}
            projectId={project}
            pageHandlers={handlers}
            compareWith={others}
          />
        )}
      </Box>
    </Box>
  );
}
