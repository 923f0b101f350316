/**
 * What run.ts and profile.ts share: paths, the service's temporary config, starting the service / baseline /
 * FHIR server, the scenario bodies and a single checked request.
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { amoxicillinDraftOrder, completePrefetch, imatinibDraftOrder, orderSignBody, patientResources, prefetchResourceCount, SERVICE_ID, splitBody } from './patient';
import { patientRecord } from './records';
import { freePort, spawnServer, type ChildServer } from './servers';
import { BENCH_ISS, type BenchAlg, type SigningKey } from './tokens';

/** Repository root (this file runs from dist/bench/). */
export const ROOT = fs.existsSync(path.resolve(__dirname, '..', 'package.json')) ? path.resolve(__dirname, '..') : path.resolve(__dirname, '..', '..');
export const DIST = path.join(ROOT, 'dist');
export const SERVICE_MAIN = path.join(DIST, 'src', 'main.js');
export const BASELINE_MAIN = path.join(DIST, 'bench', 'baseline.js');
export const FHIR_MAIN = path.join(DIST, 'bench', 'fhir-server.js');
export const RESULTS_DIR = path.join(ROOT, 'bench', 'results');
export const SERVICE_PATH = `/cds-services/${SERVICE_ID}`;

interface DefaultConfig {
  server: { bodyLimitBytes: number };
  auth: { replayCacheSize: number };
}

export function defaultConfig(): DefaultConfig {
  return JSON.parse(fs.readFileSync(path.join(ROOT, 'config', 'default.json'), 'utf8')) as DefaultConfig;
}

/** BENCH_SERVICE_CONFIG as an object ({} when unset): what the run changes in the service's config. */
export function serviceConfigOverride(): { server?: { bodyLimitBytes?: number }; auth?: { replayCacheSize?: number } } {
  return process.env.BENCH_SERVICE_CONFIG ? (JSON.parse(process.env.BENCH_SERVICE_CONFIG) as ReturnType<typeof serviceConfigOverride>) : {};
}

/**
 * The body limit the service runs with (config/default.json, BENCH_SERVICE_CONFIG override). The baseline gets
 * the same limit, so both accept (or refuse) the same bodies: the 1,000- and 3,000-resource records need it.
 */
export function serviceBodyLimitBytes(): number {
  return serviceConfigOverride().server?.bodyLimitBytes ?? defaultConfig().server.bodyLimitBytes;
}

export function serviceTemplates(): Record<string, string> {
  const file = JSON.parse(fs.readFileSync(path.join(ROOT, 'hooks', `${SERVICE_ID}.json`), 'utf8')) as { prefetch: Record<string, string> };
  return file.prefetch;
}

/** A minimal env for children: no inherited configuration (NODE_ENV, LOG_LEVEL …) leaks into the run. */
export function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...extra };
}

export interface ServiceStartOptions {
  tmpDir: string;
  name: string;
  keys: SigningKey[];
  workers: number;
  logLevel: string;
  cpus?: string;
  nodeArgs?: string[];
  /** Extra environment (DATABASE_URL, REDIS_URL … as a deployment sets them). */
  env?: Record<string, string>;
  /** Merged over the temporary config last (after BENCH_SERVICE_CONFIG). */
  config?: Json;
}

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function merge(base: Json, over: Json): Json {
  if (typeof base !== 'object' || base === null || Array.isArray(base) || typeof over !== 'object' || over === null || Array.isArray(over)) return over;
  const out: { [k: string]: Json } = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = k in base ? merge(base[k] as Json, v) : v;
  return out;
}

/**
 * The service (dist/src/main.js) with a temp CDS_CONFIG trusting the bench keys, on a free port.
 * BENCH_SERVICE_CONFIG (JSON) is merged over it for experiments, e.g. '{"auth":{"replayCacheSize":1000}}'.
 */
