/**
 * Configuration: config/default.json (embedded development defaults), overlaid by the JSON file named in
 * CDS_CONFIG, then by environment variables (PORT, HOST, LOG_LEVEL, WEB_CONCURRENCY, DATABASE_URL, REDIS_URL,
 * METRICS_PORT, ADMIN_TOKEN). Validated with zod at
 * start-up; a bad value or an unknown key stops the process with a message naming it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { productionProblems } from './config-production';

export { configWarnings, jwkThumbprint, productionProblems } from './config-production';

const jwk = z.looseObject({ kty: z.string(), kid: z.string().optional() });

const trustedClient = z
  .strictObject({
    /** The client's `iss` claim, compared exactly. */
    iss: z.string().min(1),
    /** Static JWK Set for the issuer (out-of-band key exchange). */
    jwks: z.strictObject({ keys: z.array(jwk).min(1) }).optional(),
    /** URL of the issuer's JWK Set; a token's `jku` is honoured only when equal to this. */
    jwksUrl: z.url().optional(),
    /** Optional allow-list of `tenant` claim values for this issuer. */
    tenants: z.array(z.string().min(1)).min(1).optional(),
  })
  .refine((c) => c.jwks !== undefined || c.jwksUrl !== undefined, {
    message: 'a trusted client needs "jwks" or "jwksUrl"',
  });

const positiveInt = z.number().int().positive();
const nonNegative = z.number().nonnegative();

const doseStep = z.strictObject({ fromMg: positiveInt, toMg: positiveInt });

const clinicalFields = z.strictObject({
  /** Look-back window for labs (ANC, platelets, bilirubin, ALT, AST, CrCl, eGFR), days. */
  labLookbackDays: positiveInt,
  /** A worsened disease status within this many days is "current progression". */
  progressionWindowDays: positiveInt,
  pregnancyStatusLookbackDays: positiveInt,
  hcgLookbackDays: positiveInt,
  standardDoseMg: positiveInt,
  highDoseMg: positiveInt,
  maxDoseMg: positiveInt,
  hematologic: z.strictObject({
    ancHoldBelow: nonNegative,
    plateletsHoldBelow: nonNegative,
    ancResumeAtLeast: nonNegative,
    plateletsResumeAtLeast: nonNegative,
    /** Label: on a second episode, resume at this dose (GIST / CP-CML 400 mg row). */
    recurrenceResumeDoseMg: positiveInt,
    /** Label: the only 800 mg row (DFSP) resumes at this dose; its use for GIST is unverified. */
    highDoseResumeDoseMg: positiveInt,
  }),
  hepatic: z.strictObject({
    bilirubinUlnMultiple: nonNegative,
    transaminaseUlnMultiple: nonNegative,
    bilirubinResumeBelowUlnMultiple: nonNegative,
    transaminaseResumeBelowUlnMultiple: nonNegative,
    /** Label reduction after a hepatotoxicity hold: mg/day before → mg/day after. */
    reducedDoseAfterHold: z.array(doseStep).min(1),
    impairmentDoseFactor: z.number().positive().max(1),
    /** The reduced dose in severe impairment is rounded down to a multiple of this (the smallest tablet). */
    impairmentDoseStepMg: positiveInt,
  }),
  renal: z.strictObject({
    mildBelow: nonNegative,
    moderateBelow: nonNegative,
    severeBelow: nonNegative,
    mildCapMg: positiveInt,
    moderateCapMg: positiveInt,
  }),
});

type ClinicalFields = z.infer<typeof clinicalFields>;

/**
 * Values that only make sense together: a bad combination stops start-up naming both keys. Each entry reads
 * "a must not exceed b" (or be below, when strict).
 */
