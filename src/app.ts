/**
 * Express wiring only: the request scope and its log line, security headers, CORS, then the routers (health,
 * rule catalogue and admin report, CDS services, feedback), a 404, and the one error handler (src/http/errors.ts)
 * that turns everything into an OperationOutcome. The clinical work lives behind `pipeline`; nothing here knows about imatinib.
 */
import crypto from 'node:crypto';
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { AppConfig } from './config';
import type { Logger } from './logger';
import { requestScope } from './logger';
import { NO_METRICS, type Metrics } from './metrics/types';
import { HttpError } from './protocol/errors';
import type { ServiceRegistry } from './protocol/services';
import type { CardStore } from './store/types';
import type { Pipeline } from './pipeline';
import { createCors } from './protocol/cors';
import { cdsRouter } from './http/cds-router';
import { errorHandler } from './http/errors';
import { feedbackRouter } from './http/feedback-router';
import { governanceRouter, type GovernanceRouterDeps } from './http/governance-router';
import { healthRouter, type ReadinessCheck } from './http/health-router';
import { requireJson } from './http/json-body';
import type { RequestScope } from './http/scope';

export interface AuthHandlers {
  discovery: RequestHandler;
  service: RequestHandler;
  feedback: RequestHandler;
}

export interface AppDeps {
  config: AppConfig;
  logger: Logger;
  services: ServiceRegistry;
  pipeline: Pipeline;
  store: CardStore;
  auth: AuthHandlers;
  metrics?: Metrics;
  /** Extra middleware run before routing (security headers). */
  before?: RequestHandler[];
  /** Extra middleware run after authentication (e.g. a per-client rate limit). */
  afterAuth?: RequestHandler[];
  /** Bounds on parsed JSON (depth, string and array lengths) and removal of unsafe keys; returns a message naming the first violation. */
  checkJsonLimits?: (value: unknown) => string | undefined;
  /** Readiness beyond the store (e.g. Redis). */
  readiness?: ReadinessCheck[];
  /** True while the process drains for shutdown: /readyz answers 503. */
  isShuttingDown?: () => boolean;
  /** The rule catalogue page and the admin alert report (store, services and analytics settings). */
  governance: Omit<GovernanceRouterDeps, 'store' | 'services' | 'analytics' | 'adminToken'>;
}

/** Request scope: id (honour a sane incoming X-Request-Id), timing, one log line and one metric per request. */
function scopeAndLog(logger: Logger, metrics: Metrics): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const incoming = req.get('x-request-id');
    const requestId = incoming && /^[A-Za-z0-9._-]{1,64}$/.test(incoming) ? incoming : crypto.randomUUID();
    const started = process.hrtime.bigint();
    res.setHeader('X-Request-Id', requestId);
    const scope: RequestScope = { requestId, route: 'other' };
    res.locals.scope = scope;
    res.on('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const line: Record<string, unknown> = { requestId, method: req.method, path: req.path, status: res.statusCode, durationMs: Math.round(seconds * 1e6) / 1000 };
      if (scope.serviceId) line.serviceId = scope.serviceId;
      if (scope.hookInstance) line.hookInstance = scope.hookInstance;
      if (scope.ruleIds) line.ruleIds = scope.ruleIds;
      if (res.locals.client?.iss) line.clientIss = res.locals.client.iss;
      logger.info('request', line);
      metrics.requestObserved({ route: scope.route, service: scope.serviceId ?? '', status: res.statusCode }, seconds);
    });
    requestScope.run(scope, next);
  };
}

export function createApp(deps: AppDeps): express.Express {
  const { config, logger, services, pipeline, store } = deps;
  const metrics = deps.metrics ?? NO_METRICS;
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('trust proxy', config.server.trustProxy);
  app.set('query parser', 'simple');

  app.use(scopeAndLog(logger, metrics));
  for (const mw of deps.before ?? []) app.use(mw);
  app.use(createCors(config.cors));

  const json = requireJson({ limitBytes: config.server.bodyLimitBytes, ...(deps.checkJsonLimits ? { checkJsonLimits: deps.checkJsonLimits } : {}) });
  const afterAuth = deps.afterAuth ?? [];
  const checks: ReadinessCheck[] = [{ name: 'store', check: () => store.ping() }, ...(deps.readiness ?? [])];

  // The CDS routes first: they carry the traffic, and Express tries each router's routes in order.
  // Feedback first: its path is more specific than the service call's.
  app.use(feedbackRouter({ services, store, guards: [deps.auth.feedback, ...afterAuth], json, metrics }));
  app.use(cdsRouter({ services, pipeline, json, metrics, ...(config.publicBaseUrl ? { publicBaseUrl: config.publicBaseUrl } : {}), guards: { discovery: [deps.auth.discovery, ...afterAuth], service: [deps.auth.service, ...afterAuth], feedback: [deps.auth.feedback, ...afterAuth] } }));

  app.use(healthRouter({ checks, ...(deps.isShuttingDown ? { isShuttingDown: deps.isShuttingDown } : {}) }));
  app.use(
    governanceRouter({
      ...deps.governance,
      store,
      services,
      analytics: config.analytics,
      ...(config.admin.token !== undefined ? { adminToken: config.admin.token } : {}),
    }),
  );
  app.use((req, _res, next) => next(HttpError.of(404, 'not-found', `no route for ${req.method} ${req.path.slice(0, 200)}`)));
  app.use(errorHandler(logger));
  return app;
}