export async function startService(o: ServiceStartOptions): Promise<ChildServer> {
  const port = await freePort();
  let config: Json = {
    publicBaseUrl: `http://127.0.0.1:${port}`,
    log: { level: o.logLevel },
    store: { path: path.join(o.tmpDir, `${o.name}.sqlite`) },
    auth: { required: true, trustedClients: [{ iss: BENCH_ISS, jwks: { keys: o.keys.map((k) => k.publicJwk as { [k: string]: Json }) } }] },
  };
  if (process.env.BENCH_SERVICE_CONFIG) config = merge(config, JSON.parse(process.env.BENCH_SERVICE_CONFIG) as Json);
  if (o.config) config = merge(config, o.config);
  const configFile = path.join(o.tmpDir, `${o.name}.config.json`);
  fs.writeFileSync(configFile, JSON.stringify(config, null, 2));
  return spawnServer({
    name: o.name,
    script: SERVICE_MAIN,
    nodeArgs: o.nodeArgs,
    env: childEnv({ ...o.env, PORT: String(port), CDS_CONFIG: configFile, WEB_CONCURRENCY: String(o.workers) }),
    cpus: o.cpus,
    logFile: path.join(o.tmpDir, `${o.name}.log`),
    port,
    readyPath: '/healthz',
  });
}

export async function startBaseline(tmpDir: string, cpus: string | undefined, nodeArgs?: string[]): Promise<ChildServer> {
  const port = await freePort();
  return spawnServer({
    name: 'baseline',
    script: BASELINE_MAIN,
    nodeArgs,
    env: childEnv({ PORT: String(port), BENCH_BODY_LIMIT: String(serviceBodyLimitBytes()) }),
    cpus,
    logFile: path.join(tmpDir, 'baseline.log'),
    port,
    readyPath: '/healthz',
  });
}

export async function startFhir(tmpDir: string, cpus: string | undefined, now: Date): Promise<ChildServer> {
  const port = await freePort();
  return spawnServer({
    name: 'fhir',
    script: FHIR_MAIN,
    env: childEnv({ PORT: String(port), BENCH_NOW: now.toISOString() }),
    cpus,
    logFile: path.join(tmpDir, 'fhir.log'),
    port,
    readyPath: `/Patient/none`,
    anyStatus: true,
  });
}

/** The scenarios BENCH_SCENARIOS can name. */
export type ScenarioId = 's1' | 's2' | 's3' | 's4' | 's5' | 's6';
export const SCENARIO_IDS: ScenarioId[] = ['s1', 's2', 's3', 's4', 's5', 's6'];

export interface Scenario {
  /** A ScenarioId, or `sweep-<size>` for a point of the record-size sweep. */
  id: string;
  alg: BenchAlg;
  /** Body split around the hookInstance. */
  body: [string, string];
  bytes: number;
  /** FHIR resources in the prefetch (0 when the service fetches them). */
  resources: number;
  /** Why this scenario exists. */
  description: string;
  /**
   * The case of test/fixtures/golden/hot-path.json with the same clinical request (the golden file was written at
   * another date, so only the cards' identity is compared; see bench/golden.ts).
   */
  golden: string;
}

/** Golden cases (test/integration/hot-path-golden.test.ts names them after patientRecord's size). */
const GOLDEN_IMATINIB = (size: number) => `imatinib, ${size}-resource record in prefetch`;
const GOLDEN_NO_IMATINIB = (size: number) => `no imatinib order, ${size}-resource prefetch`;
const GOLDEN_FETCH = 'imatinib, no prefetch: every key fetched from the FHIR server (300-resource record)';
/** The smallest golden record: the bench patient's own 13 resources plus one older lab (same cards). */
const GOLDEN_SMALLEST = 14;

/** The size of the large-record scenarios 5 and 6 (paths 4 and 5 of the performance issue). */
export const LARGE_RECORD_SIZE = 1000;

function scenario(id: string, alg: BenchAlg, body: string, resources: number, description: string, golden: string): Scenario {
  return { id, alg, body: splitBody(body), bytes: Buffer.byteLength(body), resources, description, golden };
}

/** An order-sign body for `order` with a complete prefetch of `resources`, and how many resources it carries. */
function prefetchBody(now: Date, resources: ReturnType<typeof patientResources>, order = imatinibDraftOrder(now)): { body: string; count: number } {
  const prefetch = completePrefetch(serviceTemplates(), resources);
  return { body: orderSignBody({ order, prefetch }), count: prefetchResourceCount(prefetch) };
}

