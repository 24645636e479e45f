// Spot display settings, shown when the project has spots.
import { Stack, Typography } from '@mui/material';
import { useSelector } from '@xstate/react';
import { shortcutFor } from '../keymap';
import type { ProjectSession } from '../session';
import { LabeledSlider, LabeledSwitch } from './controls';

export function SpotsPanel({ session }: { session: ProjectSession }) {
  const settings = useSelector(session.spotsDisplay, (s) => s.context);
  const count = session.metadata.spots?.count ?? 0;
  if (!count) return null;
  const send = session.spotsDisplay.send.bind(session.spotsDisplay);
  return (
    <Stack spacing={0.5} sx={{ p: 1 }} data-testid="spots-panel">
      <Typography variant="overline">Spots ({count})</Typography>
      <LabeledSwitch
        label={`Show spots (${shortcutFor('toggleSpots')})`}
        checked={settings.show}
        onChange={() => send({ type: 'TOGGLE' })}
      />
      <LabeledSwitch
        label="Colour by cell"
        checked={settings.colorByCell}
        onChange={() => send({ type: 'TOGGLE_COLOR_BY_CELL' })}
      />
      <LabeledSlider
        label="Radius (image pixels)"
        min={0.25}
        max={10}
        value={settings.radius}
        testId="spot-radius"
        onChange={(radius) => send({ type: 'SET_RADIUS', radius })}
      />
      <LabeledSlider
        label="Opacity"
        min={0}
        max={1}
        value={settings.opacity}
        onChange={(opacity) => send({ type: 'SET_OPACITY', opacity })}
      />
    </Stack>
  );
}
