// Over the canvas: the boxes of pixels the history entry picked last changed, while it is
// highlighted and its frame and feature are shown.
import { Box } from '@mui/material';
import { useSelector } from '@xstate/react';
import type { ProjectSession } from '../session';

export function HistoryHighlight({ session }: { session: ProjectSession }) {
  const entry = useSelector(session.history, (s) => s.context.highlighted);
  const view = useSelector(session.viewport, (s) => s.context);
  const { frame, feature } = useSelector(
    session.display,
    (s) => ({ frame: s.context.frame, feature: s.context.feature }),
    (a, b) => a.frame === b.frame && a.feature === b.feature,
  );
  if (!entry) return null;
  const boxes = entry.boxes.filter((b) => b.frame === frame && b.feature === feature);
  return boxes.map((box, index) => (
    <Box
      key={index}
      data-testid="history-highlight"
      sx={{
        position: 'absolute',
        left: (box.x - view.x) * view.zoom - 2,
        top: (box.y - view.y) * view.zoom - 2,
        width: box.width * view.zoom + 4,
        height: box.height * view.zoom + 4,
        border: '2px dashed #ffeb3b',
        boxShadow: '0 0 0 1px rgba(0,0,0,0.6)',
        pointerEvents: 'none',
      }}
    />
  ));
}
