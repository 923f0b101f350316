/** jti replay protection: remember each (iss, jti) until its token could no longer be accepted anyway. */
import crypto from 'node:crypto';

export interface ReplayCache {
  /**
   * True when `key` was not seen (or its entry has expired) — the token may be used and is now remembered
   * until `expiresAtSec` (epoch seconds). False when it is a replay. Shared stores (Redis SET NX EXAT, the
   * SQLite file shared by a machine's workers) are asynchronous; one that cannot answer throws
   * StateUnavailableError (the request then gets 503, never 200 without the check and never 401).
   */
  checkAndRemember(key: string, expiresAtSec: number, issuedAtSec?: number): boolean | Promise<boolean>;
}

/** Largest capacity accepted: slot indices and the hash table (twice the slots) stay within Int32. */
export const MAX_REPLAY_CACHE_CAPACITY = 2 ** 28;

const NONE = -1;

/** The one-shot crypto.hash (Node ≥ 20.12) is about a third cheaper than a Hash object per call. */
const hashOnce = (crypto as { hash?: typeof crypto.hash }).hash;

/** SHA-256 over the key's UTF-16 code units, so that distinct keys (lone surrogates too) hash distinct input. */
function sha256(key: string): Buffer {
  const units = Buffer.from(key, 'utf16le');
  return hashOnce ? hashOnce('sha256', units, 'buffer') : crypto.createHash('sha256').update(units).digest();
}

/** Slots allocated first; the arrays then double as the cache fills, up to its capacity. */
const MIN_SLOTS = 1024;

/**
 * Bounded in-process cache in typed arrays: about 42 bytes per entry, none of it a JS object, so a full cache
 * adds nothing for the garbage collector to trace. Each entry is a slot holding the key's fingerprint (the
 * first 128 bits of SHA-256 over its UTF-16 code units: a collision, about n²/2¹²⁹, could only refuse a fresh
 * token as a replay, never accept a replayed one), its expiry, and its links in the list of entries that
 * expire within the same second. An open-addressing table (linear probing, at most half full) finds a slot
 * by fingerprint; the seconds that have entries sit in a small min-heap (one element per second, not per key).
 * Every operation is O(1) apart from that heap, which is touched once per distinct expiry second.
 *
 * Each call first drops every second that has fully passed. When the cache is full of live entries, an entry
 * of the soonest-expiring second is evicted rather than the oldest or least recently used: every entry is
 * written once and read only on a replay, so "recently used" carries no signal, while the soonest-expiring
 * entry is the one whose loss opens the shortest replay window (it could be replayed until its own exp + skew);
 * `evictions` counts them. Per process: with several workers a replay can land on another worker (use a
 * shared store there).
 */
export class MemoryReplayCache implements ReplayCache {
  /** Slots in use: live entries, and expired ones whose second has not fully passed yet. */
  private count = 0;
  private slots = 0;
  /** Four 32-bit words of fingerprint per slot. */
  private fp = new Uint32Array(0);
  /** expiresAtSec per slot, exactly as given. */
  private exp = new Float64Array(0);
  /** Next slot in the same second's list, or in the free list. */
  private next = new Int32Array(0);
  private prev = new Int32Array(0);
  private freeHead = NONE;
  /** slot + 1 (0 = empty), at the fingerprint's first word modulo the size (a power of two, never full). */
  private table = new Int32Array(1);
  private mask = 0;
  /** Expiry second (Math.ceil) → first slot of its list; NONE once emptied, until the heap pops it. */
  private readonly heads = new Map<number, number>();
  /** Min-heap of the keys of `heads`. */
  private readonly seconds: number[] = [];
  private evictedLive = 0;

