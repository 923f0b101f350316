import { MemoryReplayCache } from '../../../src/auth';
import { MAX_REPLAY_CACHE_CAPACITY } from '../../../src/auth/replayCache';

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
  expect(cache.evictions).toBe(0);
});

it('drops an expired entry before evicting a live one even when it was remembered after longer-lived ones', () => {
  // Insertion order is not expiry order: a FIFO would evict "long" here and reopen its replay window.
  const { cache, setNow } = cacheAt(3);
  cache.checkAndRemember('long', 9000);
  cache.checkAndRemember('short', 1010);
  cache.checkAndRemember('mid', 5000);
  setNow(1020);
  expect(cache.checkAndRemember('new', 5000)).toBe(true);
  expect(cache.evictions).toBe(0);
  expect(cache.checkAndRemember('long', 9000)).toBe(false);
  expect(cache.checkAndRemember('mid', 5000)).toBe(false);
  expect(cache.checkAndRemember('new', 5000)).toBe(false);
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
  expect(cache.evictions).toBe(1);
  // "soon" was evicted, so it is accepted again (the bounded-memory trade-off), evicting "mid".
  expect(cache.checkAndRemember('soon', 2000)).toBe(true);
  expect(cache.size).toBe(3);
  expect(cache.evictions).toBe(2);
  expect(cache.checkAndRemember('late', 9000)).toBe(false);
  expect(cache.checkAndRemember('new', 8000)).toBe(false);
});

it('expires exactly at expiresAtSec, also for fractional seconds', () => {
  const { cache, setNow } = cacheAt(10);
  setNow(1100.2);
  expect(cache.checkAndRemember('a', 1100.5)).toBe(true);
  expect(cache.checkAndRemember('b', 1100.3)).toBe(true);
  setNow(1100.4);
  expect(cache.checkAndRemember('a', 1100.5)).toBe(false);
  // "b" expired within the current second, before that second was dropped: not a replay.
  expect(cache.checkAndRemember('b', 1200)).toBe(true);
  setNow(1100.5);
  expect(cache.checkAndRemember('a', 1200)).toBe(true);
  expect(cache.checkAndRemember('a', 1200)).toBe(false);
  expect(cache.checkAndRemember('b', 1200)).toBe(false);
  setNow(1101);
  expect(cache.size).toBe(2);
});

it('accepts an already expired key without remembering it, but still refuses a live one', () => {
  const { cache } = cacheAt(10);
  expect(cache.checkAndRemember('old', 900)).toBe(true);
  expect(cache.size).toBe(0);
  expect(cache.checkAndRemember('old', 900)).toBe(true);
  cache.checkAndRemember('live', 2000);
  expect(cache.checkAndRemember('live', 900)).toBe(false);
});

it('tells apart keys that differ only in non-Latin-1 or lone surrogate code units', () => {
  const { cache } = cacheAt(10);
  const keys = ['iss\n\ud800', 'iss\n\udc00', 'iss\n\ufffd', 'iss\n\u0100', 'iss\n\u0000', 'iss\n', 'iss\n\u00e9', 'iss\ne\u0301'];
  for (const k of keys) expect(cache.checkAndRemember(k, 2000)).toBe(true);
  for (const k of keys) expect(cache.checkAndRemember(k, 2000)).toBe(false);
});

