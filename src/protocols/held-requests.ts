// What delay rules hold: requests (delay), responses (delay_response), a throttled connection's mute.
// Every proxy (HTTP, TCP/PostgreSQL, Kafka) waits through one of these, so that stopping a test
// (timeout, Ctrl-C, its end) or closing the proxy lets everything held go on at once: a 60 s delay must
// never keep a stopped test, or the whole run, waiting.
export class HeldRequests {
  private readonly waiting = new Set<() => void>();

  /**
   * Runs `then` after `ms`, or at once when releaseAll() is called (with `released` true). Returns a
   * cancel function that drops it without running it (its connection closed).
   */
  after(ms: number, then: (released: boolean) => void): () => void {
    const release = () => finish(true);
    const finish = (released: boolean) => {
      clearTimeout(timer);
      if (!this.waiting.delete(release)) return;
      then(released);
    };
    const timer = setTimeout(() => finish(false), Math.max(0, ms));
    this.waiting.add(release);
    return () => {
      clearTimeout(timer);
      this.waiting.delete(release);
    };
  }

  /** Resolves after `ms`, or as soon as releaseAll() is called: true when it was released early. */
  hold(ms: number): Promise<boolean> {
    if (ms <= 0) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => void this.after(ms, resolve));
  }

  /** Ends every hold now. */
  releaseAll(): void {
    for (const release of [...this.waiting]) release();
  }

  get size(): number {
    return this.waiting.size;
  }
}