const ORDERINGS: ReadonlyArray<{ low: string; high: string; strict: boolean; get: (c: ClinicalFields) => [number, number] }> = [
  { low: 'standardDoseMg', high: 'highDoseMg', strict: false, get: (c) => [c.standardDoseMg, c.highDoseMg] },
  { low: 'highDoseMg', high: 'maxDoseMg', strict: false, get: (c) => [c.highDoseMg, c.maxDoseMg] },
  { low: 'renal.severeBelow', high: 'renal.moderateBelow', strict: true, get: (c) => [c.renal.severeBelow, c.renal.moderateBelow] },
  { low: 'renal.moderateBelow', high: 'renal.mildBelow', strict: true, get: (c) => [c.renal.moderateBelow, c.renal.mildBelow] },
  { low: 'renal.moderateCapMg', high: 'renal.mildCapMg', strict: false, get: (c) => [c.renal.moderateCapMg, c.renal.mildCapMg] },
  { low: 'renal.mildCapMg', high: 'maxDoseMg', strict: false, get: (c) => [c.renal.mildCapMg, c.maxDoseMg] },
  { low: 'hematologic.ancHoldBelow', high: 'hematologic.ancResumeAtLeast', strict: false, get: (c) => [c.hematologic.ancHoldBelow, c.hematologic.ancResumeAtLeast] },
  { low: 'hematologic.plateletsHoldBelow', high: 'hematologic.plateletsResumeAtLeast', strict: false, get: (c) => [c.hematologic.plateletsHoldBelow, c.hematologic.plateletsResumeAtLeast] },
  { low: 'hematologic.recurrenceResumeDoseMg', high: 'standardDoseMg', strict: true, get: (c) => [c.hematologic.recurrenceResumeDoseMg, c.standardDoseMg] },
  { low: 'hematologic.highDoseResumeDoseMg', high: 'highDoseMg', strict: true, get: (c) => [c.hematologic.highDoseResumeDoseMg, c.highDoseMg] },
  { low: 'hepatic.bilirubinResumeBelowUlnMultiple', high: 'hepatic.bilirubinUlnMultiple', strict: false, get: (c) => [c.hepatic.bilirubinResumeBelowUlnMultiple, c.hepatic.bilirubinUlnMultiple] },
  { low: 'hepatic.transaminaseResumeBelowUlnMultiple', high: 'hepatic.transaminaseUlnMultiple', strict: false, get: (c) => [c.hepatic.transaminaseResumeBelowUlnMultiple, c.hepatic.transaminaseUlnMultiple] },
];

export const clinicalSchema = clinicalFields.superRefine((c, ctx) => {
  for (const o of ORDERINGS) {
    const [low, high] = o.get(c);
    if (o.strict ? low < high : low <= high) continue;
    ctx.addIssue({
      code: 'custom',
      path: o.high.split('.'),
      message: `must be ${o.strict ? 'above' : 'at least'} clinical.${o.low} (${low}), got ${high}`,
    });
  }
  const seen = new Set<number>();
  c.hepatic.reducedDoseAfterHold.forEach((step, i) => {
    if (step.toMg >= step.fromMg) ctx.addIssue({ code: 'custom', path: ['hepatic', 'reducedDoseAfterHold', i, 'toMg'], message: `must be below clinical.hepatic.reducedDoseAfterHold.${i}.fromMg (${step.fromMg}), got ${step.toMg}` });
    if (seen.has(step.fromMg)) ctx.addIssue({ code: 'custom', path: ['hepatic', 'reducedDoseAfterHold', i, 'fromMg'], message: `${step.fromMg} mg/day is listed twice` });
    seen.add(step.fromMg);
  });
});

