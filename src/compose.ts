/**
 * Composition root: builds every collaborator once from the validated configuration and hands them to
 * createApp. main.ts and the integration tests both use it, so tests run the real wiring.
 */
import type express from 'express';
import type { AppConfig } from './config';
import type { Logger } from './logger';
import { createApp } from './app';
import { loadServices, type ServiceRegistry } from './protocol/services';
import { openCardStore, type CardStore } from './store/card-store';
import { openReplayStore, type SharedReplayCache } from './store/replay-store';
import { createPipeline } from './pipeline';
import { createClinicalEngine } from './clinical/engine';
import { warmUpRequest } from './clinical/warmup';
import { createPatientDataSource } from './fhir/prefetch';
import type { PatientDataSource } from './fhir/types';
import { createAuthMiddleware } from './auth';
import { checkJsonLimits, createRateLimiter, formatJsonPath, securityHeaders } from './hardening';

export interface ServiceOptions {
  /** Directory of hooks/*.json (defaults to the repository's hooks/). */
  hooksDir?: string;
  /** Clock for the clinical core (tests pin it). */
  now?: () => Date;
  /** Clock for JWT checks, in milliseconds like Date.now (tests pin it). */
  nowMs?: () => number;
  /** Share the jti replay cache across worker processes through SQLite. */
  sharedReplayCache?: boolean;
  dataSource?: PatientDataSource;
  fetchImpl?: typeof fetch;
  isShuttingDown?: () => boolean;
}

export interface BuiltService {
  app: express.Express;
  store: CardStore;
  services: ServiceRegistry;
  close(): void;
}

export function buildService(config: AppConfig, logger: Logger, options: ServiceOptions = {}): BuiltService {
  // Validates every service and compiles its prefetch templates: a bad one stops start-up, not a request.
  const services = loadServices(options.hooksDir);
  const store = openCardStore({ path: config.store.path, patientHashSalt: config.store.patientHashSalt });
  let replay: SharedReplayCache | undefined;
  // Its own file beside the card store: every authenticated request writes a jti, and sharing the card store's
  // write lock across worker processes would serialise them.
  if (options.sharedReplayCache && config.store.path !== ':memory:') replay = openReplayStore(`${config.store.path}.jti`);
  const engine = createClinicalEngine(config.clinical);
  engine.evaluate(warmUpRequest(new Date()), { serviceTitle: 'warm-up', verificationSummary: true });
  const dataSource = options.dataSource ?? createPatientDataSource(config.fhir, { logger, fetchImpl: options.fetchImpl });
  const pipeline = createPipeline({ engine, dataSource, store, now: options.now });
  const auth = createAuthMiddleware(config, { logger, now: options.nowMs, replayCache: replay, fetchImpl: options.fetchImpl });
  const before = [securityHeaders({ publicBaseUrl: config.publicBaseUrl })];
  const afterAuth = config.rateLimit.enabled ? [createRateLimiter(config.rateLimit)] : [];
  const app = createApp({
    config,
    logger,
    services,
    pipeline,
    store,
    auth,
    before,
    afterAuth,
    checkJsonLimits: (value) => {
      const v = checkJsonLimits(value, config.limits);
      if (!v) return undefined;
      const what = v.kind === 'depth' ? 'nesting depth' : v.kind === 'string' ? 'string length' : 'array length';
      return `${formatJsonPath(v.path) || '(root)'}: ${what} exceeds the limit of ${v.limit}`;
    },
    isShuttingDown: options.isShuttingDown,
  });
  return {
    app,
    store,
    services,
    close() {
      store.close();
      replay?.close();
    },
  };
}
