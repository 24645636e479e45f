import { describe, expect, it, vi } from 'vitest';
import * as api from '../../../src/api/client';
import { acceptEdits, projectPerTest } from './harness';

vi.mock('../../../src/api/client', async (original) =>
  (await import('./standIns')).standInApi(original),
);
vi.mock('../../../src/render/renderer', async (original) =>
  (await import('./standIns')).standInRenderer(original),
);

const project = projectPerTest();
const proposal = { parent: 1, daughters: [5, 6], t: 1, feature: 0 };

describe('linking', () => {
  it('matches the shown frame to the previous or next one, where there is one', async () => {
    const { session } = project;
    acceptEdits();
    session.keys.down('Shift+A');
    expect(project.notices()).toEqual(['There is no previous frame to match to.']);
    session.keys.down('Shift+D');
    session.display.send({ type: 'SET_FRAME', frame: 1 });
    session.keys.down('Shift+A');
    await project.settled();
    expect(project.sentEdits().map((e) => [e.action, e.args, e.frame])).toEqual([
      ['propagate', { from_frame: 1, to_frame: 0 }, 0],
      ['propagate', { from_frame: 0, to_frame: 1 }, 1],
    ]);
  });

  it('copies and interpolates the selected cell', async () => {
    const { session } = project;
    acceptEdits();
    session.keys.down('Shift+C');
    expect(project.notices()).toEqual(['Select a cell first.']);
    session.selection.send({ type: 'SELECT', cell: 3 });
    session.display.send({ type: 'SET_FRAME', frame: 1 });
    session.keys.down('Shift+C');
    // Cell 3 is in frame 1 only: nothing earlier to interpolate from.
    session.keys.down('Shift+I');
    await project.settled();
    expect(project.sentEdits().map((e) => [e.action, e.args])).toEqual([
      ['copy_cell', { cell: 3, from_frame: 0, to_frame: 1 }],
    ]);
    // The hint, and once the server answered, what the copy did (frames counted from 1).
    expect(project.notices()).toEqual([
      'Select a cell first.',
      'Cell 3 is drawn in no earlier frame with a gap before this one.',
      'Copied cell 3 from frame 1 to frame 2.',
    ]);
  });

  it('links the movie as a job and lists what it proposes', async () => {
    const { session } = project;
    acceptEdits();
    const job = {
      id: 'j',
      kind: 'link',
      project: 'p',
      state: 'queued' as const,
      progress: 0,
      message: '',
      result: null,
      error: null,
      attempts: 0,
      created: null,
      started: null,
      finished: null,
    };
    vi.mocked(api.startLink).mockResolvedValue(job);
    vi.mocked(api.getJob).mockResolvedValue({
      ...job,
      state: 'done',
      progress: 1,
      result: {
        version: 6,
        proposed_divisions: [proposal],
        cells_relabelled: 3,
        tracks: 2,
        gaps_closed: 0,
        feature: 0,
      },
    });
    session.keys.down('Shift+L');
    await vi.waitFor(() =>
      expect(session.proposals.getSnapshot().context.proposals).toEqual([proposal]),
    );
    expect(api.startLink).toHaveBeenCalledWith('p', { feature: 0, divisions: true });
    expect(project.notices().at(-1)).toBe(
      'Linked: 2 tracks, 3 cells given new ids, 1 division proposed.',
    );
    session.linking.show(proposal);
    expect(session.display.getSnapshot().context.frame).toBe(1);
    expect(project.selected()).toBe(5);
    session.linking.accept(proposal);
    await project.settled();
    expect(project.sentEdits().map((e) => [e.action, e.args])).toEqual([
      ['add_daughter', { parent: 1, daughters: [5, 6] }],
    ]);
    expect(session.proposals.getSnapshot().context.proposals).toEqual([]);
  });

  it('says why a linking could not start', async () => {
    vi.mocked(api.startLink).mockRejectedValue(new Error('The project has one frame'));
    await project.session.linking.linkMovie();
    expect(project.notices()).toEqual(['Linking could not start: The project has one frame']);
  });
});
