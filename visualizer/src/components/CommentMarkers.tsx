// Over the canvas: the open comments pinned to points of the shown frame, as numbered markers
// whose tooltip is the comment (a reviewer's notes on a campaign task, for instance).
import { useEffect, useState } from 'react';
import { Box, Tooltip } from '@mui/material';
import { useSelector } from '@xstate/react';
import { listComments, type PinnedComment } from '../api/campaigns';
import type { ProjectSession } from '../session';

/** How often the comments are read again while the project is open. */
const REFRESH_MS = 30_000;
const SIZE = 22;

export function CommentMarkers({ session }: { session: ProjectSession }) {
  const projectId = session.metadata.id;
  const [comments, setComments] = useState<PinnedComment[]>([]);
  const view = useSelector(session.viewport, (s) => s.context);
  const frame = useSelector(session.display, (s) => s.context.frame);
  useEffect(() => {
    const read = () => listComments(projectId).then(setComments, () => setComments([]));
    read();
    const timer = window.setInterval(read, REFRESH_MS);
    return () => window.clearInterval(timer);
  }, [projectId]);
  return comments
    .filter((comment) => !comment.resolved && comment.frame === frame)
    .map((comment, index) => (
      <Tooltip key={comment.id} title={`${comment.author}: ${comment.text}`} arrow>
        <Box
          data-testid="comment-marker"
          aria-label={`Comment by ${comment.author}: ${comment.text}`}
          // Reading a comment is not drawing on the image.
          onPointerDown={(event) => event.stopPropagation()}
          sx={{
            position: 'absolute',
            left: (comment.x - view.x) * view.zoom - SIZE / 2,
            top: (comment.y - view.y) * view.zoom - SIZE,
            width: SIZE,
            height: SIZE,
            borderRadius: '50% 50% 50% 0',
            transform: 'rotate(-45deg)',
            bgcolor: '#ff9800',
            border: '2px solid #fff',
            boxShadow: '0 0 0 1px rgba(0,0,0,0.6)',
            display: 'flex',
            alignItems: 'center',
            justifyContent: 'center',
            cursor: 'help',
          }}
        >
          <Box component="span" sx={{ transform: 'rotate(45deg)', fontSize: 11, color: '#000' }}>
            {index + 1}
          </Box>
        </Box>
      </Tooltip>
    ));
}
