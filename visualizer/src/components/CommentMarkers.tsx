// Over the canvas: the comments pinned to points of the shown frame, as numbered markers (a
// reviewer's notes on a campaign task, for instance). A marker opens its comment with Resolve;
// after "Comment" a click on the image pins a new one there and asks for its text.
import { useState } from 'react';
import { Box, Button, Paper, Stack, TextField, Typography } from '@mui/material';
import { useSelector } from '@xstate/react';
import type { PinnedComment } from '../api/campaigns';
import { shownComments } from '../machines/comments';
import { toImage, type ViewportContext } from '../machines/viewport';
import type { ProjectSession } from '../session';
import { LAYER_STYLE } from './layers';

const SIZE = 22;
const CARD_WIDTH = 240;

/** Clicks and presses on the comments are not strokes on the image. */
const keepFromCanvas = (event: React.SyntheticEvent) => event.stopPropagation();

const onCanvas = (view: ViewportContext, x: number, y: number) => ({
  left: (x - view.x) * view.zoom,
  top: (y - view.y) * view.zoom,
});

/** One comment with its number in the list, over the canvas's view. */
interface NumberedComment {
  session: ProjectSession;
  comment: PinnedComment;
  number: number;
  view: ViewportContext;
}

/** Resolve an open comment, or open a resolved one again (not for those who only look). */
export function ResolveButton({
  session,
  comment,
  testId,
}: {
  session: ProjectSession;
  comment: PinnedComment;
  testId: string;
}) {
  const busy = useSelector(session.comments, (s) => !s.matches('idle'));
  if (session.readOnly) return null;
  return (
    <Button
      size="small"
      disabled={busy}
      onClick={() =>
        session.comments.send({ type: 'RESOLVE', id: comment.id, resolved: !comment.resolved })
      }
      data-testid={testId}
    >
      {comment.resolved ? 'Reopen' : 'Resolve'}
    </Button>
  );
}

function Marker({ session, comment, number, view }: NumberedComment) {
  const { left, top } = onCanvas(view, comment.x, comment.y);
  const label = `Comment ${number} by ${comment.author}${comment.resolved ? ' (resolved)' : ''}: ${comment.text}`;
  return (
    <Box
      component="button"
      data-testid="comment-marker"
      data-resolved={comment.resolved ? 'true' : 'false'}
      aria-label={label}
      title={label}
      onPointerDown={keepFromCanvas}
      onClick={() => session.comments.send({ type: 'OPEN', id: comment.id })}
      sx={{
        position: 'absolute',
        left: left - SIZE / 2,
        top: top - SIZE,
        width: SIZE,
        height: SIZE,
        p: 0,
        borderRadius: '50% 50% 50% 0',
        transform: 'rotate(-45deg)',
        bgcolor: comment.resolved ? '#9e9e9e' : '#ff9800',
        opacity: comment.resolved ? 0.6 : 1,
        border: '2px solid #fff',
        boxShadow: '0 0 0 1px rgba(0,0,0,0.6)',
        display: 'flex',
        alignItems: 'center',
        justifyContent: 'center',
        cursor: 'pointer',
      }}
    >
      <Box component="span" sx={{ transform: 'rotate(45deg)', fontSize: 11, color: '#000' }}>
        {number}
      </Box>
    </Box>
  );
}

/** A small card beside a point of the image. */
function Card({
  view,
  x,
  y,
  testId,
  children,
}: {
  view: ViewportContext;
  x: number;
  y: number;
  testId: string;
  children: React.ReactNode;
}) {
  const { left, top } = onCanvas(view, x, y);
  return (
    <Paper
      elevation={6}
      data-testid={testId}
      onPointerDown={keepFromCanvas}
      onPointerUp={keepFromCanvas}
      sx={{
        position: 'absolute',
        left: Math.max(4, Math.min(left + SIZE / 2, view.canvasWidth - CARD_WIDTH - 4)),
        top: Math.max(4, top + 4),
        width: CARD_WIDTH,
        p: 1,
        zIndex: 2,
      }}
    >
      {children}
    </Paper>
  );
}

