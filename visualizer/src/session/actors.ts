// Every actor of an open project, one per concern (their machines are in machines/), with the
// server calls that the edit queue and the exporter make. A new concern (a jobs list, the other
// annotators present, an edit history) is one more entry in `createActors`.
import { createActor, fromPromise } from 'xstate';
import * as api from '../api/client';
import { addComment, getDisagreement, listComments, resolveComment } from '../api/campaigns';
import { annotationsMachine } from '../machines/annotations';
import { typeDisplayMachine } from '../machines/cellTypes';
import { commentsMachine } from '../machines/comments';
import { disagreementMachine } from '../machines/disagreement';
import { displayMachine } from '../machines/display';
import { editQueueMachine } from '../machines/editQueue';
import { exportMachine } from '../machines/exporter';
import { learningMachine } from '../machines/learning';
import { historyMachine } from '../machines/history';
import { noticesMachine, type Notice } from '../machines/notices';
import { pickerMachine } from '../machines/picker';
import { proposalsMachine } from '../machines/proposals';
import { selectionMachine } from '../machines/selection';
import { spotsDisplayMachine } from '../machines/spots';
import { toolMachine } from '../machines/tools';
import { uncertainLinksMachine } from '../machines/uncertainLinks';
import { undoMachine } from '../machines/undo';
import { viewersMachine } from '../machines/viewers';
import { viewportMachine } from '../machines/viewport';
import { serverJobMachine } from './jobs';

/** Edits, undos and redos go to the server; polls ask it for other tabs' edits. */
const serverEditQueue = editQueueMachine.provide({
  actors: {
    send: fromPromise(async ({ input }) => {
      const { item, version } = input;
      if (item.kind !== 'edit') {
        const call = item.kind === 'undo' ? api.undo : api.redo;
        return call(input.projectId, version);
      }
      return api.postEdit(input.projectId, { ...item.request, base_version: version });
    }),
    poll: fromPromise(({ input }) => api.getEditsSince(input.projectId, input.version)),
  },
});

/** Who else has the project open: the app's frame goes up, the list comes back. */
const serverViewers = viewersMachine.provide({
  actors: {
    report: fromPromise(({ input }) =>
      api.reportViewing(input.projectId, input.frame, input.feature),
    ),
  },
});

/** Review mode asks which cells of the shown replica's frame disagree with the other replicas. */
const serverDisagreement = disagreementMachine.provide({
  actors: {
    load: fromPromise(({ input }) =>
      getDisagreement(input.projectId, input.others, input.frame, input.feature),
    ),
  },
});

/** Comments pinned to the project's frames, read, added and resolved on the server. */
const serverComments = commentsMachine.provide({
  actors: {
    list: fromPromise(({ input }) => listComments(input.projectId)),
    add: fromPromise(({ input }) => addComment(input.projectId, input.point, input.text)),
    resolve: fromPromise(({ input }) => resolveComment(input.projectId, input.id, input.resolved)),
  },
});

/** The history panel reads the history a page at a time. */
const serverHistory = historyMachine.provide({
  actors: { page: fromPromise(({ input }) => api.getHistory(input.projectId, input.before)) },
});

/** Follow a link to the file, as a click on it would: the browser saves it (from the server or,
 * after a redirect, from S3, which the page's fetches may not reach). */
function openDownload(url: string) {
  const link = document.createElement('a');
  link.href = url;
  link.download = '';
  document.body.appendChild(link);
  link.click();
  link.remove();
}

