// One background job of the relayer (a key's submitter, its confirmer, the chain follower), run in rounds: straight
// on to the next round while a round found work, else after `idleMs` or as soon as another job wakes it (the
// submitter wakes its confirmer once it has broadcast). Each job is its own loop, so a key's confirmations do not
// wait behind its next batches, nor either behind the indexer. A round that throws is reported and retried after
// the idle wait: a job never dies of one failure.
export interface WorkerLoopOptions {
  /** The rest between rounds that found no work. */
  idleMs: number;
  /** Told of a round that threw. */
  failed: (error: unknown) => void;
  /** Told of each round's duration, in seconds. */
  observe?: (seconds: number) => void;
}

export class WorkerLoop {
  #running = false;
  #done: Promise<void> = Promise.resolve();
  /** A wake-up that came while a round ran: the next rest is skipped. */
  #woken = false;
  #endRest: (() => void) | undefined;

  /** `round` returns how much work it did (0: none, rest before the next). */
  constructor(
    private readonly round: () => Promise<number>,
    private readonly options: WorkerLoopOptions,
  ) {}

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#done = this.#loop();
  }

  /** Starts the next round now, or right after the current one. */
  wake(): void {
    this.#woken = true;
    this.#endRest?.();
  }

  /**
   * Ends a rest now; a round in progress is not run again for it. For frequent hints (every request the API
   * commits): under load they would otherwise chain empty rounds without end, and a job with work does not rest.
   */
  nudge(): void {
    this.#endRest?.();
  }

  /** Lets the current round finish (every step of a round is persisted as it goes), then resolves. */
  async stop(): Promise<void> {
    this.#running = false;
    this.#endRest?.();
    await this.#done;
  }

  async #loop(): Promise<void> {
    while (this.#running) {
      this.#woken = false;
      const started = performance.now();
      let worked = 0;
      try {
        worked = await this.round();
      } catch (error) {
        this.options.failed(error);
      }
      this.options.observe?.((performance.now() - started) / 1000);
      if (this.#running && worked === 0 && !this.#woken) await this.#rest();
    }
  }

  #rest(): Promise<void> {
    return new Promise<void>((resolve) => {
      const end = () => {
        clearTimeout(timer);
        this.#endRest = undefined;
        resolve();
      };
      const timer = setTimeout(end, this.options.idleMs);
      this.#endRest = end;
    });
  }
}
