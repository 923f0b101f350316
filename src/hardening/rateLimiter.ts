/**
 * Per-client request budget: a fixed window aligned to wall-clock multiples of windowMs, keyed by the verified
 * client's iss (so one EHR behind a NAT is one client) or, before/without auth, by IP. Aligned windows let the
 * whole counter map be dropped when a window ends, so memory stays bounded without per-entry expiry.
 * Per process: with N workers a client gets up to N × the budget.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { AppConfig } from '../config';
import { operationOutcome } from '../protocol/errors';

export interface RateLimiterDeps {
  /** Milliseconds, like Date.now. */
  now?: () => number;
  /** Most distinct clients tracked per window; beyond it the oldest counter is dropped (default 10 000). */
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
  const maxKeys = deps.maxKeys ?? 10_000;
  let windowStart = Number.NEGATIVE_INFINITY;
  const counts = new Map<string, number>();

  return (req: Request, res: Response, next: NextFunction): void => {
    if (req.method === 'OPTIONS') return next();
    const t = now();
    const start = Math.floor(t / cfg.windowMs) * cfg.windowMs;
    if (start !== windowStart) {
      windowStart = start;
      counts.clear();
    }
    const key = rateLimitKey(req, res);
    const used = (counts.get(key) ?? 0) + 1;
    if (!counts.has(key) && counts.size >= maxKeys) {
      // Bounded memory under a flood of distinct keys: forget the oldest counter (Map keeps insertion order).
      const oldest = counts.keys().next().value;
      if (oldest !== undefined) counts.delete(oldest);
    }
    counts.set(key, used);
    if (used <= cfg.maxRequestsPerClient) return next();
    const retryAfterSec = Math.max(1, Math.ceil((start + cfg.windowMs - t) / 1000));
    res.status(429).set('Retry-After', String(retryAfterSec)).json(TOO_MANY);
  };
}