  constructor(
    private readonly capacity: number,
    /** Milliseconds, like Date.now. */
    private readonly now: () => number = Date.now,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1 || capacity > MAX_REPLAY_CACHE_CAPACITY) {
      throw new RangeError(`replay cache capacity must be an integer from 1 to ${MAX_REPLAY_CACHE_CAPACITY}`);
    }
  }

  get size(): number {
    return this.count;
  }

  /** Entries evicted while still live because the cache was full: each reopened a replay window. */
  get evictions(): number {
    return this.evictedLive;
  }

  checkAndRemember(key: string, expiresAtSec: number): boolean {
    if (Number.isNaN(expiresAtSec)) throw new RangeError('replay cache expiry must be a number');
    const nowSec = this.now() / 1000;
    this.dropExpired(nowSec);
    const digest = sha256(key);
    const w0 = digest.readUInt32LE(0);
    const w1 = digest.readUInt32LE(4);
    const w2 = digest.readUInt32LE(8);
    const w3 = digest.readUInt32LE(12);
    const found = this.find(w0, w1, w2, w3);
    if (found !== NONE) {
      if (this.exp[found]! > nowSec) return false;
      // Expired within the current, partly elapsed second: not a replay.
      this.remove(found);
    }
    // Already expired: nothing to remember (the verifier refuses such tokens before asking).
    if (expiresAtSec <= nowSec) return true;
    if (this.count >= this.capacity) this.evictSoonest(nowSec);
    const s = this.allocate();
    const fp = this.fp;
    fp[4 * s] = w0;
    fp[4 * s + 1] = w1;
    fp[4 * s + 2] = w2;
    fp[4 * s + 3] = w3;
    this.exp[s] = expiresAtSec;
    this.index(s);
    this.link(s, Math.ceil(expiresAtSec));
    this.count++;
    return true;
  }

  /** Frees every slot of every second that has fully passed (each has expiresAtSec ≤ its second ≤ now). */
  private dropExpired(nowSec: number): void {
    const seconds = this.seconds;
    while (seconds.length > 0 && seconds[0]! <= nowSec) {
      const second = this.popSecond();
      let s = this.heads.get(second)!;
      this.heads.delete(second);
      while (s !== NONE) {
        const n = this.next[s]!;
        this.unindex(s);
        this.release(s);
        s = n;
      }
    }
  }

  /** Frees one slot of the soonest-expiring second (an expired one there is not counted as an eviction). */
  private evictSoonest(nowSec: number): void {
    while (this.seconds.length > 0) {
      const second = this.seconds[0]!;
      const s = this.heads.get(second)!;
      if (s === NONE) {
        this.popSecond();
        this.heads.delete(second);
        continue;
      }
      if (this.exp[s]! > nowSec) this.evictedLive++;
      this.remove(s);
      return;
    }
  }

  private remove(s: number): void {
    this.unlink(s);
    this.unindex(s);
    this.release(s);
  }

  private release(s: number): void {
    this.next[s] = this.freeHead;
    this.freeHead = s;
    this.count--;
  }

  private allocate(): number {
    if (this.freeHead === NONE) this.grow();
    const s = this.freeHead;
    this.freeHead = this.next[s]!;
    return s;
  }

  /** Only when every slot is in use (so below capacity): doubles the slots and rebuilds the table. */
  private grow(): void {
    const old = this.slots;
    const slots = Math.min(this.capacity, Math.max(MIN_SLOTS, old * 2));
    const fp = new Uint32Array(4 * slots);
    fp.set(this.fp);
    const exp = new Float64Array(slots);
    exp.set(this.exp);
    const next = new Int32Array(slots);
    next.set(this.next);
    const prev = new Int32Array(slots);
    prev.set(this.prev);
    for (let s = slots - 1; s >= old; s--) {
      next[s] = this.freeHead;
      this.freeHead = s;
    }
    let size = 2;
    while (size < 2 * slots) size *= 2;
    this.slots = slots;
    this.fp = fp;
    this.exp = exp;
    this.next = next;
    this.prev = prev;
    this.table = new Int32Array(size);
    this.mask = size - 1;
    for (let s = 0; s < old; s++) this.index(s);
  }

  private find(w0: number, w1: number, w2: number, w3: number): number {
    const { table, fp, mask } = this;
    for (let i = w0 & mask; ; i = (i + 1) & mask) {
      const v = table[i]!;
      if (v === 0) return NONE;
      const b = 4 * (v - 1);
      if (fp[b] === w0 && fp[b + 1] === w1 && fp[b + 2] === w2 && fp[b + 3] === w3) return v - 1;
    }
  }

  private index(s: number): void {
    const { table, mask } = this;
    let i = this.fp[4 * s]! & mask;
    while (table[i] !== 0) i = (i + 1) & mask;
    table[i] = s + 1;
  }

  /** Deletes slot `s` from the table, shifting back the entries of its probe run (no tombstones). */
  private unindex(s: number): void {
    const { table, fp, mask } = this;
    let hole = fp[4 * s]! & mask;
    while (table[hole] !== s + 1) hole = (hole + 1) & mask;
    for (let j = (hole + 1) & mask; table[j] !== 0; j = (j + 1) & mask) {
      const v = table[j]!;
      const home = fp[4 * (v - 1)]! & mask;
      // The entry at j may fill the hole unless its home lies cyclically in (hole, j].
      const stays = hole <= j ? hole < home && home <= j : hole < home || home <= j;
      if (!stays) {
        table[hole] = v;
        hole = j;
      }
    }
    table[hole] = 0;
  }

  private link(s: number, second: number): void {
    let head = this.heads.get(second);
    if (head === undefined) {
      this.pushSecond(second);
      head = NONE;
    }
    this.prev[s] = NONE;
    this.next[s] = head;
    if (head !== NONE) this.prev[head] = s;
    this.heads.set(second, s);
  }

  private unlink(s: number): void {
    const p = this.prev[s]!;
    const n = this.next[s]!;
    if (p !== NONE) this.next[p] = n;
    else this.heads.set(Math.ceil(this.exp[s]!), n);
    if (n !== NONE) this.prev[n] = p;
  }

  private pushSecond(second: number): void {
    const h = this.seconds;
    h.push(second);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (h[parent]! <= second) break;
      h[i] = h[parent]!;
      i = parent;
    }
    h[i] = second;
  }

  private popSecond(): number {
    const h = this.seconds;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length === 0) return top;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= h.length) break;
      const r = l + 1;
      const m = r < h.length && h[r]! < h[l]! ? r : l;
      if (h[m]! >= last) break;
      h[i] = h[m]!;
      i = m;
    }
    h[i] = last;
    return top;
  }
}
