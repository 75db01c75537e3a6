/**
 * The scheduling core of `scenec watch`, free of files and models so that it can be tested alone:
 *
 * - changes are debounced (trailing): each one restarts the timer, and the work starts when the
 *   files have been quiet for `debounceMs` (an editor's "save all" and an atomic save's
 *   delete-and-rename arrive as one batch);
 * - then `prepare` turns the batch into a job (compiles the scene), or into nothing (the scene is
 *   broken: the running render, of the last good scene, carries on);
 * - one job runs at a time, and the newest wins: a new job while one runs cancels the running one
 *   (`cancel`, which stops it at its next step) and waits in the one pending slot, replacing any
 *   job already waiting there. No backlog builds up, and two jobs never run at once.
 */

export interface WatchLoopOptions<Job> {
  /** How long the files must be quiet before a batch of changes is acted on. */
  debounceMs: number;
  /** Turns the changes (file paths) into a job, or undefined when there is nothing to run. */
  prepare(changes: readonly string[]): Job | undefined;
  /** Runs one job to its end, or until cancelled; should not reject (a rejection is passed to onError). */
  run(job: Job): Promise<void>;
  /** Asks the running job to stop soon; its `run` then settles. */
  cancel(): void;
  onError?(error: unknown): void;
}

export class WatchLoop<Job> {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly changes = new Set<string>();
  private pending: { job: Job } | undefined;
  private running: Promise<void> | undefined;
  private closed = false;
  private idleWaiters: (() => void)[] = [];
  /** Jobs started so far. */
  started = 0;
  /** Running jobs that were asked to stop for a newer one. */
  superseded = 0;

  constructor(private readonly options: WatchLoopOptions<Job>) {}

  /** A file changed: (re)starts the debounce timer. */
  notify(file: string): void {
    if (this.closed) return;
    this.changes.add(file);
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.fire(), this.options.debounceMs);
  }

  /** Acts on `file` (or the batch so far) now, without waiting for the debounce: the first render. */
  trigger(file?: string): void {
    if (this.closed) return;
    if (file !== undefined) this.changes.add(file);
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.fire();
  }

  /** Whether a render is running or waiting, or changes are waiting for the debounce. */
  get busy(): boolean {
    return this.timer !== undefined || this.running !== undefined || this.pending !== undefined;
  }

  /** Whether changes wait for the debounce, or a job waits for the running one to stop. */
  get waiting(): boolean {
    return this.timer !== undefined || this.pending !== undefined;
  }

  /** Resolves when nothing is running, waiting or being debounced. */
  idle(): Promise<void> {
    if (!this.busy) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops acting on changes, cancels the running job and waits for it to settle. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = undefined;
    if (this.running) {
      this.options.cancel();
      await this.running;
    }
    this.wakeIdle();
  }

  private fire(): void {
    this.timer = undefined;
    const changes = [...this.changes];
    this.changes.clear();
    let job: Job | undefined;
    try {
      job = this.options.prepare(changes);
    } catch (error) {
      this.options.onError?.(error);
    }
    if (job === undefined || this.closed) {
      this.wakeIdle();
      return;
    }
    this.pending = { job };
    if (this.running) {
      this.superseded++;
      this.options.cancel();
      return;
    }
    this.running = this.drain();
  }

  private async drain(): Promise<void> {
    while (this.pending && !this.closed) {
      const { job } = this.pending;
      this.pending = undefined;
      this.started++;
      try {
        await this.options.run(job);
      } catch (error) {
        this.options.onError?.(error);
      }
    }
    this.running = undefined;
    this.wakeIdle();
  }

  private wakeIdle(): void {
    if (this.busy && !this.closed) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const wake of waiters) wake();
  }
}
