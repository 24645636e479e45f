// The pieces the account pages share: a server list as an actor (machines/listing.ts), its
// error line, an expiry choice, a secret shown once with a copy button, and dates in words.
import { useMemo, useState } from 'react';
import {
  Alert,
  Button,
  FormControl,
  InputLabel,
  MenuItem,
  Select,
  Stack,
  TextField,
  Typography,
} from '@mui/material';
import { useActorRef, useSelector } from '@xstate/react';
import { fromPromise, type ActorRefFrom } from 'xstate';
import { listingMachine, type Change, type Listed } from '../machines/listing';

export type ListingActor = ActorRefFrom<typeof listingMachine>;

/** A list kept by the server: `load` a page of it, send it `change`s. */
export function useListing(
  load: (page: number, perPage: number) => Promise<Listed>,
  change: (change: Change) => Promise<unknown>,
  perPage?: number,
): ListingActor {
  // The loaders are module-level functions or closures over fixed ids: made once per list.
  const machine = useMemo(
    () =>
      listingMachine.provide({
        actors: {
          load: fromPromise(({ input }) => load(input.page, input.perPage)),
          change: fromPromise(({ input }) => change(input)),
        },
      }),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [],
  );
  return useActorRef(machine, { input: { perPage } });
}

/** The list's last error, dismissable. */
export function ListError({ list, testId }: { list: ListingActor; testId: string }) {
  const error = useSelector(list, (s) => s.context.error);
  if (!error) return null;
  return (
    <Alert severity="error" data-testid={testId} onClose={() => list.send({ type: 'DISMISS' })}>
      {error}
    </Alert>
  );
}

export const EXPIRIES: [number | null, string][] = [
  [7, '7 days'],
  [30, '30 days'],
  [90, '90 days'],
  [365, 'a year'],
  [null, 'never'],
];

export function ExpirySelect({
  value,
  onChange,
  testId,
}: {
  value: number | null;
  onChange: (days: number | null) => void;
  testId: string;
}) {
  return (
    <FormControl size="small" sx={{ minWidth: 140 }}>
      <InputLabel id={`${testId}-label`}>Expires after</InputLabel>
      <Select
        labelId={`${testId}-label`}
        label="Expires after"
        value={value === null ? 'never' : String(value)}
        onChange={(event) =>
          onChange(event.target.value === 'never' ? null : Number(event.target.value))
        }
        data-testid={testId}
      >
        {EXPIRIES.map(([days, words]) => (
          <MenuItem key={words} value={days === null ? 'never' : String(days)}>
            {words}
          </MenuItem>
        ))}
      </Select>
    </FormControl>
  );
}

/** Put text on the clipboard; false when the browser refuses (the person copies by hand). */
export async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}

/** A secret or a link to hand on, with a copy button and what to know about it. */
export function CopyBox({
  value,
  note,
  testId,
  onDone,
}: {
  value: string;
  note: string;
  testId: string;
  onDone?: () => void;
}) {
  const [copied, setCopied] = useState<boolean | null>(null);
  return (
    <Alert severity="success" data-testid={`${testId}-box`} onClose={onDone}>
      <Typography variant="body2" gutterBottom>
        {note}
      </Typography>
      <Stack direction="row" spacing={1} sx={{ alignItems: 'center' }}>
        <TextField
          size="small"
          value={value}
          sx={{ minWidth: 360, fontFamily: 'monospace' }}
          slotProps={{
            htmlInput: {
              readOnly: true,
              'data-testid': testId,
              onFocus: (event: { target: HTMLInputElement }) => event.target.select(),
            },
          }}
        />
        <Button
          size="small"
          variant="outlined"
          data-testid={`${testId}-copy`}
          onClick={async () => setCopied(await copyText(value))}
        >
          {copied ? 'Copied' : 'Copy'}
        </Button>
      </Stack>
      {copied === false && (
        <Typography variant="caption">
          The browser did not allow copying: select the text and copy it by hand.
        </Typography>
      )}
    </Alert>
  );
}

/** A server time in the reader's words; `fallback` for none. */
export function when(iso: string | null | undefined, fallback = '—'): string {
  if (!iso) return fallback;
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}
