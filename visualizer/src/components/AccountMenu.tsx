// In the top bar: the signed-in account's name, opening a menu of its pages and signing out.
import { useState } from 'react';
import { Avatar, Button, Divider, ListItemText, Menu, MenuItem } from '@mui/material';
import { useSelector } from '@xstate/react';
import { account } from '../account';
import { initial, nameColour } from './PeoplePresent';

export function AccountMenu() {
  const actor = account();
  const me = useSelector(actor, (s) => s.context.me);
  const [anchor, setAnchor] = useState<HTMLElement | null>(null);
  if (!me) return null;
  const name = me.display_name || me.username;
  const close = () => setAnchor(null);
  return (
    <>
      <Button
        color="inherit"
        size="small"
        data-testid="account-menu"
        aria-haspopup="menu"
        onClick={(event) => setAnchor(event.currentTarget)}
        startIcon={
          <Avatar sx={{ width: 24, height: 24, fontSize: 14, bgcolor: nameColour(me.username) }}>
            {initial(name)}
          </Avatar>
        }
        sx={{ textTransform: 'none' }}
      >
        <span data-testid="account-name">{name}</span>
      </Button>
      <Menu anchorEl={anchor} open={!!anchor} onClose={close}>
        <MenuItem disabled>
          <ListItemText
            primary={name}
            secondary={`${me.username}${me.admin ? ' · site admin' : ''}`}
          />
        </MenuItem>
        <Divider />
        <MenuItem component="a" href="/projects" data-testid="menu-projects">
          My projects
        </MenuItem>
        <MenuItem component="a" href="/tokens" data-testid="menu-tokens">
          API tokens
        </MenuItem>
        {me.admin && (
          <MenuItem component="a" href="/admin" data-testid="menu-admin">
            Accounts (admin)
          </MenuItem>
        )}
        <Divider />
        <MenuItem
          data-testid="sign-out"
          onClick={() => {
            close();
            actor.send({ type: 'SIGN_OUT' });
          }}
        >
          Sign out
        </MenuItem>
      </Menu>
    </>
  );
}