export const configSchema = z.strictObject({
  /** Externally visible base URL (no trailing slash), e.g. https://cds.example.org. Used for JWT `aud`. */
  publicBaseUrl: z.url().optional(),
  server: z.strictObject({
    port: z.number().int().min(0).max(65535),
    host: z.string().min(1),
    /** Request bodies above this many bytes get 413. */
    bodyLimitBytes: positiveInt,
    requestTimeoutMs: positiveInt,
    headersTimeoutMs: positiveInt,
    keepAliveTimeoutMs: positiveInt,
    /** Grace period for in-flight requests on SIGTERM. */
    shutdownGraceMs: positiveInt,
    /** On SIGTERM, /readyz answers 503 for this long before the listener closes, so a load balancer stops routing first. */
    readinessDrainMs: z.number().int().nonnegative(),
    /** Number of worker processes; 0 = one per CPU. */
    /** Worker processes (WEB_CONCURRENCY); 0 = one per CPU; absent = 1 in development, one per CPU in production. */
    workers: z.number().int().min(0).optional(),
    trustProxy: z.union([z.boolean(), z.number().int().nonnegative(), z.string()]),
  }),
  limits: z.strictObject({
    maxJsonDepth: positiveInt,
    maxStringLength: positiveInt,
    maxArrayLength: positiveInt,
  }),
  log: z.strictObject({ level: z.enum(['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly']) }),
  cors: z.strictObject({
    /** Exact origins allowed to call from a browser; ["*"] allows any origin (credentials are never allowed). */
    allowedOrigins: z.array(z.string().min(1)),
    maxAgeSeconds: z.number().int().nonnegative(),
  }),
  auth: z.strictObject({
    /** Require a valid client JWT on service and feedback calls. */
    required: z.boolean(),
    /** Require it on discovery too. */
    discoveryRequired: z.boolean(),
    clockSkewSeconds: z.number().int().nonnegative(),
    /** Accepted JWS algorithms (asymmetric only). */
    algorithms: z.array(z.enum(['ES256', 'ES384', 'ES512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'])).min(1),
    /** Tokens whose lifetime (exp - iat) exceeds this are rejected; also bounds the jti replay cache. */
    maxTokenLifetimeSeconds: positiveInt,
    replayCacheSize: positiveInt,
    jwksFetchTimeoutMs: positiveInt,
    jwksCacheMaxAgeMs: positiveInt,
    /** Minimum interval between JWKS refreshes triggered by an unknown kid. */
    jwksRefreshIntervalMs: positiveInt,
    trustedClients: z.array(trustedClient),
  }),
  rateLimit: z.strictObject({
    enabled: z.boolean(),
    windowMs: positiveInt,
    maxRequestsPerClient: positiveInt,
  }),
  fhir: z.strictObject({
    /** fhirServer URLs are fetched only when they start with one of these prefixes. */
    allowedServers: z.array(z.url()),
    /** Per-call timeout. */
    requestTimeoutMs: positiveInt,
    /** Whole-request budget for fetching absent prefetch data. */
    budgetMs: positiveInt,
    /** Paged search Bundles are followed through `next` up to this many pages per key. */
    maxPages: positiveInt,
    maxResponseBytes: positiveInt,
    /** An OperationOutcome in a prefetch key: "fetch" it instead, or "fail" with 412. */
    onPrefetchOperationOutcome: z.enum(['fetch', 'fail']),
  }),
  store: z.strictObject({
    /** SQLite file for issued cards and feedback; ":memory:" for tests. Used when databaseUrl is absent. */
    path: z.string().min(1),
    /** Salt for hashing patient ids; when absent a random per-database salt is generated and kept in the database. */
    patientHashSalt: z.string().min(16).optional(),
    /** postgres:// URL (DATABASE_URL): cards, evaluations and feedback in PostgreSQL, shared by every instance. */
    databaseUrl: z
      .string()
      .regex(/^postgres(ql)?:\/\/\S+$/, 'must be a postgres:// or postgresql:// URL')
      .optional(),
    /** Local SQLite outbox for writes made while PostgreSQL is unreachable; default `<path>.outbox`. */
    outboxPath: z.string().min(1).optional(),
    pool: z.strictObject({
      /** Connections per worker process: instances × workers × max must stay below PostgreSQL max_connections. */
      max: positiveInt,
      connectTimeoutMs: positiveInt,
      /** PostgreSQL statement_timeout for the service's own queries. */
      statementTimeoutMs: positiveInt,
      idleTimeoutMs: positiveInt,
    }),
    /** How often the outbox tries to drain into PostgreSQL while it holds rows. */
    outboxDrainIntervalMs: positiveInt,
  }),
  redis: z.strictObject({
    /** redis:// or rediss:// URL (REDIS_URL): the jti replay cache and the rate limiter, shared by every instance. */
    url: z
      .string()
      .regex(/^rediss?:\/\/\S+$/, 'must be a redis:// or rediss:// URL')
      .optional(),
    /** Every command fails after this long (the request then answers 503), never hangs. */
    commandTimeoutMs: positiveInt,
    connectTimeoutMs: positiveInt,
    /** Prefix of every key the service writes (several deployments may share one Redis). */
    keyPrefix: z.string().min(1).max(64),
  }),
  metrics: z.strictObject({
    /** Port of the Prometheus listener (METRICS_PORT); absent = no metrics listener. */
    port: z.number().int().min(0).max(65535).optional(),
    /** Listen address; loopback unless configured otherwise. */
    host: z.string().min(1),
  }),
  admin: z.strictObject({
    /**
     * Bearer token of the admin pages (/admin/alerts): ADMIN_TOKEN. Not an EHR JWT; absent = the admin routes
     * answer 404. Production refuses one shorter than 32 characters.
     */
    token: z.string().min(1).max(512).optional(),
  }),
  analytics: z.strictObject({
    /** Flag a rule that fired before and has not fired for this many days. */
    silentDays: z.number().int().min(1).max(365),
    /** Counts from 1 to this minus 1 are shown as "<N" on the report (JSON stays exact). 1 = show every count. */
    suppressBelow: z.number().int().min(1).max(100),
  }),
  clinical: clinicalSchema,
});

