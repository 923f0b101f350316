/**
 * winston JSON-lines logger. The request id (and service id / hookInstance once known) travel in
 * AsyncLocalStorage so every line logged while handling a request carries them without threading a logger
 * through the clinical core. Never log tokens, JWTs or FHIR payload content: log ids, codes and counts.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { configure } from 'safe-stable-stringify';
import winston from 'winston';

export interface RequestScope {
  requestId: string;
  serviceId?: string;
  hookInstance?: string;
}

export const requestScope = new AsyncLocalStorage<RequestScope>();

/** Where winston's transports read the finished line (triple-beam's MESSAGE, as winston's README shows). */
const MESSAGE = Symbol.for('message');

/** The serialiser of winston's json format (safe-stable-stringify, sorted keys), configured once, not per line. */
const stringify = configure({});
const bigintAsString = (_key: string, value: unknown): unknown => (typeof value === 'bigint' ? value.toString() : value);

/**
 * One pass per line with the output of combine(scope, timestamp(), json()) byte for byte: the request's ids,
 * an ISO timestamp, then the line as JSON with sorted keys. (logform's json format configures its serialiser
 * again for every line it writes.)
 */
const jsonLine = winston.format((info) => {
  const scope = requestScope.getStore();
  if (scope) {
    info.requestId ??= scope.requestId;
    if (scope.serviceId) info.serviceId ??= scope.serviceId;
    if (scope.hookInstance) info.hookInstance ??= scope.hookInstance;
  }
  if (!info.timestamp) info.timestamp = new Date().toISOString();
  (info as Record<string | symbol, unknown>)[MESSAGE] = stringify(info, bigintAsString);
  return info;
});

export type Logger = winston.Logger;

export function createLogger(level: string, options: { silent?: boolean; stream?: NodeJS.WritableStream } = {}): Logger {
  const transport = options.stream
    ? new winston.transports.Stream({ stream: options.stream })
    : new winston.transports.Console({ stderrLevels: ['error'] });
  return winston.createLogger({
    level,
    silent: options.silent ?? false,
    format: jsonLine(),
    defaultMeta: { pid: process.pid },
    transports: [transport],
  });
}
