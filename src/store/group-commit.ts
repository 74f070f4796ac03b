/**
 * Group commit: writes that arrive while one is in flight wait and go together in the next statement, so
 * N concurrent requests cost one round trip and one commit instead of N. Each caller's promise settles
 * only when the statement holding its item has committed, so an acknowledgement still means stored.
 *
 * `write` gets the items in arrival order and returns one result per item, in the same order. When a batch
 * fails, its items are retried one by one, so a single bad item fails alone and the rest still commit.
 */
export class GroupCommit<I, O> {
  private queue: Array<{ item: I; resolve: (o: O) => void; reject: (e: unknown) => void }> = [];
  private draining = false;
  /** Batches written so far and the items in them (what tests and benchmarks read). */
  readonly stats = { batches: 0, items: 0, largest: 0 };

  constructor(
    private readonly write: (items: I[]) => Promise<O[]>,
    private readonly maxBatch = 256,
  ) {}

  add(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (!this.draining) {
        this.draining = true;
        // Let the requests already parsed in this turn of the event loop join the first batch.
        setImmediate(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.maxBatch);
        this.stats.batches++;
        this.stats.items += batch.length;
        this.stats.largest = Math.max(this.stats.largest, batch.length);
        try {
          const out = await this.write(batch.map((b) => b.item));
          for (let i = 0; i < batch.length; i++) batch[i].resolve(out[i]);
        } catch (error) {
          if (batch.length === 1) {
            batch[0].reject(error);
            continue;
          }
          for (const b of batch) {
            try {
              b.resolve((await this.write([b.item]))[0]);
            } catch (alone) {
              b.reject(alone);
            }
          }
        }
      }
    } finally {
      this.draining = false;
    }
  }
}
