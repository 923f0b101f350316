/**
 * Group commit: writes queued during one turn of the event loop are committed together, in one transaction,
 * and each caller's promise settles when that transaction has committed (or failed). Under load this turns
 * N fsyncs into one without answering anyone before their data is durable. While a commit is in flight the
 * next batch gathers, so there is at most one transaction at a time per store.
 */
export class GroupCommit<T> {
  private queue: Array<{ item: T; resolve: () => void; reject: (e: unknown) => void }> = [];
  private scheduled = false;
  private running: Promise<void> | undefined;

  constructor(
    private readonly commit: (items: T[]) => Promise<void> | void,
    private readonly maxBatch = 500,
  ) {}

  add(item: T): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.schedule();
    });
  }

  /** Resolves when everything queued so far has been committed or has failed. */
  async flush(): Promise<void> {
    while (this.queue.length > 0 || this.running || this.scheduled) {
      if (this.running) await this.running.catch(() => undefined);
      else await new Promise<void>((r) => setImmediate(r));
    }
  }

  private schedule(): void {
    if (this.scheduled || this.running) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.run();
    });
  }

  private async run(): Promise<void> {
    const batch = this.queue.splice(0, this.maxBatch);
    if (batch.length === 0) return;
    this.running = (async () => {
      try {
        await this.commit(batch.map((b) => b.item));
        for (const b of batch) b.resolve();
      } catch (e) {
        for (const b of batch) b.reject(e);
      }
    })();
    await this.running;
    this.running = undefined;
    if (this.queue.length > 0) this.schedule();
  }
}
