/**
 * Per-client request budget: a fixed window aligned to wall-clock multiples of windowMs, keyed by the verified
 * client's iss (so one EHR behind a NAT is one client) or, before/without auth, by IP.
 *
 * The counters live in a RateCounter: in this process (MemoryRateCounter; with N workers or instances a client
 * gets up to N × the budget), or in Redis (shared by every instance, src/state/redis.ts). A counter that cannot
 * answer throws StateUnavailableError: the request gets 503, never an unchecked pass.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { AppConfig } from '../config';
import { operationOutcome } from '../protocol/errors';

/** Counts requests per key and window; answers the count including this one. */
export interface RateCounter {
  hit(key: string, windowStartMs: number, windowMs: number): number | Promise<number>;
}

/** In-process counters. Aligned windows let the whole map be dropped when a window ends (bounded memory). */
export class MemoryRateCounter implements RateCounter {
  private windowStart = Number.NEGATIVE_INFINITY;
  private readonly counts = new Map<string, number>();

  /** At most this many distinct clients per window; beyond it the oldest counter is dropped. */
  constructor(private readonly maxKeys = 10_000) {}

  hit(key: string, windowStartMs: number): number {
    if (windowStartMs !== this.windowStart) {
      this.windowStart = windowStartMs;
      this.counts.clear();
    }
    const used = (this.counts.get(key) ?? 0) + 1;
    if (!this.counts.has(key) && this.counts.size >= this.maxKeys) {
      // Bounded memory under a flood of distinct keys: forget the oldest counter (Map keeps insertion order).
      const oldest = this.counts.keys().next().value;
      if (oldest !== undefined) this.counts.delete(oldest);
    }
    this.counts.set(key, used);
    return used;
  }
}

export interface RateLimiterDeps {
  /** Milliseconds, like Date.now. */
  now?: () => number;
  /** Where the counters live (default: this process). */
  counter?: RateCounter;
  /** Most distinct clients tracked per window by the in-process counter (default 10 000). */
  maxKeys?: number;
}

const TOO_MANY = operationOutcome([{ severity: 'error', code: 'throttled', diagnostics: 'Too many requests' }]);

export function rateLimitKey(req: Request, res: Response): string {
  const iss = res.locals.client?.iss;
  return iss !== undefined ? `iss:${iss}` : `ip:${req.ip ?? req.socket.remoteAddress ?? 'unknown'}`;
}

export function createRateLimiter(cfg: AppConfig['rateLimit'], deps: RateLimiterDeps = {}): RequestHandler {
  if (!cfg.enabled) return (_req, _res, next) => next();
  const now = deps.now ?? Date.now;
  const counter = deps.counter ?? new MemoryRateCounter(deps.maxKeys);

  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    if (req.method === 'OPTIONS') return next();
    const t = now();
    const start = Math.floor(t / cfg.windowMs) * cfg.windowMs;
    let used: number;
    try {
      used = await counter.hit(rateLimitKey(req, res), start, cfg.windowMs);
    } catch (e) {
      return next(e);
    }
    if (used <= cfg.maxRequestsPerClient) return next();
    const retryAfterSec = Math.max(1, Math.ceil((start + cfg.windowMs - t) / 1000));
    res.status(429).set('Retry-After', String(retryAfterSec)).json(TOO_MANY);
  };
}
