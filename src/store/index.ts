/**
 * The record store for a configuration: PostgreSQL (with its local outbox) when store.databaseUrl /
 * DATABASE_URL is set, else the embedded SQLite file at store.path.
 */
import type { AppConfig } from '../config';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics/types';
import type * as PostgresModule from './postgres';
import { SqliteCardStore } from './sqlite';
import type { CardStore } from './types';

export type { CardStore, EvaluationRecord, FeedbackResult, IssuedCard } from './types';

export interface OpenedStore {
  store: CardStore;
  /** Resolves when the store can take writes (PostgreSQL migrated, or its outbox in use); rejects on a fatal start-up error. */
  ready: Promise<void>;
  kind: 'sqlite' | 'postgres';
}

export function openCardStore(cfg: AppConfig['store'], deps: { logger: Logger; metrics: Metrics }): OpenedStore {
  if (cfg.databaseUrl) {
    // Loaded only when configured: the PostgreSQL driver is memory an embedded (SQLite) deployment never uses.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { PostgresCardStore } = require('./postgres') as typeof PostgresModule;
    const store = new PostgresCardStore({ ...cfg, databaseUrl: cfg.databaseUrl }, deps);
    // Observed here so that an early failure is not an unhandled rejection; callers await `ready`.
    store.ready.catch(() => undefined);
    return { store, ready: store.ready, kind: 'postgres' };
  }
  const store = new SqliteCardStore({ path: cfg.path, ...(cfg.patientHashSalt ? { patientHashSalt: cfg.patientHashSalt } : {}) });
  return { store, ready: Promise.resolve(), kind: 'sqlite' };
}
