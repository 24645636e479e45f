// The top bar of the pages around projects: the app's name (home), the page's own buttons,
// the account menu and the theme switch.
import type { ReactNode } from 'react';
import { AppBar, Box, Container, Toolbar, Typography } from '@mui/material';
import { AccountMenu } from './AccountMenu';
import { ThemeToggle } from './ThemeToggle';

export function TopBar({
  title,
  titleTestId,
  dense = false,
  children,
}: {
  title?: string;
  titleTestId?: string;
  /** The project page's slimmer bar. */
  dense?: boolean;
  children?: ReactNode;
}) {
  return (
    <AppBar position="static">
      <Toolbar variant={dense ? 'dense' : 'regular'} sx={{ gap: 1 }}>
        <Typography
          component="a"
          href="/"
          variant="h6"
          sx={{ color: 'inherit', textDecoration: 'none' }}
        >
          DeepCell Label
        </Typography>
        <Typography
          variant={dense ? 'body2' : 'subtitle1'}
          sx={{ flexGrow: 1, opacity: 0.8 }}
          noWrap
          data-testid={titleTestId}
        >
          {title}
        </Typography>
        {children}
        <AccountMenu />
        <ThemeToggle />
      </Toolbar>
    </AppBar>
  );
}

/** A page of the account pages: the top bar above its content, centred. */
export function PageShell({
  title,
  maxWidth = 'md',
  children,
}: {
  title: string;
  maxWidth?: 'md' | 'lg';
  children: ReactNode;
}) {
  return (
    <Box sx={{ minHeight: '100vh', bgcolor: 'background.default' }}>
      <TopBar title={title} />
      <Container maxWidth={maxWidth} sx={{ py: 3 }}>
        {children}
      </Container>
    </Box>
  );
}
