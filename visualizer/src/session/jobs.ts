// The job machine wired to the server: follow a job (an export, training, linking) to its end.
import { createActor, fromPromise } from 'xstate';
import { jobMachine } from '../machines/job';
import { cancelJob, getJob, type Job } from '../api/client';

export const serverJobMachine = jobMachine.provide({
  actors: {
    fetchJob: fromPromise(({ input }) => getJob(input.jobId)),
    cancelJob: fromPromise(({ input }) => cancelJob(input.jobId)),
  },
});

/** Start following a job the server answered with. */
export function followJob(job: Job, every = 500) {
  return createActor(serverJobMachine, { input: { jobId: job.id, job, every } }).start();
}
