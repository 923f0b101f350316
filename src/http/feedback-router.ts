/**
 * CDS Hooks feedback (2.0.1 §Feedback): batch, idempotent, acknowledged only once every item is durable (in the
 * database, or in the local outbox while PostgreSQL is unreachable).
 */
import { Router, type RequestHandler } from 'express';
import type { Metrics } from '../metrics/types';
import { HttpError } from '../protocol/errors';
import { parseFeedback } from '../protocol/schemas';
import type { ServiceRegistry } from '../protocol/services';
import type { CardStore } from '../store/types';
import { findService } from './cds-router';
import { methodNotAllowed } from './errors';

export function feedbackRouter(deps: { services: ServiceRegistry; store: CardStore; guards: RequestHandler[]; json: RequestHandler; metrics: Metrics }): Router {
  const router = Router();
  const service = findService(deps.services);
  const route: RequestHandler = (_req, res, next) => {
    res.locals.scope.route = 'feedback';
    next();
  };
  router.post('/cds-services/:id/feedback', route, service, ...deps.guards, deps.json, async (req, res, next) => {
    try {
      const definition = res.locals.scope.service;
      if (!definition) throw HttpError.of(404, 'not-found', 'unknown CDS service');
      const items = parseFeedback(req.body);
      const { recorded, queued, ...counts } = await deps.store.recordFeedback(definition.id, items, new Date());
      deps.metrics.feedbackRecorded(recorded);
      res.json({ received: items.length, ...counts, ...(queued > 0 ? { queued } : {}) });
    } catch (err) {
      next(err);
    }
  });
  router.all('/cds-services/:id/feedback', route, service, methodNotAllowed('POST'));
  return router;
}
