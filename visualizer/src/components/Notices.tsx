import { Alert, Stack } from '@mui/material';
import { useSelector } from '@xstate/react';
import type { ProjectSession } from '../session';

export function Notices({ session }: { session: ProjectSession }) {
  const notices = useSelector(session.notices, (s) => s.context.notices);
  return (
    <Stack
      spacing={1}
      sx={{
        position: 'fixed',
        bottom: 16,
        left: '50%',
        transform: 'translateX(-50%)',
        zIndex: 1400,
        maxWidth: 640,
      }}
    >
      {notices.map((n) => (
        <Alert
          key={n.id}
          severity={n.severity}
          data-testid="notice"
          onClose={() => session.notices.send({ type: 'DISMISS', id: n.id })}
        >
          {n.message}
        </Alert>
      ))}
    </Stack>
  );
}
