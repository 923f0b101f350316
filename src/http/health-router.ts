/**
 * Liveness and readiness. /readyz answers 503 while the process drains for shutdown (set before the listener
 * closes, so a load balancer stops routing first) and while a piece of state on the safety path is down
 * (Redis, when configured); the record store counts as ready while it can write (PostgreSQL or its outbox).
 */
import { Router } from 'express';
import { methodNotAllowed } from './errors';

export interface ReadinessCheck {
  name: string;
  check(): Promise<boolean>;
}

export function healthRouter(deps: { checks: ReadinessCheck[]; isShuttingDown?: () => boolean }): Router {
  const router = Router();
  router.use(['/healthz', '/readyz'], (_req, res, next) => {
    res.locals.scope.route = 'health';
    next();
  });
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.all('/healthz', methodNotAllowed('GET'));
  router.get('/readyz', async (_req, res) => {
    if (deps.isShuttingDown?.()) {
      res.status(503).json({ status: 'not ready', reason: 'shutting down' });
      return;
    }
    const results = await Promise.all(deps.checks.map(async (c) => ({ name: c.name, ok: await c.check().catch(() => false) })));
    const failing = results.filter((r) => !r.ok).map((r) => r.name);
    if (failing.length === 0) res.json({ status: 'ready' });
    else res.status(503).json({ status: 'not ready', unavailable: failing });
  });
  router.all('/readyz', methodNotAllowed('GET'));
  return router;
}
