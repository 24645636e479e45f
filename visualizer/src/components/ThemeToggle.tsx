import { Button } from '@mui/material';
import { useThemeMode } from '../themeMode';

export function ThemeToggle() {
  const { mode, toggle } = useThemeMode();
  return (
    <Button color="inherit" size="small" onClick={toggle} aria-label="Switch light/dark theme">
      {mode === 'light' ? 'Dark theme' : 'Light theme'}
    </Button>
  );
}
