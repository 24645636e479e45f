// Fetches tiles with a bounded number in flight. Each view states the tiles it wants, most
// important first; the newest view's wants go first, and fetches for tiles no view wants any more
// are aborted.

export interface TileRequest {
  key: string;
  /** Fetch the tile; must stop when the signal aborts. */
  run: (signal: AbortSignal) => Promise<void>;
}

export const MAX_IN_FLIGHT = 6;

export class TileLoader {
  private queue: TileRequest[] = [];
  private running = new Map<string, AbortController>();

  constructor(
    private readonly maxInFlight = MAX_IN_FLIGHT,
    private readonly onError: (key: string, error: unknown) => void = () => undefined,
  ) {}

  /**
   * Replace what is wanted: `requests` in order of importance. Queued requests not in the list are
   * dropped and running ones are aborted; running ones still wanted continue.
   */
  want(requests: TileRequest[]) {
    const wanted = new Set(requests.map((r) => r.key));
    for (const [key, controller] of this.running) {
      if (!wanted.has(key)) controller.abort();
    }
    // A fetch aborted a moment ago but wanted again starts anew.
    this.queue = requests.filter((r) => this.running.get(r.key)?.signal.aborted !== false);
    this.pump();
  }

  /** Requests queued or running. */
  get pending(): number {
    return this.queue.length + this.running.size;
  }

  cancelAll() {
    this.queue = [];
    for (const controller of this.running.values()) controller.abort();
  }

  private pump() {
    while (this.running.size < this.maxInFlight && this.queue.length) {
      const request = this.queue.shift()!;
      const controller = new AbortController();
      request
        .run(controller.signal)
        .catch((error) => {
          if (!controller.signal.aborted) this.onError(request.key, error);
        })
        .finally(() => {
          if (this.running.get(request.key) === controller) {
            this.running.delete(request.key);
          }
          this.pump();
        });
      this.running.set(request.key, controller);
    }
  }
}
