// Messages for the user (errors, hints), shown until dismissed or replaced.
import { assign, setup } from 'xstate';

export interface Notice {
  id: number;
  severity: 'error' | 'warning' | 'info' | 'success';
  message: string;
}

export type NoticeEvent =
  { type: 'PUSH'; severity: Notice['severity']; message: string } | { type: 'DISMISS'; id: number };

const MAX_NOTICES = 4;

export const noticesMachine = setup({
  types: { context: {} as { notices: Notice[]; nextId: number }, events: {} as NoticeEvent },
}).createMachine({
  id: 'notices',
  context: { notices: [], nextId: 1 },
  on: {
    PUSH: {
      actions: assign(({ context, event }) => ({
        notices: [
          ...context.notices.filter((n) => n.message !== event.message),
          { id: context.nextId, severity: event.severity, message: event.message },
        ].slice(-MAX_NOTICES),
        nextId: context.nextId + 1,
      })),
    },
    DISMISS: {
      actions: assign({
        notices: ({ context, event }) => context.notices.filter((n) => n.id !== event.id),
      }),
    },
  },
});
