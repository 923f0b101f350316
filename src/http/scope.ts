/**
 * The one typed request scope: created by the first middleware, filled as the request is understood (route,
 * service, hookInstance, rule ids of the cards), read by the request log line and the metrics. It is also the
 * AsyncLocalStorage store of the logger, so every line logged while handling the request carries its ids.
 */
import type { ServiceDefinition } from '../protocol/services';
import type { RequestScope as LogScope } from '../logger';

/** Which part of the service answered, for logs and metrics. */
export type Route = 'service' | 'feedback' | 'discovery' | 'health' | 'rules' | 'admin' | 'other';

export interface RequestScope extends LogScope {
  route: Route;
  /** The CDS service addressed by the path (set by findService). */
  service?: ServiceDefinition;
  /** source.topic.code of each card returned. */
  ruleIds?: string[];
}

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Locals {
      scope: RequestScope;
    }
  }
}