export type AppConfig = z.infer<typeof configSchema>;
export type ClinicalConfig = z.infer<typeof clinicalSchema>;
export type TrustedClient = z.infer<typeof trustedClient>;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function isPlainObject(v: unknown): v is Record<string, Json> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Deep merge: objects merge key by key, everything else (arrays included) is replaced by the overlay. */
export function mergeConfig(base: Json, overlay: Json): Json {
  if (!isPlainObject(base) || !isPlainObject(overlay)) return overlay;
  const out: Record<string, Json> = { ...base };
  for (const [k, v] of Object.entries(overlay)) {
    if (k === '__proto__' || k === 'constructor' || k === 'prototype') continue;
    out[k] = k in base ? mergeConfig(base[k] as Json, v) : v;
  }
  return out;
}

function readJson(file: string): Json {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(`cannot read config file ${file}: ${(e as Error).message}`);
  }
  try {
    return JSON.parse(text) as Json;
  } catch (e) {
    throw new ConfigError(`config file ${file} is not valid JSON: ${(e as Error).message}`);
  }
}

function envInt(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  if (!/^\d+$/.test(raw)) throw new ConfigError(`environment variable ${name} must be a non-negative integer, got "${raw}"`);
  return Number(raw);
}

export const DEFAULT_CONFIG_FILE = path.resolve(__dirname, '..', '..', 'config', 'default.json');

function findDefaultConfig(): string {
  // Works from src/ (ts-jest, tsx) and from dist/src/ (compiled).
  for (const candidate of [path.resolve(__dirname, '..', 'config', 'default.json'), DEFAULT_CONFIG_FILE]) {
    if (fs.existsSync(candidate)) return candidate;
  }
  throw new ConfigError('config/default.json not found');
}

function formatIssues(error: z.ZodError): string {
  return error.issues
    .map((i) => {
      const where = i.path.length ? i.path.join('.') : '(root)';
      if (i.code === 'unrecognized_keys') return `unknown key(s) ${i.keys.map((k) => `"${[...i.path, k].join('.')}"`).join(', ')}`;
      return `${where}: ${i.message}`;
    })
    .join('; ');
}

/**
 * Validate a raw config object, enforcing the production rules (src/config-production.ts) when
 * NODE_ENV=production: every broken rule is reported in one ConfigError, each naming its key.
 */
export function parseConfig(raw: unknown, env: NodeJS.ProcessEnv = process.env): AppConfig {
  const result = configSchema.safeParse(raw);
  if (!result.success) throw new ConfigError(`invalid configuration: ${formatIssues(result.error)}`);
  const cfg = result.data;
  if (cfg.publicBaseUrl?.endsWith('/')) cfg.publicBaseUrl = cfg.publicBaseUrl.replace(/\/+$/, '');
  if (env.NODE_ENV === 'production') {
    const problems = productionProblems(cfg);
    if (problems.length > 0) {
      const count = `${problems.length} problem${problems.length === 1 ? '' : 's'}`;
      throw new ConfigError(`invalid production configuration (${count}): ${problems.join('; ')}`);
    }
  }
  return cfg;
}

/** Load default.json, overlay CDS_CONFIG and the environment, validate. Throws ConfigError naming the problem. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  let raw = readJson(findDefaultConfig());
  if (env.CDS_CONFIG) raw = mergeConfig(raw, readJson(path.resolve(env.CDS_CONFIG)));
  const overlay: Record<string, Json> = {};
  const server: Record<string, Json> = {};
  const port = envInt(env, 'PORT');
  if (port !== undefined) server.port = port;
  if (env.HOST) server.host = env.HOST;
  const workers = envInt(env, 'WEB_CONCURRENCY');
  if (workers !== undefined) server.workers = workers;
  if (Object.keys(server).length) overlay.server = server;
  if (env.LOG_LEVEL) overlay.log = { level: env.LOG_LEVEL };
  if (env.DATABASE_URL) overlay.store = { databaseUrl: env.DATABASE_URL };
  if (env.REDIS_URL) overlay.redis = { url: env.REDIS_URL };
  if (env.ADMIN_TOKEN) overlay.admin = { token: env.ADMIN_TOKEN };
  const metricsPort = envInt(env, 'METRICS_PORT');
  if (metricsPort !== undefined) overlay.metrics = { port: metricsPort };
  raw = mergeConfig(raw, overlay);
  return parseConfig(raw, env);
}
