// Light/dark switch shared by both pages.
import { createContext, useContext } from 'react';

export type ThemeMode = 'light' | 'dark';

export const ThemeModeContext = createContext<{ mode: ThemeMode; toggle: () => void }>({
  mode: 'light',
  toggle: () => undefined,
});

export const useThemeMode = () => useContext(ThemeModeContext);
