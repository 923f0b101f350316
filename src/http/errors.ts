/**
 * The one place that maps errors to HTTP answers: every error becomes an OperationOutcome (never a stack
 * trace). 400/413/415 from body parsing, 401 (auth, answered by its middleware), 404/405, 412 for data that
 * cannot be obtained, 429 (rate limit), 503 when state on the safety path (Redis) is unavailable, 500 for our
 * own faults only, quoting the request id.
 */
import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import type { Logger } from '../logger';
import { DataUnavailableError } from '../fhir/types';
import { HttpError, operationOutcome } from '../protocol/errors';
import { StateUnavailableError } from '../state/errors';

export function sendOutcome(res: Response, error: HttpError): void {
  for (const [k, v] of Object.entries(error.headers)) res.setHeader(k, v);
  res.status(error.status).type('application/json').send(JSON.stringify(operationOutcome(error.issues)));
}

export function methodNotAllowed(allowed: string): RequestHandler {
  return (_req, _res, next) => {
    const error = HttpError.of(405, 'not-supported', `method not allowed; use ${allowed}`);
    error.headers.Allow = allowed;
    next(error);
  };
}

/** Body-parser failures (express.json) mapped to their HTTP meaning. */
function fromBodyParserError(err: { type?: string }): HttpError | undefined {
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

function dataUnavailable(err: DataUnavailableError): HttpError {
  return new HttpError(
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
}

export function toHttpError(err: unknown, res: Response, logger: Logger): HttpError {
  if (err instanceof HttpError) return err;
  if (err instanceof DataUnavailableError) {
    logger.warn('data unavailable', { missingKeys: err.where === 'prefetch' ? err.missingKeys : err.missingKeys.length, reasons: err.where === 'prefetch' ? err.reasons : undefined });
    return dataUnavailable(err);
  }
  if (err instanceof StateUnavailableError) {
    logger.warn('state unavailable; answering 503', { what: err.what });
    const error = HttpError.of(503, 'transient', `the ${err.what} is unavailable; retry shortly`);
    error.headers['Retry-After'] = String(err.retryAfterSec);
    return error;
  }
  const mapped = typeof err === 'object' && err !== null ? fromBodyParserError(err as { type?: string }) : undefined;
  if (mapped) return mapped;
  const clientStatus = clientErrorStatus(err);
  if (clientStatus !== undefined) return HttpError.of(clientStatus, 'invalid', 'the request could not be processed (malformed URL or headers)');
  logger.error('unhandled error', { error: err instanceof Error ? { name: err.name, message: err.message, stack: err.stack } : String(err) });
  return HttpError.of(500, 'exception', `internal error; quote request id ${res.getHeader('X-Request-Id') ?? ''}`.trim());
}

export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err: unknown, _req, res, _next) => {
    const error = toHttpError(err, res, logger);
    if (res.headersSent) return;
    sendOutcome(res, error);
  };
}
