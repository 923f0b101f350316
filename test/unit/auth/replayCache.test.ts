import { MemoryReplayCache } from '../../../src/auth';

function cacheAt(capacity: number) {
  let nowSec = 1000;
  const cache = new MemoryReplayCache(capacity, () => nowSec * 1000);
  return { cache, setNow: (s: number) => (nowSec = s) };
}

it('accepts a key the first time and refuses it while it is live', () => {
  const { cache } = cacheAt(10);
  expect(cache.checkAndRemember('a', 2000)).toBe(true);
  expect(cache.checkAndRemember('a', 2000)).toBe(false);
  expect(cache.checkAndRemember('b', 2000)).toBe(true);
});

it('forgets a key once it has expired', () => {
  const { cache, setNow } = cacheAt(10);
  cache.checkAndRemember('a', 1100);
  setNow(1099);
  expect(cache.checkAndRemember('a', 1100)).toBe(false);
  setNow(1100);
  expect(cache.checkAndRemember('a', 1200)).toBe(true);
});

it('drops expired entries before evicting live ones when full', () => {
  const { cache, setNow } = cacheAt(3);
  cache.checkAndRemember('short', 1010);
  cache.checkAndRemember('long-1', 5000);
  cache.checkAndRemember('long-2', 5000);
  setNow(1020);
  cache.checkAndRemember('new', 5000);
  expect(cache.size).toBe(3);
  expect(cache.checkAndRemember('long-1', 5000)).toBe(false);
  expect(cache.checkAndRemember('long-2', 5000)).toBe(false);
});

it('evicts the soonest-expiring live entry when full, keeping the size bounded', () => {
  const { cache } = cacheAt(3);
  cache.checkAndRemember('late', 9000);
  cache.checkAndRemember('soon', 2000);
  cache.checkAndRemember('mid', 5000);
  cache.checkAndRemember('new', 8000);
  expect(cache.size).toBe(3);
  expect(cache.checkAndRemember('late', 9000)).toBe(false);
  expect(cache.checkAndRemember('mid', 5000)).toBe(false);
  expect(cache.checkAndRemember('new', 8000)).toBe(false);
  // "soon" was evicted, so it is accepted again (the bounded-memory trade-off), evicting "mid".
  expect(cache.checkAndRemember('soon', 2000)).toBe(true);
  expect(cache.size).toBe(3);
});

it('stays consistent under many random inserts and expiries', () => {
  const { cache, setNow } = cacheAt(50);
  const live = new Map<string, number>();
  let now = 1000;
  for (let i = 0; i < 5000; i++) {
    now += i % 7 === 0 ? 3 : 0;
    setNow(now);
    const key = `k${i % 120}`;
    const exp = now + 1 + ((i * 37) % 40);
    const accepted = cache.checkAndRemember(key, exp);
    for (const [k, e] of live) if (e <= now) live.delete(k);
    // A refusal must always be a genuinely live entry (no false replays).
    if (!accepted) expect(live.get(key)).toBeGreaterThan(now);
    else live.set(key, exp);
    expect(cache.size).toBeLessThanOrEqual(50);
  }
});

it('rejects a non-positive capacity', () => {
  expect(() => new MemoryReplayCache(0)).toThrow(RangeError);
});