export function buildScenarios(now: Date, fhirBaseUrl: string | undefined): Scenario[] {
  const small = prefetchBody(now, patientResources(now));
  const noImatinib = prefetchBody(now, patientResources(now), amoxicillinDraftOrder(now));
  const record = patientRecord(now, LARGE_RECORD_SIZE);
  const large = prefetchBody(now, record);
  const largeNoImatinib = prefetchBody(now, record, amoxicillinDraftOrder(now));
  const fetched = orderSignBody({ order: imatinibDraftOrder(now), fhirServer: fhirBaseUrl ?? 'http://127.0.0.1:9/fhir', fhirAccessToken: 'bench-fhir-access-token' });
  return [
    scenario('s1', 'RS384', small.body, small.count, 'imatinib 400 mg once-daily draft order (KIT exon 9, advanced: one card), complete prefetch (9 keys), RS384 JWT', GOLDEN_IMATINIB(GOLDEN_SMALLEST)),
    scenario('s2', 'ES384', small.body, small.count, 'same request as 1, ES384 JWT', GOLDEN_IMATINIB(GOLDEN_SMALLEST)),
    scenario('s3', 'RS384', noImatinib.body, noImatinib.count, 'amoxicillin draft order (no imatinib), same complete prefetch, RS384 JWT', GOLDEN_NO_IMATINIB(GOLDEN_SMALLEST)),
    scenario('s4', 'RS384', fetched, 0, 'imatinib order, no prefetch: every key fetched from the local FHIR server, RS384 JWT', GOLDEN_FETCH),
    scenario('s5', 'RS384', large.body, large.count, `imatinib order as 1 with a ${LARGE_RECORD_SIZE.toLocaleString('en')}-resource record in the prefetch (bench/records.ts: years of labs, orders, statements), RS384 JWT`, GOLDEN_IMATINIB(LARGE_RECORD_SIZE)),
    scenario('s6', 'RS384', largeNoImatinib.body, largeNoImatinib.count, `amoxicillin draft order (no imatinib), the same ${LARGE_RECORD_SIZE.toLocaleString('en')}-resource prefetch as 5, RS384 JWT`, GOLDEN_NO_IMATINIB(LARGE_RECORD_SIZE)),
  ];
}

/**
 * One point of the record-size sweep: the imatinib order of scenario 1 with `patientRecord(now, size)` as the
 * prefetch (size 10 gives the bench patient's own 13 resources: a record is never smaller).
 */
export function buildSweepPoint(now: Date, size: number): Scenario {
  const { body, count } = prefetchBody(now, patientRecord(now, size));
  const golden = GOLDEN_IMATINIB(Math.max(size, GOLDEN_SMALLEST));
  return scenario(`sweep-${size}`, 'RS384', body, count, `imatinib order, ${count}-resource record in the prefetch (patientRecord(now, ${size})), RS384 JWT`, golden);
}

/**
 * The scenarios BENCH_SCENARIOS names: "1,3", "s2", "fleet". Unknown names are an error. (5 used to mean the fleet;
 * since scenarios 5 and 6 exist, the fleet is named only by name.)
 */
export function parseScenarioList(raw: string): { ids: ScenarioId[]; fleet: boolean } {
  const ids: ScenarioId[] = [];
  let fleet = false;
  for (const part of raw.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean)) {
    const id = `s${part.replace(/^s/, '')}` as ScenarioId;
    if (part === 'fleet') fleet = true;
    else if (SCENARIO_IDS.includes(id)) {
      if (!ids.includes(id)) ids.push(id);
    } else throw new Error(`BENCH_SCENARIOS: unknown scenario "${part}" (use 1 to 6 and/or fleet, comma-separated)`);
  }
  if (!ids.length && !fleet) throw new Error(`BENCH_SCENARIOS: no scenario in "${raw}"`);
  return { ids, fleet };
}

export interface SingleResponse {
  status: number;
  body: string;
  ms: number;
}

/** One POST, for checking a scenario before loading it. */
export function postOnce(baseUrl: string, urlPath: string, body: string, token?: string): Promise<SingleResponse> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const headers: Record<string, string> = { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) };
    if (token) headers.authorization = `Bearer ${token}`;
    const req = http.request(`${baseUrl}${urlPath}`, { method: 'POST', headers, agent: false, timeout: 10_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), ms: performance.now() - started }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(body);
  });
}

/** "2 cards: warning 'Imatinib …', info '…'" or the error status. */
export function describeResponse(r: SingleResponse): string {
  if (r.status !== 200) return `HTTP ${r.status}: ${r.body.slice(0, 200)}`;
  try {
    const cards = (JSON.parse(r.body) as { cards?: { indicator?: string; summary?: string }[] }).cards ?? [];
    return `${cards.length} card(s)${cards.length ? ': ' : ''}${cards.map((c) => `${c.indicator ?? '?'} "${c.summary ?? ''}"`).join('; ')}`;
  } catch {
    return `HTTP 200, body not JSON: ${r.body.slice(0, 100)}`;
  }
}
