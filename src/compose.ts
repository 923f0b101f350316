/**
 * Composition root: builds every collaborator once from the validated configuration and hands them to
 * createApp. main.ts and the integration tests both use it, so tests run the real wiring.
 *
 * State, by configuration:
 *  - record store: PostgreSQL (store.databaseUrl, with a local outbox) or the embedded SQLite file;
 *  - jti replay cache and rate-limit counters: Redis (redis.url), shared by every instance; else the replay
 *    cache is in memory (one process) or in a SQLite file shared by the workers of one machine, and the rate
 *    limit counts per process.
 */
import type express from 'express';
import type { AppConfig } from './config';
import type { Logger } from './logger';
import { createApp } from './app';
import { loadServices, type ServiceRegistry } from './protocol/services';
import { openCardStore, type CardStore } from './store';
import { openReplayStore, type SharedReplayCache } from './store/replay-store';
import { createPipeline } from './pipeline';
import { createClinicalEngine } from './clinical/engine';
import { warmUpRequest } from './clinical/warmup';
import { closeFhirAgents } from './fhir/client';
import { createPatientDataSource } from './fhir/prefetch';
import type { PatientDataSource } from './fhir/types';
import { createAuthMiddleware } from './auth';
import type { ReplayCache } from './auth/replayCache';
import { checkJsonLimits, createRateLimiter, formatJsonPath, securityHeaders } from './hardening';
import { NO_METRICS, type Metrics } from './metrics/types';
import type * as RedisModule from './state/redis';
import type { RedisState } from './state/redis';
import { buildRuleCatalogue } from './governance/catalogue';

export interface ServiceOptions {
  /** Directory of hooks/*.json (defaults to the repository's hooks/). */
  hooksDir?: string;
  /** Clock for the clinical core (tests pin it). */
  now?: () => Date;
  /** Clock for JWT checks, in milliseconds like Date.now (tests pin it). */
  nowMs?: () => number;
  /** Share the jti replay cache across worker processes through SQLite (when there is no Redis). */
  sharedReplayCache?: boolean;
  dataSource?: PatientDataSource;
  fetchImpl?: typeof fetch;
  isShuttingDown?: () => boolean;
  metrics?: Metrics;
}

export interface BuiltService {
  app: express.Express;
  store: CardStore;
  services: ServiceRegistry;
  redis?: RedisState;
  /** Resolves when the store can take writes; rejects on a fatal start-up error (listen only after it). */
  ready: Promise<void>;
  close(): Promise<void>;
}

export function buildService(config: AppConfig, logger: Logger, options: ServiceOptions = {}): BuiltService {
  const metrics = options.metrics ?? NO_METRICS;
  // Validates every service and compiles its prefetch templates: a bad one stops start-up, not a request.
  const services = loadServices(options.hooksDir);
  const opened = openCardStore(config.store, { logger, metrics });
  const store = opened.store;
  // ioredis is loaded only when Redis is configured.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const redis = config.redis.url ? (require('./state/redis') as typeof RedisModule).createRedisState({ ...config.redis, url: config.redis.url }, { logger, metrics }) : undefined;
  let sharedSqlite: SharedReplayCache | undefined;
  let replay: ReplayCache | undefined = redis?.replay;
  // Its own file beside the card store: every authenticated request writes a jti, and sharing the card store's
  // write lock across worker processes would serialise them.
  if (!replay && options.sharedReplayCache && config.store.path !== ':memory:') {
    sharedSqlite = openReplayStore(`${config.store.path}.jti`);
    replay = sharedSqlite;
  }
  const engine = createClinicalEngine(config.clinical);
  engine.evaluate(warmUpRequest(new Date()), { serviceTitle: 'warm-up', verificationSummary: true });
  const dataSource = options.dataSource ?? createPatientDataSource(config.fhir, { logger, fetchImpl: options.fetchImpl });
  const pipeline = createPipeline({ engine, dataSource, store, metrics, ...(options.now ? { now: options.now } : {}) });
  const auth = createAuthMiddleware(config, { logger, now: options.nowMs, replayCache: replay, fetchImpl: options.fetchImpl, metrics });
  const before = [securityHeaders({ publicBaseUrl: config.publicBaseUrl })];
  const afterAuth = config.rateLimit.enabled ? [createRateLimiter(config.rateLimit, redis ? { counter: redis.rateCounter } : {})] : [];
  const app = createApp({
    config,
    logger,
    services,
    pipeline,
    store,
    auth,
    metrics,
    before,
    afterAuth,
    checkJsonLimits: (value) => {
      const v = checkJsonLimits(value, config.limits);
      if (!v) return undefined;
      const what = v.kind === 'depth' ? 'nesting depth' : v.kind === 'string' ? 'string length' : 'array length';
      return `${formatJsonPath(v.path) || '(root)'}: ${what} exceeds the limit of ${v.limit}`;
    },
    // The public rule catalogue, from the thresholds configured now (built once).
    governance: { catalogue: buildRuleCatalogue(config.clinical), ...(options.now ? { now: options.now } : {}) },
    readiness: redis ? [{ name: 'redis', check: () => redis.ready() }] : [],
    ...(options.isShuttingDown ? { isShuttingDown: options.isShuttingDown } : {}),
  });
  return {
    app,
    store,
    services,
    ...(redis ? { redis } : {}),
    ready: opened.ready,
    async close() {
      await store.close();
      sharedSqlite?.close();
      await redis?.close();
      // Idle keep-alive connections to EHR FHIR servers (in-flight calls finish first).
      closeFhirAgents();
    },
  };
}
