/**
 * Express wiring only: request scope and logging, security headers, CORS, authentication, JSON bodies,
 * routes, and one error handler that turns everything into an OperationOutcome (never a stack trace).
 * The clinical work lives behind `pipeline`; nothing here knows about imatinib.
 */
import crypto from 'node:crypto';
import express, { type ErrorRequestHandler, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { AppConfig } from './config';
import type { Logger } from './logger';
import { requestScope } from './logger';
import { HttpError, operationOutcome } from './protocol/errors';
import { parseFeedback, parseHookRequest } from './protocol/schemas';
import type { ServiceRegistry } from './protocol/services';
import type { CardStore } from './store/card-store';
import type { Pipeline } from './pipeline';
import { DataUnavailableError } from './fhir/types';
import { createCors } from './protocol/cors';

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
  /** Extra middleware run before routing (security headers, rate limiting). */
  before?: RequestHandler[];
  /** Extra middleware run after authentication (e.g. a per-client rate limit). */
  afterAuth?: RequestHandler[];
  /** Bounds on parsed JSON (depth, string and array lengths) and removal of unsafe keys; returns a message naming the first violation. */
  checkJsonLimits?: (value: unknown) => string | undefined;
  /** True while the process drains for shutdown: /readyz answers 503. */
  isShuttingDown?: () => boolean;
}

const JSON_TYPES = ['application/json', 'application/*+json'];

function sendOutcome(res: Response, error: HttpError): void {
  for (const [k, v] of Object.entries(error.headers)) res.setHeader(k, v);
  res.status(error.status).type('application/json').send(JSON.stringify(operationOutcome(error.issues)));
}

function methodNotAllowed(allowed: string): RequestHandler {
  return (_req, _res, next) => {
    const error = HttpError.of(405, 'not-supported', `method not allowed; use ${allowed}`);
    error.headers.Allow = allowed;
    next(error);
  };
}

/** Body-parser failures (express.json) mapped to their HTTP meaning. */
function fromBodyParserError(err: { type?: string; status?: number; message?: string }): HttpError | undefined {
  switch (err.type) {
    case 'entity.parse.failed':
      return HttpError.of(400, 'structure', 'request body is not valid JSON');
    case 'entity.too.large':
      return HttpError.of(413, 'too-long', 'request body exceeds the size limit');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return HttpError.of(415, 'not-supported', 'unsupported content encoding or charset; send UTF-8 JSON');
    case 'request.aborted':
    case 'request.size.invalid':
    case 'stream.encoding.set':
      return HttpError.of(400, 'structure', 'request body could not be read');
    default:
      return undefined;
  }
}

/** A client error raised by Express or the router itself (e.g. a malformed %-escape in the path: URIError). */
function clientErrorStatus(err: unknown): number | undefined {
  if (err instanceof URIError) return 400;
  if (typeof err !== 'object' || err === null) return undefined;
  const status = (err as { status?: unknown; statusCode?: unknown }).status ?? (err as { statusCode?: unknown }).statusCode;
  return typeof status === 'number' && status >= 400 && status < 500 ? status : undefined;
}

