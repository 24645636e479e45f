// Two projects side by side (replicas of one image in review): what one shows, the other shows
// too — zoom and pan, frame and feature — whichever of the two the reviewer moves.
import { disconnectAll, type Disconnect, type SessionActors } from './actors';

type Shown = Pick<SessionActors, 'viewport' | 'display'>;

function follow(from: Shown, to: Shown) {
  return [
    from.viewport.subscribe(({ context: { zoom, x, y } }) => {
      const there = to.viewport.getSnapshot().context;
      if (there.zoom !== zoom || there.x !== x || there.y !== y) {
        to.viewport.send({ type: 'SET_VIEW', zoom, x, y });
      }
    }),
    from.display.subscribe(({ context: { frame, feature } }) => {
      const there = to.display.getSnapshot().context;
      if (there.frame !== frame) to.display.send({ type: 'SET_FRAME', frame });
      if (there.feature !== feature) to.display.send({ type: 'SET_FEATURE', feature });
    }),
  ];
}

/** Keep `second` showing what `first` shows, and the other way round; it starts as `first`. */
export function pairViews(first: Shown, second: Shown): Disconnect {
  const { zoom, x, y } = first.viewport.getSnapshot().context;
  const { frame, feature } = first.display.getSnapshot().context;
  second.viewport.send({ type: 'SET_VIEW', zoom, x, y });
  second.display.send({ type: 'SET_FRAME', frame });
  second.display.send({ type: 'SET_FEATURE', feature });
  return disconnectAll(...follow(first, second), ...follow(second, first));
}
