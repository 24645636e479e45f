// Asks who the user is, once (the answer is kept in this browser), and again when they click
// their name to change it.
import { useState } from 'react';
import {
  Button,
  Dialog,
  DialogActions,
  DialogContent,
  DialogContentText,
  DialogTitle,
  TextField,
} from '@mui/material';
import { useSelector } from '@xstate/react';
import type { AnnotatorActor } from '../annotator';
import { ANNOTATOR_MAX } from '../machines/annotator';

export function AnnotatorDialog({ annotator }: { annotator: AnnotatorActor }) {
  const asking = useSelector(annotator, (s) => s.matches('asking'));
  const { name, draft, error } = useSelector(annotator, (s) => s.context);
  return (
    <Dialog
      open={asking}
      data-testid="annotator-dialog"
      // Without a name yet, the dialog stays until one is given (or anonymity chosen).
      onClose={() => name !== null && annotator.send({ type: 'CANCEL' })}
    >
      {asking && <NameForm annotator={annotator} initial={draft} error={error} renaming={!!name} />}
    </Dialog>
  );
}

function NameForm({
  annotator,
  initial,
  error,
  renaming,
}: {
  annotator: AnnotatorActor;
  initial: string;
  error: string | null;
  renaming: boolean;
}) {
  const [value, setValue] = useState(initial);
  const submit = () => annotator.send({ type: 'SUBMIT', name: value });
  return (
    <form
      onSubmit={(event) => {
        event.preventDefault();
        submit();
      }}
    >
      <DialogTitle>{renaming ? 'Change your name' : 'Who is labelling?'}</DialogTitle>
      <DialogContent>
        <DialogContentText sx={{ mb: 2 }}>
          Your name goes with every edit, so that others see who changed what, and undo takes back
          only your own edits. It is kept in this browser.
        </DialogContentText>
        <TextField
          autoFocus
          fullWidth
          label="Your name"
          value={value}
          onChange={(event) => setValue(event.target.value)}
          error={!!error}
          helperText={error ?? `Up to ${ANNOTATOR_MAX} letters, digits, spaces and . - _ @ + '`}
          slotProps={{
            htmlInput: { 'data-testid': 'annotator-input', maxLength: ANNOTATOR_MAX * 2 },
            formHelperText: { 'data-testid': 'annotator-help' } as object,
          }}
        />
      </DialogContent>
      <DialogActions>
        {renaming ? (
          <Button onClick={() => annotator.send({ type: 'CANCEL' })}>Cancel</Button>
        ) : (
          <Button
            onClick={() => annotator.send({ type: 'ANONYMOUS' })}
            data-testid="annotator-anonymous"
          >
            Stay anonymous
          </Button>
        )}
        <Button type="submit" variant="contained" data-testid="annotator-save">
          {renaming ? 'Change' : 'Start labelling'}
        </Button>
      </DialogActions>
    </form>
  );
}
