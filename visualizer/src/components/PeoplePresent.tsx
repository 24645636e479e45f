// In the app bar: everyone else who has the project open, by account name, with the frame they
// are on (click to go there). The user's own name is the account menu beside it.
import { Avatar, Chip, Stack, Tooltip } from '@mui/material';
import { useSelector } from '@xstate/react';
import { cellColorCss } from '../render/lookup';
import type { ProjectSession } from '../session';
import { others } from '../machines/viewers';

/** A steady colour per name, so a person keeps theirs across the app. */
export function nameColour(name: string) {
  let hash = 0;
  for (const c of name) hash = (hash * 31 + c.codePointAt(0)!) >>> 0;
  return cellColorCss((hash % 997) + 1);
}

export function initial(name: string) {
  return [...name][0]?.toUpperCase() ?? '?';
}

export function PeoplePresent({ session }: { session: ProjectSession }) {
  const present = useSelector(session.viewers, (s) => others(s.context.viewers));
  const failing = useSelector(session.viewers, (s) => s.context.failing);
  const several = session.metadata.features > 1;
  return (
    <Stack direction="row" spacing={0.5} sx={{ alignItems: 'center' }} data-testid="viewers">
      {present.map((viewer) => (
        <Tooltip
          key={viewer.annotator}
          title={`${viewer.annotator} has this project open${failing ? ' (as last heard)' : ''}`}
        >
          <Chip
            size="small"
            data-testid="viewer"
            avatar={
              <Avatar sx={{ bgcolor: nameColour(viewer.annotator) }}>
                {initial(viewer.annotator)}
              </Avatar>
            }
            label={
              <span data-testid="viewer-label">
                {`${viewer.annotator} · frame ${viewer.frame + 1}${
                  several ? `, feature ${viewer.feature + 1}` : ''
                }`}
              </span>
            }
            sx={{ color: 'inherit', borderColor: 'currentColor' }}
            variant="outlined"
            onClick={() => {
              session.display.send({ type: 'SET_FEATURE', feature: viewer.feature });
              session.display.send({ type: 'SET_FRAME', frame: viewer.frame });
            }}
          />
        </Tooltip>
      ))}
    </Stack>
  );
}
