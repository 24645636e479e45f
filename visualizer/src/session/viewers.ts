// Presence: the shown frame and feature go to the viewers actor (which reports them), and the
// server is told when the project is closed or the page goes away.
import { leaveProject } from '../api/client';
import { disconnectAll, type Disconnect, type SessionActors } from './actors';

type Actors = Pick<SessionActors, 'viewers' | 'display'>;

export class Viewers {
  constructor(
    private readonly actors: Actors,
    private readonly projectId: string,
  ) {}

  connect(): Disconnect {
    const { viewers, display } = this.actors;
    const follow = () => {
      const { frame, feature } = display.getSnapshot().context;
      viewers.send({ type: 'POSITION', frame, feature });
    };
    follow();
    const leave = () => this.leave();
    // Test environments stand in a window without events.
    const page = typeof window.addEventListener === 'function' ? window : null;
    page?.addEventListener('pagehide', leave);
    return disconnectAll(display.subscribe(follow), () => {
      page?.removeEventListener('pagehide', leave);
      leave();
    });
  }

  /** No longer listed. */
  leave() {
    void leaveProject(this.projectId);
  }
}
