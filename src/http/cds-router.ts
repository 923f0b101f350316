/** CDS Hooks discovery and service calls (CDS Hooks 2.0.1 §Discovery, §Calling a CDS Service). */
import { Router, type RequestHandler } from 'express';
import type { Metrics } from '../metrics/types';
import type { Pipeline } from '../pipeline';
import { HttpError } from '../protocol/errors';
import { parseHookRequest } from '../protocol/schemas';
import type { ServiceRegistry } from '../protocol/services';
import { externalBaseUrl, linkCardsToCatalogue } from '../governance/links';
import { methodNotAllowed } from './errors';

export interface RouteGuards {
  /** Authentication for this kind of endpoint (then any per-client limits). */
  discovery: RequestHandler[];
  service: RequestHandler[];
  feedback: RequestHandler[];
}

/** Resolves :id to a service definition on the request scope, or 404. */
export function findService(services: ServiceRegistry): RequestHandler {
  return (req, res, next) => {
    const service = services.byId.get(String(req.params.id));
    if (!service) return next(HttpError.of(404, 'not-found', `unknown CDS service "${String(req.params.id).slice(0, 64)}"`));
    res.locals.scope.service = service;
    res.locals.scope.serviceId = service.id;
    next();
  };
}

export interface CdsRouterDeps {
  services: ServiceRegistry;
  pipeline: Pipeline;
  guards: RouteGuards;
  json: RequestHandler;
  metrics: Metrics;
  /** Base of the rule catalogue links in card.source.url (development: derived from the request). */
  publicBaseUrl?: string;
}

export function cdsRouter(deps: CdsRouterDeps): Router {
  const { services, pipeline, guards, json, metrics } = deps;
  const router = Router();
  const service = findService(services);

  router.get('/cds-services', (_req, res, next) => {
    res.locals.scope.route = 'discovery';
    next();
  });
  router.get('/cds-services', ...guards.discovery, (_req, res) => {
    res.type('application/json').send(services.discoveryJson);
  });
  router.all('/cds-services', methodNotAllowed('GET'));

  router.post('/cds-services/:id', service, ...guards.service, json, async (req, res, next) => {
    const scope = res.locals.scope;
    scope.route = 'service';
    try {
      const definition = scope.service;
      if (!definition) throw HttpError.of(404, 'not-found', 'unknown CDS service');
      const request = parseHookRequest(req.body, definition.hook);
      scope.hookInstance = request.hookInstance;
      const abort = new AbortController();
      const onClose = () => {
        if (!res.writableEnded) abort.abort();
      };
      res.on('close', onClose);
      const result = await pipeline(definition, request, abort.signal);
      res.off('close', onClose);
      scope.ruleIds = result.ruleIds;
      linkCardsToCatalogue(result.cards, externalBaseUrl(req, deps.publicBaseUrl));
      metrics.cardsIssued(definition.id, result.cards.map((c) => ({ ruleId: c.source.topic?.code ?? 'unknown', indicator: c.indicator })));
      res.type('application/json').send(JSON.stringify({ cards: result.cards }));
    } catch (err) {
      next(err);
    }
  });
  router.all('/cds-services/:id', service, methodNotAllowed('POST'));
  return router;
}
