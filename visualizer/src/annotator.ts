// The user's annotator name for the whole app: from the link (`?annotator=`, as crowdsourcing
// platforms send people to a task), else as kept in this browser, else asked for. Kept in local
// storage and given to the API client, which sends it with every request.
import { createActor, type ActorRefFrom } from 'xstate';
import { setAnnotator } from './api/client';
import { annotatorMachine, cleanName, nameProblem } from './machines/annotator';

export const ANNOTATOR_KEY = 'deepcell-label-annotator';

export interface StartingName {
  name: string | null;
  /** A name from the link that breaks the rules, to show corrected in the dialog. */
  suggestion?: string;
  error?: string | null;
}

/** The name to start with; a good name from the link is kept for next time. */
export function startingName(search: string, storage: Pick<Storage, 'getItem' | 'setItem'>) {
  const linked = new URLSearchParams(search).get('annotator');
  if (linked !== null) {
    const error = nameProblem(linked);
    if (!error) {
      storage.setItem(ANNOTATOR_KEY, cleanName(linked));
      return { name: cleanName(linked) };
    }
    return { name: null, suggestion: linked, error: `The link's name is refused: ${error}` };
  }
  const stored = storage.getItem(ANNOTATOR_KEY);
  return { name: stored && !nameProblem(stored) ? stored : null };
}

export type AnnotatorActor = ActorRefFrom<typeof annotatorMachine>;

let actor: AnnotatorActor | null = null;

/** The app's one annotator actor, started on first use. */
export function annotator(): AnnotatorActor {
  if (actor) return actor;
  const start: StartingName = startingName(window.location.search, localStorage);
  if (start.name) setAnnotator(start.name);
  actor = createActor(annotatorMachine, { input: start });
  actor.on('named', ({ name }) => {
    localStorage.setItem(ANNOTATOR_KEY, name);
    setAnnotator(name);
  });
  actor.start();
  return actor;
}
