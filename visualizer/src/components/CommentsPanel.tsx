// The project's comments as a list, numbered as their markers are: "Comment" pins a new one by a
// click on the image; a comment opens on its frame; each can be resolved or opened again.
import {
  Alert,
  Box,
  Button,
  FormControlLabel,
  List,
  ListItem,
  ListItemButton,
  ListItemText,
  Stack,
  Switch,
  Typography,
} from '@mui/material';
import { useSelector } from '@xstate/react';
import { openCount, shownComments } from '../machines/comments';
import type { ProjectSession } from '../session';
import { ResolveButton } from './CommentMarkers';

export function CommentsPanel({ session }: { session: ProjectSession }) {
  const { comments, showResolved, placing, error } = useSelector(
    session.comments,
    (s) => s.context,
  );
  const frames = session.metadata.frames;
  const shown = shownComments({ comments, showResolved });
  const show = (id: number, frame: number) => {
    session.display.send({ type: 'SET_FRAME', frame });
    session.comments.send({ type: 'OPEN', id });
  };
  return (
    <Box sx={{ p: 1 }} data-testid="comments-panel">
      <Stack direction="row" sx={{ alignItems: 'center', justifyContent: 'space-between' }}>
        <Typography variant="overline">Comments ({openCount(comments)} open)</Typography>
        {!session.readOnly && (
          <Button
            size="small"
            variant={placing ? 'contained' : 'outlined'}
            onClick={() => session.comments.send({ type: 'PLACE' })}
            data-testid="comment-add"
          >
            {placing ? 'Click the image…' : 'Comment'}
          </Button>
        )}
      </Stack>
      <FormControlLabel
        label="Show resolved"
        control={
          <Switch
            size="small"
            checked={showResolved}
            onChange={() => session.comments.send({ type: 'SHOW_RESOLVED' })}
            slotProps={{ input: { 'aria-label': 'Show resolved comments' } }}
            data-testid="comments-show-resolved"
          />
        }
      />
      {error && (
        <Alert severity="error" sx={{ py: 0 }} data-testid="comments-error">
          {error}
        </Alert>
      )}
      {!shown.length && (
        <Typography variant="body2" sx={{ opacity: 0.7 }}>
          {comments.length ? 'Every comment is resolved.' : 'No comments.'}
        </Typography>
      )}
      <List dense disablePadding sx={{ maxHeight: 280, overflowY: 'auto' }}>
        {shown.map(({ comment, number }) => (
          <ListItem
            key={comment.id}
            disablePadding
            data-testid="comment-entry"
            data-resolved={comment.resolved ? 'true' : 'false'}
            secondaryAction={
              <ResolveButton session={session} comment={comment} testId="comment-entry-resolve" />
            }
          >
            <ListItemButton dense sx={{ py: 0 }} onClick={() => show(comment.id, comment.frame)}>
              <ListItemText
                primary={`${number}. ${comment.author}: ${comment.text}`}
                secondary={[
                  frames > 1 ? `frame ${comment.frame + 1}` : '',
                  comment.resolved ? `resolved by ${comment.resolved_by}` : '',
                ]
                  .filter(Boolean)
                  .join(' · ')}
                slotProps={{
                  primary: {
                    variant: 'body2',
                    sx: {
                      textDecoration: comment.resolved ? 'line-through' : 'none',
                      opacity: comment.resolved ? 0.6 : 1,
                    },
                  },
                }}
              />
            </ListItemButton>
          </ListItem>
        ))}
      </List>
    </Box>
  );
}
