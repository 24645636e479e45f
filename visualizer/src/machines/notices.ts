// Messages for the user: errors stay until dismissed; hints and what an action did leave by
// themselves after a few seconds.
import { assign, raise, setup } from 'xstate';

export interface Notice {
  id: number;
  severity: 'error' | 'warning' | 'info' | 'success';
  message: string;
}

export type NoticeEvent =
  { type: 'PUSH'; severity: Notice['severity']; message: string } | { type: 'DISMISS'; id: number };

const MAX_NOTICES = 4;
/** How long a message other than an error stays. */
export const NOTICE_MS = 6000;

export const noticesMachine = setup({
  types: { context: {} as { notices: Notice[]; nextId: number }, events: {} as NoticeEvent },
  delays: { noticeMs: NOTICE_MS },
  actions: {
    add: assign(({ context, event }) => {
      if (event.type !== 'PUSH') return {};
      return {
        notices: [
          ...context.notices.filter((n) => n.message !== event.message),
          { id: context.nextId, severity: event.severity, message: event.message },
        ].slice(-MAX_NOTICES),
        nextId: context.nextId + 1,
      };
    }),
  },
}).createMachine({
  id: 'notices',
  context: { notices: [], nextId: 1 },
  on: {
    PUSH: [
      { guard: ({ event }) => event.severity === 'error', actions: 'add' },
      {
        actions: [
          'add',
          raise(({ context }) => ({ type: 'DISMISS' as const, id: context.nextId - 1 }), {
            delay: 'noticeMs',
          }),
        ],
      },
    ],
    DISMISS: {
      actions: assign({
        notices: ({ context, event }) => context.notices.filter((n) => n.id !== event.id),
      }),
    },
  },
});
