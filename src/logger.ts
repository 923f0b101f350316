/**
 * winston JSON-lines logger. The request id (and service id / hookInstance once known) travel in
 * AsyncLocalStorage so every line logged while handling a request carries them without threading a logger
 * through the clinical core. Never log tokens, JWTs or FHIR payload content: log ids, codes and counts.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import winston from 'winston';

export interface RequestScope {
  requestId: string;
  serviceId?: string;
  hookInstance?: string;
}

export const requestScope = new AsyncLocalStorage<RequestScope>();

const addScope = winston.format((info) => {
  const scope = requestScope.getStore();
  if (scope) {
    info.requestId ??= scope.requestId;
    if (scope.serviceId) info.serviceId ??= scope.serviceId;
    if (scope.hookInstance) info.hookInstance ??= scope.hookInstance;
  }
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
    format: winston.format.combine(addScope(), winston.format.timestamp(), winston.format.json()),
    defaultMeta: { pid: process.pid },
    transports: [transport],
  });
}