export function createApp(deps: AppDeps): express.Express {
  const { config, logger, services, pipeline, store } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('trust proxy', config.server.trustProxy);
  app.set('query parser', 'simple');

  // Request scope: id (honour a sane incoming X-Request-Id), timing, one log line per request.
  app.use((req: Request, res: Response, next: NextFunction) => {
    const incoming = req.get('x-request-id');
    const requestId = incoming && /^[A-Za-z0-9._-]{1,64}$/.test(incoming) ? incoming : crypto.randomUUID();
    const started = process.hrtime.bigint();
    res.setHeader('X-Request-Id', requestId);
    const scope = { requestId } as { requestId: string; serviceId?: string; hookInstance?: string };
    res.locals.scope = scope;
    res.on('finish', () => {
      const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
      const line: Record<string, unknown> = { requestId, method: req.method, path: req.path, status: res.statusCode, durationMs: Math.round(durationMs * 1000) / 1000 };
      if (scope.serviceId) line.serviceId = scope.serviceId;
      if (scope.hookInstance) line.hookInstance = scope.hookInstance;
      if (res.locals.ruleIds) line.ruleIds = res.locals.ruleIds;
      if (res.locals.client?.iss) line.clientIss = res.locals.client.iss;
      logger.info('request', line);
    });
    requestScope.run(scope, next);
  });

  for (const mw of deps.before ?? []) app.use(mw);
  app.use(createCors(config.cors));

  const jsonBody = express.json({ limit: config.server.bodyLimitBytes, type: JSON_TYPES, strict: true });
  const requireJson: RequestHandler = (req, _res, next) => {
    if (!req.is(JSON_TYPES)) {
      const hasBody = req.get('content-length') !== undefined ? Number(req.get('content-length')) > 0 : req.get('transfer-encoding') !== undefined;
      if (hasBody || req.get('content-type')) return next(HttpError.of(415, 'not-supported', 'Content-Type must be application/json'));
      return next(HttpError.of(400, 'structure', 'request body is required (application/json)'));
    }
    jsonBody(req, _res, (err?: unknown) => {
      if (err) return next(err);
      const violation = deps.checkJsonLimits?.(req.body);
      if (violation) return next(HttpError.of(400, 'too-long', violation));
      next();
    });
  };

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.all('/healthz', methodNotAllowed('GET'));
  app.get('/readyz', (_req, res) => {
    const ready = !deps.isShuttingDown?.() && store.ping();
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not ready' });
  });
  app.all('/readyz', methodNotAllowed('GET'));

  const afterAuth = deps.afterAuth ?? [];

  app.get('/cds-services', deps.auth.discovery, ...afterAuth, (_req, res) => {
    res.type('application/json').send(services.discoveryJson);
  });
  app.all('/cds-services', methodNotAllowed('GET'));

  const findService: RequestHandler = (req, res, next) => {
    const service = services.byId.get(String(req.params.id));
    if (!service) return next(HttpError.of(404, 'not-found', `unknown CDS service "${String(req.params.id).slice(0, 64)}"`));
    res.locals.service = service;
    (res.locals.scope as { serviceId?: string }).serviceId = service.id;
    next();
  };

  app.post('/cds-services/:id', findService, deps.auth.service, ...afterAuth, requireJson, async (req, res, next) => {
    try {
      const service = res.locals.service;
      const request = parseHookRequest(req.body, service.hook);
      (res.locals.scope as { hookInstance?: string }).hookInstance = request.hookInstance;
      const abort = new AbortController();
      const onClose = () => {
        if (!res.writableEnded) abort.abort();
      };
      res.on('close', onClose);
      const result = await pipeline(service, request, abort.signal);
      res.off('close', onClose);
      res.locals.ruleIds = result.ruleIds;
      res.type('application/json').send(JSON.stringify({ cards: result.cards }));
    } catch (err) {
      next(err);
    }
  });
  app.all('/cds-services/:id', findService, methodNotAllowed('POST'));

  app.post('/cds-services/:id/feedback', findService, deps.auth.feedback, ...afterAuth, requireJson, (req, res, next) => {
    try {
      const items = parseFeedback(req.body);
      const result = store.recordFeedback(res.locals.service.id, items, new Date());
      res.json({ received: items.length, ...result });
    } catch (err) {
      next(err);
    }
  });
  app.all('/cds-services/:id/feedback', findService, methodNotAllowed('POST'));

  app.use((req, _res, next) => next(HttpError.of(404, 'not-found', `no route for ${req.method} ${req.path.slice(0, 200)}`)));

  const errorHandler: ErrorRequestHandler = (err: unknown, _req, res, _next) => {
    let error: HttpError;
    if (err instanceof HttpError) error = err;
    else if (err instanceof DataUnavailableError) {
      error = new HttpError(
        412,
        err.missingKeys.map((key) =>
          err.where === 'draftOrders'
            ? { severity: 'error', code: 'incomplete', diagnostics: `${err.reasons[key] ?? 'the Medication could not be read'}: ${key}`, expression: ['context.draftOrders'] }
            : {
                severity: 'error',
                code: 'incomplete',
                diagnostics: `required data "${key}" could not be obtained from prefetch or the FHIR server (${err.reasons[key] ?? 'unavailable'})`,
                expression: [`prefetch.${key}`],
              },
        ),
      );
      logger.warn('data unavailable', { missingKeys: err.missingKeys, reasons: err.reasons });
    } else {
      const mapped = typeof err === 'object' && err !== null ? fromBodyParserError(err as { type?: string }) : undefined;
      const clientStatus = clientErrorStatus(err);
      if (mapped) error = mapped;
      else if (clientStatus !== undefined) error = HttpError.of(clientStatus, 'invalid', 'the request could not be processed (malformed URL or headers)');
      else {
        logger.error('unhandled error', { error: err instanceof Error ? { name: err.name, message: err.message, stack: err.stack } : String(err) });
        error = HttpError.of(500, 'exception', `internal error; quote request id ${res.getHeader('X-Request-Id') ?? ''}`.trim());
      }
    }
    if (res.headersSent) return;
    sendOutcome(res, error);
  };
  app.use(errorHandler);
  return app;
}
