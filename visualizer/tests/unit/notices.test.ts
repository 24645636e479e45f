import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createActor } from 'xstate';
import { NOTICE_MS, noticesMachine } from '../../src/machines/notices';

describe('notices', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('lets messages other than errors leave by themselves; errors stay', () => {
    const actor = createActor(noticesMachine).start();
    const messages = () => actor.getSnapshot().context.notices.map((n) => n.message);
    actor.send({ type: 'PUSH', severity: 'error', message: 'refused' });
    actor.send({ type: 'PUSH', severity: 'success', message: 'copied' });
    vi.advanceTimersByTime(NOTICE_MS / 2);
    actor.send({ type: 'PUSH', severity: 'info', message: 'hint' });
    expect(messages()).toEqual(['refused', 'copied', 'hint']);
    vi.advanceTimersByTime(NOTICE_MS / 2);
    expect(messages()).toEqual(['refused', 'hint']);
    vi.advanceTimersByTime(NOTICE_MS);
    expect(messages()).toEqual(['refused']);
  });
});