const size = (bytes: number) =>
  bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MB` : `${Math.ceil(bytes / 1024)} KB`;

/** Download and submit run as server jobs; a finished download is saved by the browser. */
export const serverExporter = exportMachine.provide({
  actors: {
    start: fromPromise(({ input }) =>
      input.kind === 'submit'
        ? api.submitProject(input.projectId)
        : api.startExport(input.projectId, input.format),
    ),
    follow: serverJobMachine,
    deliver: fromPromise(async ({ input }) => {
      if (input.kind === 'submit') {
        const result = input.job.result as api.SubmitResult;
        return `Submitted to ${result.bucket}/${result.key}.`;
      }
      const result = input.job.result as api.ExportResult;
      openDownload(result.download);
      return `Downloaded ${result.name} (${size(result.bytes)}).`;
    }),
  },
});

/** Learning jobs start on the server and are followed there until they end. */
function serverLearning(projectId: string) {
  return learningMachine.provide({
    actors: {
      startJob: fromPromise(({ input }) => {
        const start = {
          embedding: api.startEmbedding,
          classifier: api.startClassifier,
          predictions: api.startPredictions,
        }[input.kind] as (id: string, body: unknown) => Promise<api.Job>;
        return start(projectId, input.body);
      }),
      followJob: serverJobMachine,
      loadKept: fromPromise(({ input }) => api.keptLearning(projectId, input.feature)),
    },
  });
}

export function createActors(metadata: api.ProjectMetadata) {
  return {
    viewport: createActor(viewportMachine, {
      input: { imageWidth: metadata.width, imageHeight: metadata.height },
    }),
    display: createActor(displayMachine, {
      input: {
        channelNames: metadata.channel_names,
        channelRanges: metadata.channel_ranges,
        dtype: metadata.dtype,
        features: metadata.features,
        featureNames: metadata.feature_names,
        frames: metadata.frames,
      },
    }),
    selection: createActor(selectionMachine),
    tools: createActor(toolMachine),
    notices: createActor(noticesMachine),
    undo: createActor(undoMachine, {
      input: { canUndo: metadata.can_undo ?? false, canRedo: metadata.can_redo ?? false },
    }),
    editQueue: createActor(serverEditQueue, {
      input: { projectId: metadata.id, version: metadata.version },
    }),
    exporter: createActor(serverExporter, { input: { projectId: metadata.id } }),
    annotations: createActor(annotationsMachine, {
      input: {
        divisions: metadata.divisions,
        cellTypes: metadata.cellTypes,
        findings: metadata.findings,
        markers: metadata.markers,
      },
    }),
    picker: createActor(pickerMachine),
    proposals: createActor(proposalsMachine),
    uncertainLinks: createActor(uncertainLinksMachine),
    typeDisplay: createActor(typeDisplayMachine),
    spotsDisplay: createActor(spotsDisplayMachine),
    learning: createActor(serverLearning(metadata.id), {
      input: { imported: metadata.embeddings },
    }),
    viewers: createActor(serverViewers, { input: { projectId: metadata.id } }),
    history: createActor(serverHistory, { input: { projectId: metadata.id } }),
    disagreement: createActor(serverDisagreement, { input: { projectId: metadata.id } }),
    comments: createActor(serverComments, { input: { projectId: metadata.id } }),
  };
}

export type SessionActors = ReturnType<typeof createActors>;

export function startActors(actors: SessionActors) {
  for (const actor of Object.values(actors)) actor.start();
}

export function stopActors(actors: SessionActors) {
  for (const actor of Object.values(actors)) actor.stop();
}

/** Spots are not in the metadata: fetched once the project is open. */
export async function loadSpots(
  actors: Pick<SessionActors, 'spotsDisplay'>,
  projectId: string,
  notify: Notify,
) {
  try {
    const spots = await api.getSpots(projectId);
    actors.spotsDisplay.send({ type: 'LOADED', spots });
  } catch (error) {
    notify('error', `Could not load the spots: ${(error as Error).message}`);
  }
}

/** Tell the user something (an error, a hint) through the notices actor. */
export type Notify = (severity: Notice['severity'], message: string) => void;

export function notifier(notices: SessionActors['notices']): Notify {
  return (severity, message) => notices.send({ type: 'PUSH', severity, message });
}

/** Ends what a part of the session listens to. */
export type Disconnect = () => void;

type Subscription = { unsubscribe: () => void } | (() => void);

/** One `Disconnect` for many subscriptions: XState's, or plain unsubscribe functions. */
export function disconnectAll(...subscriptions: Subscription[]): Disconnect {
  return () => {
    for (const subscription of subscriptions) {
      if (typeof subscription === 'function') subscription();
      else subscription.unsubscribe();
    }
  };
}