it('remembers many realistic keys across its growth steps and bounds them by the capacity', () => {
  const { cache, setNow } = cacheAt(5000);
  const key = (i: number) => `https://ehr.example.org\n${i.toString(16).padStart(8, '0')}-4b2c-8d3e-9f4a-5b6c7d8e9f0a`;
  for (let i = 0; i < 5000; i++) expect(cache.checkAndRemember(key(i), 1600 + (i % 7))).toBe(true);
  expect(cache.size).toBe(5000);
  for (let i = 0; i < 5000; i++) expect(cache.checkAndRemember(key(i), 1600)).toBe(false);
  // Full: each new key evicts one of the soonest-expiring second (1600), never a later one.
  for (let i = 5000; i < 5100; i++) expect(cache.checkAndRemember(key(i), 1700)).toBe(true);
  expect(cache.size).toBe(5000);
  expect(cache.evictions).toBe(100);
  for (let i = 0; i < 5000; i++) if (i % 7 !== 0) expect(cache.checkAndRemember(key(i), 1600)).toBe(false);
  // Seconds 1600–1603 pass: their entries go, the rest stay.
  setNow(1603);
  let refused = 0;
  for (let i = 0; i < 5100; i++) if (!cache.checkAndRemember(key(i), 1601)) refused++;
  let stillLive = 100; // the keys of second 1700
  for (let i = 0; i < 5000; i++) if (1600 + (i % 7) > 1603) stillLive++;
  expect(refused).toBe(stillLive);
  expect(cache.size).toBe(stillLive);
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

it('matches an unbounded reference exactly while below capacity: fractional expiries, clock jumps, key reuse', () => {
  // Deterministic pseudo-random sequence (xorshift), so a failure is reproducible.
  let seed = 0x2545f491;
  const rand = (n: number) => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) % n;
  };
  const { cache, setNow } = cacheAt(4000);
  const reference = new Map<string, number>();
  let now = 1000;
  for (let i = 0; i < 40000; i++) {
    const step = rand(10);
    now += step === 0 ? rand(5000) / 1000 : step === 1 ? rand(120) : 0;
    setNow(now);
    const key = `iss\n${rand(3000)}`;
    const exp = now - 5 + rand(200) / (rand(2) === 0 ? 1 : 7);
    const known = reference.get(key);
    const expected = known === undefined || known <= now;
    expect(cache.checkAndRemember(key, exp)).toBe(expected);
    if (expected) {
      if (exp > now) reference.set(key, exp);
      else reference.delete(key);
    }
    if (i % 1000 === 0) {
      for (const [k, e] of reference) if (e <= Math.floor(now)) reference.delete(k);
      // It holds every live key, and at most the keys that expired within the current second besides.
      const live = [...reference.values()].filter((e) => e > now).length;
      expect(cache.size).toBeGreaterThanOrEqual(live);
      expect(cache.size).toBeLessThanOrEqual(reference.size);
    }
  }
  expect(cache.evictions).toBe(0);
});

it('stays bounded and correct under sustained churn past its capacity', () => {
  // 1000 tokens a second, each remembered for 600 s, in a cache of 20 000: always full after 20 s.
  const { cache, setNow } = cacheAt(20000);
  let falseReplays = 0;
  for (let sec = 0; sec < 60; sec++) {
    setNow(1000 + sec);
    for (let i = 0; i < 1000; i++) if (!cache.checkAndRemember(`iss\n${sec}-${i}`, 1000 + sec + 600)) falseReplays++;
    expect(cache.size).toBeLessThanOrEqual(20000);
    // The newest tokens are remembered; it is the soonest-expiring (oldest here) that were evicted.
    expect(cache.checkAndRemember(`iss\n${sec}-999`, 1000 + sec + 600)).toBe(false);
    if (sec >= 20) expect(cache.checkAndRemember(`iss\n${sec - 19}-0`, 1000 + sec + 581)).toBe(false);
  }
  expect(falseReplays).toBe(0);
  expect(cache.size).toBe(20000);
  expect(cache.evictions).toBe(40000);
});

it('rejects a non-positive capacity', () => {
  expect(() => new MemoryReplayCache(0)).toThrow(RangeError);
  expect(() => new MemoryReplayCache(1.5)).toThrow(RangeError);
  expect(() => new MemoryReplayCache(MAX_REPLAY_CACHE_CAPACITY + 1)).toThrow(RangeError);
});

it('rejects a NaN expiry rather than remembering a key it could never drop', () => {
  expect(() => new MemoryReplayCache(10).checkAndRemember('a', Number.NaN)).toThrow(RangeError);
});
