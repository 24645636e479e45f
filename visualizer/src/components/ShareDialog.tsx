// The project's sharing, for its owners: people by username with a role (viewer, annotator,
// reviewer, owner), changed or removed; and share links with a role and an expiry, copied or
// revoked. Opening a link (signed in) gives its role on the project.
import { useState } from 'react';
import {
  Button,
  Dialog,
  DialogActions,
  DialogContent,
  DialogTitle,
  IconButton,
  Stack,
  Table,
  TableBody,
  TableCell,
  TableRow,
  TextField,
  Typography,
} from '@mui/material';
import { useSelector } from '@xstate/react';
import {
  ROLES,
  createShareLink,
  listMembers,
  listShareLinks,
  removeMember,
  revokeShareLink,
  setMember,
  type Member,
  type Role,
  type ShareLink,
} from '../api/accounts';
import { listed, type Change } from '../machines/listing';
import { CopyBox, ExpirySelect, ListError, copyText, useListing, when } from './lists';

/** What each role may do, in words for the one who gives it. */
export const ROLE_WORDS: Record<Role, string> = {
  viewer: 'viewer — sees and exports',
  annotator: 'annotator — also edits',
  reviewer: 'reviewer — also accepts or rejects',
  owner: 'owner — also shares and deletes',
};

/** A link of this site, whole, to paste into an e-mail. */
export const absoluteUrl = (path: string) => new URL(path, window.location.origin).toString();

export function RoleSelect({
  value,
  onChange,
  testId,
  roles = ROLES,
  label = 'Role',
}: {
  value: Role;
  onChange: (role: Role) => void;
  testId: string;
  roles?: readonly Role[];
  label?: string;
}) {
  return (
    <TextField
      select
      size="small"
      label={label}
      value={value}
      onChange={(event) => onChange(event.target.value as Role)}
      slotProps={{ select: { native: true }, htmlInput: { 'data-testid': testId } }}
      sx={{ minWidth: 150 }}
    >
      {roles.map((role) => (
        <option key={role} value={role}>
          {ROLE_WORDS[role]}
        </option>
      ))}
    </TextField>
  );
}

function People({ projectId }: { projectId: string }) {
  const members = useListing(
    async () => ({ items: await listMembers(projectId) }),
    (change: Change) =>
      change.remove
        ? removeMember(projectId, change.username as string)
        : setMember(projectId, change.username as string, change.role as Role),
  );
  const { items } = useSelector(members, (s) => listed<Member>(s.context));
  const busy = useSelector(members, (s) => !s.matches('ready'));
  const [username, setUsername] = useState('');
  const [role, setRole] = useState<Role>('annotator');
  const change = (change: Change) => members.send({ type: 'CHANGE', change });
  return (
    <Stack spacing={1}>
      <Typography variant="subtitle1">People</Typography>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          change({ username: username.trim(), role });
          setUsername('');
        }}
      >
        <Stack direction="row" spacing={1}>
          <TextField
            size="small"
            label="Username"
            value={username}
            onChange={(event) => setUsername(event.target.value)}
            slotProps={{ htmlInput: { 'data-testid': 'member-username', maxLength: 200 } }}
            sx={{ flex: 1 }}
          />
          <RoleSelect value={role} onChange={setRole} testId="member-role" />
          <Button
            type="submit"
            variant="contained"
            disabled={busy || !username.trim()}
            data-testid="member-add"
          >
            Add
          </Button>
        </Stack>
      </form>
      <ListError list={members} testId="member-error" />
      <Table size="small">
        <TableBody>
          {items.map((member) => (
            <TableRow
              key={member.username}
              data-testid="member-row"
              data-username={member.username}
            >
              <TableCell>
                {member.display_name || member.username}
                <Typography variant="caption" color="text.secondary" sx={{ ml: 1 }}>
                  {member.username}
                </Typography>
              </TableCell>
              <TableCell>
                <RoleSelect
                  value={member.role}
                  label="Role"
                  testId="member-row-role"
                  onChange={(next) => change({ username: member.username, role: next })}
                />
              </TableCell>
              <TableCell align="right">
                <IconButton
                  size="small"
                  aria-label={`Remove ${member.username}`}
                  disabled={busy}
                  data-testid="member-remove"
                  onClick={() => change({ username: member.username, remove: true })}
                >
                  ✕
                </IconButton>
              </TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
    </Stack>
  );
}

const LINK_ROLES: Role[] = ['viewer', 'annotator', 'reviewer'];

function Links({ projectId }: { projectId: string }) {
  const links = useListing(
    async () => ({ items: await listShareLinks(projectId) }),
    (change: Change) =>
      change.revoke
        ? revokeShareLink(projectId, change.revoke as string)
        : createShareLink(projectId, change.role as Role, change.days as number | null),
  );
  const { items, result } = useSelector(links, (s) => listed<ShareLink, ShareLink>(s.context));
  const busy = useSelector(links, (s) => !s.matches('ready'));
  const [role, setRole] = useState<Role>('viewer');
  const [days, setDays] = useState<number | null>(7);
  return (
    <Stack spacing={1} sx={{ mt: 3 }}>
      <Typography variant="subtitle1">Share links</Typography>
      <Typography variant="body2" color="text.secondary">
        Whoever opens a link while signed in gets its role on this project, until it expires or is
        revoked.
      </Typography>
      <Stack direction="row" spacing={1}>
        <RoleSelect value={role} onChange={setRole} testId="link-role" roles={LINK_ROLES} />
        <ExpirySelect value={days} onChange={setDays} testId="link-expiry" />
        <Button
          variant="contained"
          disabled={busy}
          data-testid="link-create"
          onClick={() => links.send({ type: 'CHANGE', change: { role, days } })}
        >
          Create link
        </Button>
      </Stack>
      {result?.url && (
        <CopyBox
          value={absoluteUrl(result.url)}
          testId="new-link"
          note={`A link that makes its opener ${result.role}. Send it to whoever should have it.`}
          onDone={() => links.send({ type: 'DISMISS' })}
        />
      )}
      <ListError list={links} testId="link-error" />
      <Table size="small">
        <TableBody>
          {items.map((link) => (
            <TableRow key={link.id} data-testid="link-row">
              <TableCell>{link.role}</TableCell>
              <TableCell>expires {when(link.expires, 'never')}</TableCell>
              <TableCell>
                opened {link.uses} time{link.uses === 1 ? '' : 's'}
              </TableCell>
              <TableCell align="right">
                <Button
                  size="small"
                  data-testid="link-copy"
                  onClick={() => void copyText(absoluteUrl(link.url))}
                >
                  Copy
                </Button>
                <Button
                  size="small"
                  color="error"
                  disabled={busy}
                  data-testid="link-revoke"
                  onClick={() => links.send({ type: 'CHANGE', change: { revoke: link.id } })}
                >
                  Revoke
                </Button>
              </TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
    </Stack>
  );
}

export function ShareDialog({
  projectId,
  open,
  onClose,
}: {
  projectId: string;
  open: boolean;
  onClose: () => void;
}) {
  return (
    <Dialog open={open} onClose={onClose} maxWidth="md" fullWidth data-testid="share-dialog">
      <DialogTitle>Share this project</DialogTitle>
      <DialogContent>
        {open && (
          <>
            <People projectId={projectId} />
            <Links projectId={projectId} />
          </>
        )}
      </DialogContent>
      <DialogActions>
        <Button onClick={onClose} data-testid="share-close">
          Done
        </Button>
      </DialogActions>
    </Dialog>
  );
}
