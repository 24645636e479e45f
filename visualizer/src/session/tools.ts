// What the tool machine's output does: an edit goes to the queue, a pick to the selection, a stroke
// onto the preview, a hint to the notices. The tool machine itself knows none of these.
import type { ToolEmitted } from '../machines/tools';
import type { Disconnect, Notify, SessionActors } from './actors';
import type { Edits } from './edits';

export function connectTools(
  actors: Pick<SessionActors, 'tools' | 'selection'>,
  edits: Edits,
  notify: Notify,
): Disconnect {
  const subscription = actors.tools.on('*', (emitted) => {
    const event = emitted as ToolEmitted;
    switch (event.type) {
      case 'edit':
        edits.send(event.action, event.args);
        break;
      case 'pick':
        actors.selection.send({ type: 'CLICK', cells: event.cells });
        break;
      case 'stroke':
        edits.drawStroke(event);
        break;
      case 'notice':
        notify('info', event.message);
        break;
    }
  });
  return () => subscription.unsubscribe();
}
