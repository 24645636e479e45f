// What a viewer may not do stays in sight, disabled at once, with the reason (the server refuses
// it too: these actions need the annotator role).
import type { ReactNode } from 'react';
import { Box, Typography } from '@mui/material';
import type { ProjectSession } from '../session';

/** Why a viewer cannot use a part: `what` it does needs a higher role. */
export const needsAnnotator = (what: string) => `View only: ${what} needs the annotator role.`;

/**
 * `children` as they are, or for a viewer disabled under the reason: a disabled fieldset greys
 * the buttons and fields, and `inert` also stops the controls that are not form elements (menus).
 */
export function ViewerDisabled({
  session,
  what,
  children,
}: {
  session: ProjectSession;
  /** What the part does, in the reason's words ("segmenting"). */
  what: string;
  children: ReactNode;
}) {
  if (!session.readOnly) return children;
  return (
    <Box
      component="fieldset"
      disabled
      data-testid="view-only-part"
      sx={{ border: 0, m: 0, p: 0, minWidth: 0 }}
    >
      <Typography
        variant="caption"
        color="text.secondary"
        data-testid="view-only-reason"
        sx={{ display: 'block', px: 1, pt: 1 }}
      >
        {needsAnnotator(what)}
      </Typography>
      <Box inert sx={{ opacity: 0.5 }}>
        {children}
      </Box>
    </Box>
  );
}