function OpenComment({ session, comment, number, view }: NumberedComment) {
  return (
    <Card view={view} x={comment.x} y={comment.y} testId="comment-card">
      <Typography variant="body2" sx={{ whiteSpace: 'pre-wrap' }} data-testid="comment-text">
        <b>
          {number}. {comment.author}:
        </b>{' '}
        {comment.text}
      </Typography>
      {comment.resolved && (
        <Typography variant="caption" color="text.secondary" data-testid="comment-resolved-by">
          Resolved by {comment.resolved_by}
        </Typography>
      )}
      <Stack direction="row" spacing={1} sx={{ mt: 0.5, justifyContent: 'flex-end' }}>
        <ResolveButton session={session} comment={comment} testId="comment-resolve" />
        <Button size="small" onClick={() => session.comments.send({ type: 'CLOSE' })}>
          Close
        </Button>
      </Stack>
    </Card>
  );
}

function Draft({ session, view }: { session: ProjectSession; view: ViewportContext }) {
  const draft = useSelector(session.comments, (s) => s.context.draft);
  const saving = useSelector(session.comments, (s) => s.matches('saving'));
  const [text, setText] = useState('');
  if (!draft) return null;
  const save = () => {
    session.comments.send({ type: 'SAVE', text });
    setText('');
  };
  return (
    <Card view={view} x={draft.x} y={draft.y} testId="comment-draft">
      <TextField
        size="small"
        fullWidth
        multiline
        autoFocus
        label="Comment"
        value={text}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter' && !e.shiftKey) {
            e.preventDefault();
            save();
          } else if (e.key === 'Escape') session.comments.send({ type: 'CANCEL' });
        }}
        slotProps={{ htmlInput: { 'data-testid': 'comment-draft-text' } }}
      />
      <Stack direction="row" spacing={1} sx={{ mt: 0.5, justifyContent: 'flex-end' }}>
        <Button size="small" onClick={() => session.comments.send({ type: 'CANCEL' })}>
          Cancel
        </Button>
        <Button
          size="small"
          variant="contained"
          disabled={saving || !text.trim()}
          onClick={save}
          data-testid="comment-save"
        >
          Save
        </Button>
      </Stack>
    </Card>
  );
}

/** While placing: the next click on the image is where the comment goes. */
function PlacingLayer({ session, view }: { session: ProjectSession; view: ViewportContext }) {
  const frame = useSelector(session.display, (s) => s.context.frame);
  const { width, height } = session.metadata;
  return (
    <Box
      data-testid="comment-placing"
      onPointerDown={keepFromCanvas}
      onClick={(event) => {
        const rect = event.currentTarget.getBoundingClientRect();
        const point = toImage(view, event.clientX - rect.left, event.clientY - rect.top);
        const clamp = (value: number, size: number) =>
          Math.round(Math.min(size, Math.max(0, value)) * 10) / 10;
        session.comments.send({
          type: 'POINT',
          point: { frame, x: clamp(point.x, width), y: clamp(point.y, height) },
        });
      }}
      sx={{ ...LAYER_STYLE, cursor: 'copy', zIndex: 1 }}
    />
  );
}

export function CommentMarkers({ session }: { session: ProjectSession }) {
  const view = useSelector(session.viewport, (s) => s.context);
  const frame = useSelector(session.display, (s) => s.context.frame);
  const context = useSelector(session.comments, (s) => s.context);
  const markers = shownComments(context, frame);
  const open = markers.find(({ comment }) => comment.id === context.open);
  return (
    <>
      {context.placing && <PlacingLayer session={session} view={view} />}
      {markers.map(({ comment, number }) => (
        <Marker key={comment.id} session={session} comment={comment} number={number} view={view} />
      ))}
      {open && (
        <OpenComment session={session} comment={open.comment} number={open.number} view={view} />
      )}
      <Draft session={session} view={view} />
    </>
  );
}
