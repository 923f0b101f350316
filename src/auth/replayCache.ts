/** jti replay protection: remember each (iss, jti) until its token could no longer be accepted anyway. */

export interface ReplayCache {
  /**
   * True when `key` was not seen (or its entry has expired) — the token may be used and is now remembered
   * until `expiresAtSec` (epoch seconds). False when it is a replay. Shared stores (Redis SET NX EXAT, the
   * SQLite file shared by a machine's workers) are asynchronous; one that cannot answer throws
   * StateUnavailableError (the request then gets 503, never 200 without the check and never 401).
   */
  checkAndRemember(key: string, expiresAtSec: number, issuedAtSec?: number): boolean | Promise<boolean>;
}

interface Entry {
  key: string;
  expiresAtSec: number;
}

/**
 * Bounded in-process cache. Entries sit in a min-heap by expiry, so expired entries are dropped first in
 * O(log n). When it is full of live entries, the one that expires soonest is evicted rather than the least
 * recently used: every entry is written once and read only on a replay, so "recently used" carries no signal,
 * while the soonest-expiring entry is the one whose loss opens the shortest replay window.
 * Per process: with several workers a replay can land on another worker (use a shared store there).
 */
export class MemoryReplayCache implements ReplayCache {
  private readonly live = new Map<string, number>();
  private readonly heap: Entry[] = [];

  constructor(
    private readonly capacity: number,
    /** Milliseconds, like Date.now. */
    private readonly now: () => number = Date.now,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('replay cache capacity must be a positive integer');
  }

  get size(): number {
    return this.live.size;
  }

  checkAndRemember(key: string, expiresAtSec: number): boolean {
    this.dropExpired(this.now() / 1000);
    // After dropExpired every remaining entry is live, so any hit is a replay.
    if (this.live.has(key)) return false;
    if (this.live.size >= this.capacity) this.popMin();
    this.live.set(key, expiresAtSec);
    this.push({ key, expiresAtSec });
    return true;
  }

  private dropExpired(nowSec: number): void {
    while (this.heap.length > 0 && this.heap[0]!.expiresAtSec <= nowSec) this.popMin();
  }

  private popMin(): void {
    const top = this.heap[0];
    if (!top) return;
    this.live.delete(top.key);
    const last = this.heap.pop()!;
    if (this.heap.length === 0) return;
    this.heap[0] = last;
    this.siftDown(0);
  }

  private push(e: Entry): void {
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (h[parent]!.expiresAtSec <= h[i]!.expiresAtSec) break;
      [h[parent], h[i]] = [h[i]!, h[parent]!];
      i = parent;
    }
  }

  private siftDown(i: number): void {
    const h = this.heap;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && h[l]!.expiresAtSec < h[m]!.expiresAtSec) m = l;
      if (r < h.length && h[r]!.expiresAtSec < h[m]!.expiresAtSec) m = r;
      if (m === i) return;
      [h[m], h[i]] = [h[i]!, h[m]!];
      i = m;
    }
  }
}
