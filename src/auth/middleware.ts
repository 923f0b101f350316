/**
 * Express middleware that demands a valid CDS Client JWT (CDS Hooks: "Authorization: Bearer <JWT>" on every
 * call). Failures answer a bare 401 — the reason goes to the log only (never the token), as the spec's best
 * practice recommends, so probing reveals nothing about which check failed.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type winston from 'winston';
import type { AppConfig } from '../config';
import { operationOutcome } from '../protocol/errors';
import { expectedAudiences, invokedPath, type EndpointKind } from './audience';
import { TrustedKeyStore } from './keyStore';
import { MemoryReplayCache, type ReplayCache } from './replayCache';
import { createTokenVerifier, type TokenVerifier } from './verifier';
import { AuthError } from './types';
import { StateUnavailableError } from '../state/errors';
import { NO_METRICS, type Metrics } from '../metrics/types';

export interface AuthDeps {
  logger: winston.Logger;
  /** Milliseconds, like Date.now (tests pin the clock). */
  now?: () => number;
  replayCache?: ReplayCache;
  fetchImpl?: typeof fetch;
  metrics?: Metrics;
}

export interface AuthMiddleware {
  discovery: RequestHandler;
  service: RequestHandler;
  feedback: RequestHandler;
}

const UNAUTHORIZED = operationOutcome([{ severity: 'error', code: 'login', diagnostics: 'Unauthorized' }]);
/** Logged values come from an unverified token; cap them so a crafted token cannot flood the log. */
const MAX_LOGGED = 200;

const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

function bearerToken(header: string | undefined): string {
  if (header === undefined || header === '') throw new AuthError('missing_authorization');
  const m = BEARER.exec(header);
  if (!m) throw new AuthError(/^Bearer(\s|$)/i.test(header) ? 'malformed_token' : 'not_bearer');
  return m[1]!;
}

function clip(v: string | undefined): string | undefined {
  return v === undefined || v.length <= MAX_LOGGED ? v : `${v.slice(0, MAX_LOGGED)}…`;
}

/** Builds the key store (imports every configured key now; throws on a bad one) and the three guards. */
export function createAuthMiddleware(cfg: AppConfig, deps: AuthDeps): AuthMiddleware {
  const now = deps.now ?? Date.now;
  const keyStore = new TrustedKeyStore(cfg.auth, { logger: deps.logger, now, fetchImpl: deps.fetchImpl ?? fetch });
  const replayCache = deps.replayCache ?? new MemoryReplayCache(cfg.auth.replayCacheSize, now);
  const verify: TokenVerifier = createTokenVerifier(cfg.auth, { keyStore, replayCache, now });

  const metrics = deps.metrics ?? NO_METRICS;

  function reject(req: Request, res: Response, e: unknown): void {
    const path = invokedPath(req);
    metrics.authRejected(e instanceof AuthError ? e.reason : 'internal_error');
    if (e instanceof AuthError) {
      const d = e.details;
      deps.logger.warn('request refused: invalid client JWT', {
        event: 'auth_rejected', reason: e.reason, method: req.method, path,
        iss: clip(d.iss), kid: clip(d.kid), jti: clip(d.jti), tenant: clip(d.tenant),
      });
    } else {
      // A bug in verification must fail closed, not open and not as a 500 that hints at the cause.
      deps.logger.error('auth verification failed unexpectedly', { event: 'auth_rejected', reason: 'internal_error', method: req.method, path, error: (e as Error)?.message });
    }
    res.status(401).set('WWW-Authenticate', 'Bearer').json(UNAUTHORIZED);
  }

  function guard(kind: EndpointKind, enforced: boolean): RequestHandler {
    return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
      // CORS preflight never carries credentials and must never be challenged.
      if (!enforced || req.method === 'OPTIONS') return next();
      try {
        const token = bearerToken(req.get('authorization'));
        res.locals.client = await verify(token, expectedAudiences(req, cfg.publicBaseUrl, kind));
      } catch (e) {
        // The replay cache could not answer (Redis down): 503 with Retry-After, never 401 and never a pass.
        if (e instanceof StateUnavailableError) return next(e);
        return reject(req, res, e);
      }
      next();
    };
  }

  return {
    discovery: guard('discovery', cfg.auth.discoveryRequired),
    service: guard('service', cfg.auth.required),
    feedback: guard('feedback', cfg.auth.required),
  };
}
