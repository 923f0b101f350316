/**
 * `npm run bench`: the real service (dist/src/main.js) against a baseline Express app, side by side in one run.
 *
 * Per scenario: warm both up, then measure baseline and service one after the other (interleaved; with
 * BENCH_ROUNDS > 1 in A-B / B-A order) at BENCH_CONNECTIONS connections for BENCH_DURATION seconds each.
 * Servers are pinned to CPU 0 and this runner (autocannon in-process) to CPU 1 when taskset exists.
 * Then, when selected, the fleet scenario (scenario 1 on two instances sharing PostgreSQL and Redis, against one instance on
 * SQLite with the in-memory replay cache; bench/fleet.ts), the multi-core check (1 vs 2 workers on both CPUs)
 * and a soak (scenario 1, BENCH_SOAK seconds).
 * Results: printed, and written to bench/results/<timestamp>.{md,json} and latest.{md,json}.
 *
 * Environment:
 *   BENCH_DURATION=10      seconds per measurement            BENCH_CONNECTIONS=10
 *   BENCH_WARMUP=200       warm-up requests per server and scenario, then BENCH_WARMUP_SEC=2 seconds
 *   BENCH_ROUNDS=1         rounds per scenario (duration is split between them)
 *   BENCH_SCENARIOS=1,2,3,4        add "fleet" (or 5) for the fleet scenario, or set BENCH_FLEET=1
 *   BENCH_FLEET_SOLO=1     fleet: also 1 instance on PostgreSQL + Redis (0 skips that row)
 *   BENCH_CLUSTER=1        0 skips the 2-worker run
 *   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres  (fleet: a throwaway database is created there)
 *   BENCH_REDIS_URL=redis://127.0.0.1:6379                          (fleet: keys under a unique prefix, deleted)
 *   BENCH_SOAK=20          soak seconds (0 skips; 120 for the 2-minute memory check)
 *   BENCH_LOG_LEVEL=info   the service's log level (info = production default)
 *   BENCH_PIN=1            0 disables taskset pinning
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { measureCryptoCost } from './crypto-cost';
import { DEFAULT_ADMIN_DATABASE_URL, DEFAULT_REDIS_URL, provisionFleetState, redactUrl, redisHostPort, type CleanupReport, type FleetState } from './fleet';
import { mergeLoadResults, runLoad, splitConnections, type LoadResult } from './load';
import {
  clkTck,
  cpuBusyDeltaMs,
  cpuDeltaMs,
  cpuMsByPid,
  findStateServers,
  listProcesses,
  machineInfo,
  parseCpuList,
  processTree,
  readMemory,
  readProcStat,
  resetPeakRss,
  type MachineInfo,
  type StateServerPids,
} from './proc';
import {
  fleetComparison,
  totalCpuMsPerRequest,
  fleetTable,
  growthPct,
  markdownTable,
  slope,
  resultsTable,
  round,
  SCENARIO_TITLES,
  summariseLatencies,
  targetChecks,
  targetsTable,
  type CryptoCost,
  type Measurement,
  type SoakResult,
} from './report';
import { getStatus, pinProcess, tail, taskset, type ChildServer } from './servers';
import { buildScenarios, defaultConfig, describeResponse, parseScenarioList, postOnce, RESULTS_DIR, SERVICE_PATH, startBaseline, startFhir, startService, type Scenario } from './setup';
import { generateSigningKey, mintJwt, TokenPool, type BenchAlg, type SigningKey } from './tokens';

/** auth.replayCacheSize the service runs with (config/default.json, BENCH_SERVICE_CONFIG override). */
function replayCacheSize(): number {
  const override = process.env.BENCH_SERVICE_CONFIG ? (JSON.parse(process.env.BENCH_SERVICE_CONFIG) as { auth?: { replayCacheSize?: number } }) : {};
  return override.auth?.replayCacheSize ?? defaultConfig().auth.replayCacheSize;
}

function envNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a non-negative number, got "${raw}"`);
  return n;
}

// The fleet scenario adds about a minute and needs PostgreSQL and Redis: off unless named or BENCH_FLEET=1.
const DEFAULT_SCENARIOS = '1,2,3,4';
const scenarioList = parseScenarioList(process.env.BENCH_SCENARIOS || DEFAULT_SCENARIOS);
if (envNumber('BENCH_FLEET', 0) > 0) scenarioList.fleet = true;

const settings = {
  durationSec: envNumber('BENCH_DURATION', 10),
  connections: envNumber('BENCH_CONNECTIONS', 10),
  warmupRequests: envNumber('BENCH_WARMUP', 200),
  warmupSec: envNumber('BENCH_WARMUP_SEC', 2),
  rounds: Math.max(1, Math.floor(envNumber('BENCH_ROUNDS', 1))),
  scenarios: [...scenarioList.ids, ...(scenarioList.fleet ? ['fleet'] : [])] as string[],
  fleet: scenarioList.fleet,
  /** Fleet scenario: also one instance on PostgreSQL + Redis (what the state path costs, without a second process). */
  fleetSolo: envNumber('BENCH_FLEET_SOLO', 1) > 0,
  /** Where the fleet's throwaway database is created (and dropped); the instances get the same URL with its name. */
  databaseUrl: process.env.BENCH_DATABASE_URL || DEFAULT_ADMIN_DATABASE_URL,
  redisUrl: process.env.BENCH_REDIS_URL || DEFAULT_REDIS_URL,
  cluster: envNumber('BENCH_CLUSTER', 1) > 0,
  soakSec: envNumber('BENCH_SOAK', 20),
  logLevel: process.env.BENCH_LOG_LEVEL ?? 'info',
  pin: envNumber('BENCH_PIN', 1) > 0,
  /** Pool = estimated requests × this. */
  poolFactor: 1.5,
};

const log = (msg: string) => process.stdout.write(`${msg}\n`);

interface Cpus {
  server?: string;
  load?: string;
  /** The servers' CPUs for the multi-core run. */
  all?: string;
  pinned: boolean;
}

/**
 * Servers on CPU 0, the load generator on the last CPU. The multi-core run gets every CPU but the load
 * generator's when there are at least 3, else all of them (shared with the load generator).
 */
function chooseCpus(cores: number): Cpus {
  if (!settings.pin || !taskset() || cores < 2) return { pinned: false };
  const load = cores - 1;
  const all = Array.from({ length: cores >= 3 ? cores - 1 : cores }, (_, i) => i).join(',');
  return { server: '0', load: String(load), all, pinned: true };
}

interface Target {
  name: string;
  server: ChildServer;
  /** CPUs the server may run on (for the "other load" reading). */
  cpus: number[];
  /** Pids whose CPU and memory count (primary + workers). */
  pids(): number[];
  /** Responses received from this server so far (warm-ups included). */
  served: number;
  /** 2xx responses among them. */
  ok: number;
}

function target(name: string, server: ChildServer, cpus: string | undefined): Target {
  const list = cpus ? parseCpuList(cpus) : Array.from({ length: os.availableParallelism() }, (_, i) => i);
  return { name, server, cpus: list, pids: () => processTree(server.pid), served: 0, ok: 0 };
}

/** The CPU the runner (load generator) is pinned to, when pinned. */
let loadCpu: number | undefined;

interface Run {
  load: LoadResult;
  cpuMs: number;
  /** Busy ms on the server's CPUs spent by anything but the server (and the runner, when it shares them). */
  otherMs: number;
  peakKb: number;
  rssKb: number;
  tokens?: { poolSize: number; fromPool: number; mintedOnDemand: number; mintMs: number };
  fhirCpuMs?: number;
  /** Fleet scenario: state servers' CPU, machine-wide other load, per instance. */
  spread?: SpreadStats;
}

interface SpreadStats {
  /** undefined when the process could not be found in /proc. */
  postgresBackendMs?: number;
  postgresAuxiliaryMs?: number;
  redisMs?: number;
  /** Busy ms of every CPU not spent by the instances, PostgreSQL, Redis or this runner. */
  machineOtherMs: number;
  perInstance: { name: string; completed: number; cpuMs: number; peakKb: number }[];
}

const pools = new Map<string, TokenPool>();
function poolFor(key: SigningKey, aud: string): TokenPool {
  const id = `${key.alg} ${aud}`;
  let p = pools.get(id);
  if (!p) pools.set(id, (p = new TokenPool(key, aud)));
  return p;
}

/**
 * Expected requests per second of each (server, scenario) for sizing token pools: 1.5 × the larger of the
 * warm-up rate and the rate the server's CPUs could sustain at the warm-up's CPU/request (on a shared machine
 * the warm-up rate alone under-estimates whenever the neighbours go quiet); raised by each measured round.
 */
const rateSeen = new Map<string, number>();

interface MeasureOptions {
  durationSec?: number;
  amount?: number;
  /** Signing key: fresh tokens per request (service); none = one fixed token (baseline). */
  key?: SigningKey;
  fhir?: ChildServer;
  expectedRps?: number;
  /** Mint every token as it is sent instead of pre-minting a pool (the soak). */
  mintOnTheFly?: boolean;
}

async function measure(t: Target, sc: Scenario, opts: MeasureOptions): Promise<Run> {
  let tokens: TokenPool | undefined;
  let mintMs = 0;
  if (opts.key) {
    tokens = poolFor(opts.key, `${t.server.baseUrl}${SERVICE_PATH}`);
    const expected = opts.amount ?? Math.ceil((opts.expectedRps ?? 1000) * (opts.durationSec ?? 10));
    mintMs = tokens.fill(opts.mintOnTheFly ? 0 : Math.min(expected + settings.connections * 2, 500_000));
  }
  const pids = t.pids();
  for (const pid of pids) resetPeakRss(pid);
  const cpuBefore = cpuMsByPid(pids);
  const statBefore = readProcStat();
  const fhirBefore = opts.fhir ? cpuMsByPid([opts.fhir.pid]) : undefined;
  const load = await runLoad({
    baseUrl: t.server.baseUrl,
    path: SERVICE_PATH,
    connections: settings.connections,
    durationSec: opts.durationSec,
    amount: opts.amount,
    body: sc.body,
    tokens,
    // The baseline gets the same header bytes; it does not verify them.
    staticToken: tokens ? undefined : STATIC_TOKEN,
  });
  const statAfter = readProcStat();
  t.served += load.completed;
  t.ok += load.ok;
  const pidsAfter = t.pids();
  const cpuMs = cpuDeltaMs(cpuBefore, cpuMsByPid(pidsAfter));
  const runnerShares = loadCpu !== undefined && t.cpus.includes(loadCpu);
  const otherMs = Math.max(0, cpuBusyDeltaMs(statBefore, statAfter, t.cpus) - cpuMs - (runnerShares || loadCpu === undefined ? load.loadGenCpuMs : 0));
  const mem = readMemory(pidsAfter);
  const fhirCpuMs = opts.fhir && fhirBefore ? cpuDeltaMs(fhirBefore, cpuMsByPid([opts.fhir.pid])) : undefined;
  return {
    load,
    cpuMs,
    otherMs,
    peakKb: mem.peakKb,
    rssKb: mem.rssKb,
    tokens: tokens ? { poolSize: tokens.size, fromPool: load.tokensFromPool, mintedOnDemand: load.tokensMintedOnDemand, mintMs } : undefined,
    fhirCpuMs,
  };
}

let STATIC_TOKEN = '';

function toMeasurement(scenario: string, server: string, workers: number, t: Target, runs: Run[]): Measurement {
  const completed = runs.reduce((n, r) => n + r.load.completed, 0);
  const durationSec = runs.reduce((n, r) => n + r.load.durationSec, 0);
  const cpuMs = runs.reduce((n, r) => n + r.cpuMs, 0);
  const loadCpu = runs.reduce((n, r) => n + r.load.loadGenCpuMs, 0);
  const latencies = new Float64Array(completed);
  let at = 0;
  for (const r of runs) {
    latencies.set(r.load.latenciesMs, at);
    at += r.load.latenciesMs.length;
  }
  const statusCodes: Record<string, number> = {};
  for (const r of runs) for (const [k, v] of Object.entries(r.load.statusCodes)) statusCodes[k] = (statusCodes[k] ?? 0) + v;
  const withTokens = runs.filter((r) => r.tokens);
  const fhir = runs.filter((r) => r.fhirCpuMs !== undefined);
  return {
    scenario,
    server,
    workers,
    cpus: t.cpus.join(','),
    connections: settings.connections,
    durationSec: round(durationSec, 2),
    completed,
    ok: runs.reduce((n, r) => n + r.load.ok, 0),
    non2xx: runs.reduce((n, r) => n + r.load.non2xx, 0),
    errors: runs.reduce((n, r) => n + r.load.errors, 0),
    statusCodes,
    rps: round(completed / durationSec, 1),
    latency: Object.fromEntries(Object.entries(summariseLatencies(latencies)).map(([k, v]) => [k, round(v, 3)])) as unknown as Measurement['latency'],
    serverCpuMs: round(cpuMs, 0),
    cpuMsPerRequest: round(completed ? cpuMs / completed : NaN, 4),
    serverCpuPct: round((cpuMs / (durationSec * 1000)) * 100, 1),
    otherLoadPct: round((runs.reduce((n, r) => n + r.otherMs, 0) / (durationSec * 1000 * t.cpus.length)) * 100, 1),
    peakRssMb: round(Math.max(...runs.map((r) => r.peakKb)) / 1024, 1),
    rssMb: round((runs[runs.length - 1]?.rssKb ?? 0) / 1024, 1),
    loadGenCpuPct: round((loadCpu / (durationSec * 1000)) * 100, 1),
    tokens: withTokens.length
      ? {
          poolSize: withTokens.reduce((n, r) => n + (r.tokens?.poolSize ?? 0), 0),
          fromPool: withTokens.reduce((n, r) => n + (r.tokens?.fromPool ?? 0), 0),
          mintedOnDemand: withTokens.reduce((n, r) => n + (r.tokens?.mintedOnDemand ?? 0), 0),
          mintMs: round(withTokens.reduce((n, r) => n + (r.tokens?.mintMs ?? 0), 0), 0),
        }
      : undefined,
    fhirServerCpuMsPerRequest: fhir.length ? round(fhir.reduce((n, r) => n + (r.fhirCpuMs ?? 0), 0) / completed, 4) : undefined,
  };
}

function oneLine(m: Measurement): string {
  const t = m.tokens ? ` tokens ${m.tokens.fromPool}/${m.tokens.poolSize}${m.tokens.mintedOnDemand ? ` +${m.tokens.mintedOnDemand} ON DEMAND` : ''}` : '';
  const err = m.non2xx + m.errors ? ` ERRORS ${m.non2xx + m.errors} ${JSON.stringify(m.statusCodes)}` : '';
  return `  ${m.server.padEnd(22)} ${m.rps.toFixed(0).padStart(6)} req/s  p50 ${m.latency.p50.toFixed(2)} ms  p99 ${m.latency.p99.toFixed(2)} ms  CPU ${m.cpuMsPerRequest.toFixed(3)} ms/req (${m.serverCpuPct.toFixed(0)}%, others ${m.otherLoadPct.toFixed(0)}%)  peak RSS ${m.peakRssMb} MB  load gen ${m.loadGenCpuPct.toFixed(0)}%${t}${err}`;
}

/**
 * Warm-up in two parts: a fixed number of requests (JIT, connection set-up), then `warmupSec` seconds whose
 * rate sizes the token pool of the measurement that follows.
 */
async function warmup(t: Target, sc: Scenario, key: SigningKey | undefined, fhir?: ChildServer): Promise<void> {
  const workers = Math.max(1, t.pids().length - 1);
  const estimate = (r: Run) => {
    const rate = r.load.completed / r.load.durationSec;
    const cpuBound = r.load.completed && r.cpuMs > 0 ? (1000 * Math.min(workers, t.cpus.length)) / (r.cpuMs / r.load.completed) : 0;
    return Math.max(rate * settings.poolFactor, cpuBound * settings.poolFactor);
  };
  const first = await measure(t, sc, { amount: Math.max(settings.warmupRequests, settings.connections * 10), key, fhir });
  const second = await measure(t, sc, { durationSec: settings.warmupSec, key, fhir, expectedRps: estimate(first) });
  rateSeen.set(`${t.name} ${sc.id}`, estimate(second));
  const bad = first.load.non2xx + first.load.errors + second.load.non2xx + second.load.errors;
  if (bad) log(`  warm-up ${t.name}: ${bad} failed ${JSON.stringify({ ...first.load.statusCodes, ...second.load.statusCodes })}`);
}

/** Where the state servers' processes are looked up (fleet scenario). */
interface StateWatch {
  database: string;
  redisPort: number;
}

interface SpreadOptions {
  durationSec?: number;
  amount?: number;
  key: SigningKey;
  /** The `aud` of the tokens (one public URL for the whole fleet). */
  aud: string;
  expectedRps?: number;
  watch?: StateWatch;
}

const stateServers = (w: StateWatch | undefined): StateServerPids | undefined => (w ? findStateServers(listProcesses(), w.database, w.redisPort) : undefined);

/**
 * One load run spread over `members` (the instances of a fleet, or one instance): parallel autocannon runs in
 * this process, `settings.connections` split evenly between them, one token pool (tokens are single-use across
 * the fleet: the shared replay cache would refuse a token sent to a second instance). Also reads the CPU of
 * PostgreSQL (backends of the run's database; its auxiliary processes) and Redis from /proc.
 */
async function measureSpread(members: Target[], sc: Scenario, o: SpreadOptions): Promise<Run> {
  const connections = splitConnections(settings.connections, members.length);
  const run = (tokens: TokenPool, opts: { durationSec?: number; amount?: number }) =>
    Promise.all(
      members.map((m, i) =>
        runLoad({
          baseUrl: m.server.baseUrl,
          path: SERVICE_PATH,
          connections: connections[i] ?? 1,
          durationSec: opts.durationSec,
          // amount is per run: split like the connections.
          amount: opts.amount === undefined ? undefined : Math.max(connections[i] ?? 1, Math.round((opts.amount * (connections[i] ?? 1)) / settings.connections)),
          body: sc.body,
          tokens,
        }),
      ),
    );
  const tokens = poolFor(o.key, o.aud);
  const expected = o.amount ?? Math.ceil((o.expectedRps ?? 1000) * (o.durationSec ?? 10));
  const mintMs = tokens.fill(Math.min(expected + settings.connections * 2, 500_000));
  if (o.amount === undefined) {
    // Minting a pool takes seconds; connections idle meanwhile (the PostgreSQL pool closes idle ones after
    // store.pool.idleTimeoutMs). A few requests first, so the measurement does not start cold.
    const touch = new TokenPool(o.key, o.aud);
    touch.fill(settings.connections * 5 + settings.connections * 2);
    const warm = await run(touch, { amount: settings.connections * 5 });
    members.forEach((m, i) => {
      m.served += warm[i]?.completed ?? 0;
      m.ok += warm[i]?.ok ?? 0;
    });
  }
  const memberPids = members.map((m) => m.pids());
  for (const pid of memberPids.flat()) resetPeakRss(pid);
  const stateBefore = stateServers(o.watch);
  const cpuBefore = cpuMsByPid(memberPids.flat());
  const pgBefore = stateBefore ? cpuMsByPid(stateBefore.backends) : undefined;
  const auxBefore = stateBefore ? cpuMsByPid(stateBefore.auxiliary) : undefined;
  const redisBefore = stateBefore ? cpuMsByPid(stateBefore.redis) : undefined;
  const statBefore = readProcStat();
  const runnerBefore = process.cpuUsage();
  const results = await run(tokens, { durationSec: o.durationSec, amount: o.amount });
  const runnerCpu = process.cpuUsage(runnerBefore);
  const statAfter = readProcStat();
  const stateAfter = stateServers(o.watch);
  const pidsAfter = members.map((m) => m.pids());
  const cpuAfter = cpuMsByPid(pidsAfter.flat());
  const loadGenCpuMs = (runnerCpu.user + runnerCpu.system) / 1000;
  const load = mergeLoadResults(results, loadGenCpuMs);
  const perInstance = members.map((m, i) => {
    const pids = pidsAfter[i] ?? [];
    const before = new Map([...cpuBefore].filter(([pid]) => pids.includes(pid)));
    const after = new Map([...cpuAfter].filter(([pid]) => pids.includes(pid)));
    m.served += results[i]?.completed ?? 0;
    m.ok += results[i]?.ok ?? 0;
    return { name: m.name, completed: results[i]?.completed ?? 0, cpuMs: cpuDeltaMs(before, after), peakKb: readMemory(pids).peakKb };
  });
  const cpuMs = perInstance.reduce((n, p) => n + p.cpuMs, 0);
  const delta = (before: Map<number, number> | undefined, pids: number[] | undefined, found: boolean) => (before && pids && found ? cpuDeltaMs(before, cpuMsByPid(pids)) : undefined);
  const pgFound = stateBefore?.postmaster !== undefined && stateAfter?.postmaster !== undefined;
  const postgresBackendMs = delta(pgBefore, stateAfter?.backends, pgFound);
  const postgresAuxiliaryMs = delta(auxBefore, stateAfter?.auxiliary, pgFound);
  const redisMs = delta(redisBefore, stateAfter?.redis, (stateAfter?.redis.length ?? 0) > 0);
  const allCpus = [...statAfter.keys()];
  const machineOtherMs = Math.max(0, cpuBusyDeltaMs(statBefore, statAfter, allCpus) - cpuMs - (postgresBackendMs ?? 0) - (postgresAuxiliaryMs ?? 0) - (redisMs ?? 0) - loadGenCpuMs);
  const serverCpus = members[0]?.cpus ?? allCpus;
  const runnerShares = loadCpu === undefined || serverCpus.includes(loadCpu);
  const mem = readMemory(pidsAfter.flat());
  return {
    load,
    cpuMs,
    otherMs: Math.max(0, cpuBusyDeltaMs(statBefore, statAfter, serverCpus) - cpuMs - (runnerShares ? loadGenCpuMs : 0)),
    peakKb: mem.peakKb,
    rssKb: mem.rssKb,
    tokens: { poolSize: tokens.size, fromPool: load.tokensFromPool, mintedOnDemand: load.tokensMintedOnDemand, mintMs },
    spread: { postgresBackendMs, postgresAuxiliaryMs, redisMs, machineOtherMs, perInstance },
  };
}

/** Warm-up of a spread target (as `warmup`): fixed requests, then `warmupSec` whose rate sizes the next pool. */
async function warmupSpread(name: string, members: Target[], sc: Scenario, o: Omit<SpreadOptions, 'durationSec' | 'amount' | 'expectedRps'>): Promise<void> {
  const serverCpus = members[0]?.cpus.length ?? 1;
  const estimate = (r: Run) => {
    const rate = r.load.completed / r.load.durationSec;
    const cpuBound = r.load.completed && r.cpuMs > 0 ? (1000 * Math.min(members.length, serverCpus)) / (r.cpuMs / r.load.completed) : 0;
    return Math.max(rate, cpuBound) * settings.poolFactor;
  };
  const first = await measureSpread(members, sc, { ...o, amount: Math.max(settings.warmupRequests, settings.connections * 10) });
  const second = await measureSpread(members, sc, { ...o, durationSec: settings.warmupSec, expectedRps: estimate(first) });
  rateSeen.set(`${name} fleet`, estimate(second));
  const bad = first.load.non2xx + first.load.errors + second.load.non2xx + second.load.errors;
  if (bad) log(`  warm-up ${name}: ${bad} failed ${JSON.stringify({ ...first.load.statusCodes, ...second.load.statusCodes })}`);
}

function toSpreadMeasurement(server: string, members: Target[], runs: Run[]): Measurement {
  const first = members[0] as Target;
  const m = toMeasurement('fleet', server, members.length, first, runs);
  const completed = m.completed;
  const sum = (f: (s: SpreadStats) => number | undefined) => {
    const values = runs.map((r) => (r.spread ? f(r.spread) : undefined));
    return values.some((v) => v === undefined) ? undefined : round(values.reduce((n: number, v) => n + (v ?? 0), 0) / completed, 4);
  };
  // Every CPU of the machine (os.availableParallelism() is this runner's affinity: 1 once pinned).
  const cores = readProcStat().size || os.cpus().length;
  return {
    ...m,
    state: {
      postgresBackendMsPerRequest: sum((s) => s.postgresBackendMs),
      postgresAuxiliaryMsPerRequest: sum((s) => s.postgresAuxiliaryMs),
      redisMsPerRequest: sum((s) => s.redisMs),
      machineOtherLoadPct: round((runs.reduce((n, r) => n + (r.spread?.machineOtherMs ?? 0), 0) / (m.durationSec * 1000 * cores)) * 100, 1),
      perInstance: members.map((t) => {
        const mine = runs.map((r) => r.spread?.perInstance.find((p) => p.name === t.name));
        const n = mine.reduce((a, p) => a + (p?.completed ?? 0), 0);
        return {
          name: t.name,
          completed: n,
          cpuMsPerRequest: round(n ? mine.reduce((a, p) => a + (p?.cpuMs ?? 0), 0) / n : NaN, 4),
          peakRssMb: round(Math.max(...mine.map((p) => p?.peakKb ?? 0)) / 1024, 1),
        };
      }),
    },
  };
}

/** The public URL every fleet instance is configured with (as behind a load balancer): the tokens' aud. */
const FLEET_PUBLIC_URL = 'http://imatinib-cds-fleet.invalid';

interface FleetReport {
  measurements: Measurement[];
  comparison?: string;
  /** What was checked before loading (each a sentence). */
  checks: string[];
  notes: string[];
  cleanup: CleanupReport;
}

async function readText(file: string): Promise<string> {
  try {
    return await fs.promises.readFile(file, 'utf8');
  } catch {
    return '';
  }
}

/**
 * The fleet scenario: one instance on SQLite with the in-memory replay cache against two instances (two
 * processes, WEB_CONCURRENCY=1 each, own ports) sharing one PostgreSQL database and one Redis key prefix; the
 * request of scenario 1; with BENCH_FLEET_SOLO, also one instance on PostgreSQL + Redis. Every instance fresh,
 * pinned to the servers' CPU, warmed the same way, measured in turn.
 */
async function runFleet(ctx: { tmpDir: string; cpus: Cpus; key: SigningKey; sc: Scenario; state: FleetState; children: ChildServer[] }): Promise<FleetReport> {
  const { tmpDir, cpus, key, sc, state, children } = ctx;
  const checks: string[] = [];
  const notes: string[] = [];
  const fail = (msg: string): never => {
    throw new Error(`fleet scenario: ${msg}`);
  };
  const single = await startService({ tmpDir, name: 'single', keys: [key], workers: 1, logLevel: settings.logLevel, cpus: cpus.server });
  children.push(single);
  const fleetConfig = { publicBaseUrl: FLEET_PUBLIC_URL, redis: { keyPrefix: state.keyPrefix } };
  const started = await Promise.allSettled(
    ['fleet-a', 'fleet-b', ...(settings.fleetSolo ? ['solo'] : [])].map((name) =>
      startService({ tmpDir, name, keys: [key], workers: 1, logLevel: settings.logLevel, cpus: cpus.server, env: { DATABASE_URL: state.databaseUrl, REDIS_URL: state.redisUrl }, config: fleetConfig }),
    ),
  );
  for (const r of started) if (r.status === 'fulfilled') children.push(r.value);
  const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  const [a, b, soloServer] = started.map((r) => (r as PromiseFulfilledResult<ChildServer>).value) as [ChildServer, ChildServer, ChildServer | undefined];
  const solo = soloServer ? target('solo', soloServer, cpus.server) : undefined;
  const fleet = [target('fleet-a', a, cpus.server), target('fleet-b', b, cpus.server)];
  const singleTarget = target('single', single, cpus.server);
  const watch: StateWatch = { database: state.database, redisPort: redisHostPort(state.redisUrl).port };
  const fleetAud = `${FLEET_PUBLIC_URL}${SERVICE_PATH}`;
  const singleAud = `${single.baseUrl}${SERVICE_PATH}`;
  const body = sc.body.join('4b0e7f0c-0f8e-4a3c-9d55-6a1c1f6f0b02');

  // Checked before loading: the fleet really uses PostgreSQL and Redis (a service that cannot reach PostgreSQL
  // at start-up still answers, from its outbox, and would measure the wrong thing).
  for (const s of [a, b, ...(soloServer ? [soloServer] : [])]) {
    const ready = await getStatus(`${s.baseUrl}/readyz`);
    if (ready !== 200) fail(`${s.name} /readyz answered ${ready} (Redis not reachable from the service?):\n${tail(s.logFile)}`);
  }
  const records = await state.records().catch((e: unknown) => fail(`the instances did not migrate ${state.database} (${(e as Error).message}): could they reach PostgreSQL?\n${tail(a.logFile)}`));
  if (records.schemaVersion < 1) fail(`the instances did not migrate ${state.database}`);
  const token = mintJwt(key, fleetAud);
  const first = await postOnce(a.baseUrl, SERVICE_PATH, body, token);
  if (first.status !== 200) fail(`fleet-a answered ${describeResponse(first)}`);
  const replay = await postOnce(b.baseUrl, SERVICE_PATH, body, token);
  if (replay.status !== 401) fail(`fleet-b accepted a token fleet-a had already accepted (HTTP ${replay.status}): the replay cache is not shared`);
  const second = await postOnce(b.baseUrl, SERVICE_PATH, body, mintJwt(key, fleetAud));
  if (second.status !== 200) fail(`fleet-b answered ${describeResponse(second)}`);
  const alone = await postOnce(single.baseUrl, SERVICE_PATH, body, mintJwt(key, singleAud));
  if (alone.status !== 200) fail(`the single instance answered ${describeResponse(alone)}`);
  for (const t of fleet) t.ok += 1;
  if (soloServer && solo) {
    const soloAnswer = await postOnce(soloServer.baseUrl, SERVICE_PATH, body, mintJwt(key, fleetAud));
    if (soloAnswer.status !== 200) fail(`the 1-instance PostgreSQL + Redis row answered ${describeResponse(soloAnswer)}`);
    solo.ok += 1;
  }
  checks.push(
    `${soloServer ? 'every PostgreSQL + Redis instance' : 'both fleet instances'} /readyz 200 (Redis reachable), ${state.database} migrated to schema version ${records.schemaVersion}`,
    `fleet-a → ${describeResponse(first)}; the same token then sent to fleet-b → HTTP ${replay.status} (replay refused across instances: the jti cache is shared); fleet-b with a fresh token → HTTP ${second.status}`,
    `single instance → ${describeResponse(alone)}`,
  );
  for (const c of checks) log(`  check: ${c}`);

  const setups = [
    { name: 'single', label: 'single instance (SQLite, in-memory jti cache)', members: [singleTarget], o: { key, aud: singleAud, watch } },
    ...(solo ? [{ name: 'solo', label: '1 instance (PostgreSQL + Redis)', members: [solo], o: { key, aud: fleetAud, watch } }] : []),
    { name: 'fleet', label: '2 instances (PostgreSQL + Redis)', members: fleet, o: { key, aud: fleetAud, watch } },
  ];
  log('  pre-warm and warm-up: single instance, fleet');
  for (let pass = 0; pass < 2; pass++) {
    for (const s of setups) await measureSpread(s.members, sc, { ...s.o, amount: Math.max(settings.warmupRequests, settings.connections * 10) });
  }
  for (const s of setups) await warmupSpread(s.name, s.members, sc, s.o);
  const runs: Record<string, Run[]> = { single: [], solo: [], fleet: [] };
  const per = settings.durationSec / settings.rounds;
  for (let r = 0; r < settings.rounds; r++) {
    for (const s of r % 2 === 0 ? setups : [...setups].reverse()) {
      const key = `${s.name} fleet`;
      const run = await measureSpread(s.members, sc, { ...s.o, durationSec: per, expectedRps: rateSeen.get(key) });
      runs[s.name]?.push(run);
      rateSeen.set(key, Math.max(rateSeen.get(key) ?? 0, (run.load.completed / run.load.durationSec) * settings.poolFactor));
    }
  }
  const measurements = setups.map((s) => toSpreadMeasurement(s.label, s.members, runs[s.name] ?? []));
  for (const m of measurements) {
    log(oneLine(m));
    const st = m.state;
    if (st) log(`  ${''.padEnd(22)} PostgreSQL ${st.postgresBackendMsPerRequest?.toFixed(3) ?? '?'} + aux ${st.postgresAuxiliaryMsPerRequest?.toFixed(3) ?? '?'} ms/req, Redis ${st.redisMsPerRequest?.toFixed(3) ?? '?'} ms/req, total ${totalCpuMsPerRequest(m).toFixed(3)} ms/req; ${st.perInstance.map((p) => `${p.name} ${p.completed}`).join(', ')}`);
    if (m.tokens?.mintedOnDemand) notes.push(`${m.server}: the token pool ran dry; ${m.tokens.mintedOnDemand} tokens were minted on the load generator during the measurement.`);
  }

  // What the fleet left in PostgreSQL and Redis: every 2xx answer is one evaluation, durable before the answer.
  const after = await state.records();
  const keys = await state.countKeys();
  const stateful = [...fleet, ...(solo ? [solo] : [])];
  const okServed = stateful.reduce((n, t) => n + t.ok, 0);
  const logs = (await Promise.all(stateful.map((t) => readText(t.server.logFile)))).join('\n');
  const outboxUsed = /local outbox|PostgreSQL write failed|Redis unavailable/.test(logs);
  // Each 2xx is one evaluation, durable before the answer left; a few more are normal: requests in flight when a
  // load run stopped were answered (and recorded) after the load generator stopped counting.
  const inFlightBound = settings.connections * 64;
  const recordsOk = after.evaluations >= okServed && after.evaluations <= okServed + inFlightBound && !outboxUsed;
  checks.push(
    `after the run: PostgreSQL holds ${after.evaluations} evaluations and ${after.issuedCards} issued cards for the ${okServed} 2xx answers the load generator counted from the PostgreSQL-backed instances` +
      (recordsOk
        ? ` (every counted answer recorded; the ${after.evaluations - okServed} extra are requests answered after a load run had stopped counting), no instance logged a PostgreSQL or Redis failure`
        : ' — MISMATCH or a logged PostgreSQL/Redis failure') +
      `; Redis holds ${keys} keys under the run's prefix (one per accepted jti + the replay-floor marker)`,
  );
  if (!recordsOk) notes.push(`Fleet: PostgreSQL holds ${after.evaluations} evaluations for ${okServed} counted 2xx answers${outboxUsed ? ' and an instance logged a PostgreSQL or Redis failure (see its log)' : ''}: some records may have gone to the outbox, so the fleet numbers may not measure PostgreSQL.`);
  log(`  check: ${checks[checks.length - 1]}`);

  const servers = [single, a, b, ...(soloServer ? [soloServer] : [])];
  for (const s of servers) {
    await s.stop();
    children.splice(children.indexOf(s), 1);
  }
  const leftover = servers.filter((s) => fs.existsSync(`/proc/${s.pid}`));
  const cleanup = await state.cleanup();
  const stray = findStateServers(listProcesses(), state.database, watch.redisPort).backends;
  if (leftover.length) cleanup.problems.push(`instances still running: ${leftover.map((s) => `${s.name} (pid ${s.pid})`).join(', ')}`);
  if (stray.length) cleanup.problems.push(`PostgreSQL backends of ${state.database} still running: ${stray.join(', ')}`);
  log(
    `  cleanup: ${cleanup.problems.length ? `PROBLEMS: ${cleanup.problems.join('; ')}` : `instances stopped, database ${cleanup.database} dropped, ${cleanup.keysDeleted} Redis keys deleted (${cleanup.keysLeft} left)`}`,
  );
  const row = (name: string) => measurements[setups.findIndex((x) => x.name === name)];
  return { measurements, comparison: fleetComparison(row('single'), row('fleet'), row('solo')), checks, notes, cleanup };
}

async function fileSize(file: string): Promise<number> {
  try {
    return (await fs.promises.stat(file)).size;
  } catch {
    return 0;
  }
}

interface Report {
  startedAt: string;
  machine: MachineInfo & { clkTck: number };
  settings: typeof settings & { pinned: boolean; serverCpus?: string; loadCpus?: string };
  scenarios: { id: string; title: string; description: string; bodyBytes: number; serviceAnswer: string; baselineAnswer: string }[];
  crypto: CryptoCost;
  measurements: Measurement[];
  cluster?: { measurements: Measurement[]; gain?: number; note: string };
  fleet?: FleetReport & { database: string; keyPrefix: string; postgresVersion: string; redisVersion: string; note: string };
  soak?: SoakResult;
  serviceLogBytesPerRequest?: number;
  notes: string[];
  totalSec: number;
}

function toMarkdown(r: Report): string {
  const out: string[] = [];
  out.push(`# imatinib-cds benchmark — ${r.startedAt}`, '');
  out.push(
    `Machine: ${r.machine.cpuModel}, ${r.machine.cores} cores${r.machine.memTotalMb ? `, ${r.machine.memTotalMb} MB RAM` : ''}; Node ${r.machine.node} (${r.machine.platform}); CLK_TCK ${r.machine.clkTck}.`,
    `Settings: ${r.settings.durationSec} s per measurement × ${r.settings.rounds} round(s), ${r.settings.connections} connections, warm-up ${r.settings.warmupRequests} requests + ${r.settings.warmupSec} s, service log level "${r.settings.logLevel}"; ` +
      (r.settings.pinned ? `servers pinned to CPU ${r.settings.serverCpus}, load generator (this runner, autocannon in-process) to CPU ${r.settings.loadCpus}.` : 'no CPU pinning.'),
    '',
  );
  if (r.measurements.length) {
    out.push('## Scenarios', '');
    out.push(markdownTable(['Scenario', 'Body bytes', 'Service answer (checked before loading)', 'What'], r.scenarios.map((s) => [s.title, String(s.bodyBytes), s.serviceAnswer, s.description])), '');
    out.push('## Results (1 worker)', '');
    out.push(resultsTable(r.measurements), '');
    out.push(
      'CPU ms/req = server utime+stime (/proc/<pid>/stat, summed over cluster workers) over the measurement ÷ responses. Peak RSS = VmHWM, reset before each measurement. Errors = non-2xx + socket errors. ' +
        'Server CPU % = server CPU time ÷ wall time (100 = one core saturated). Other load % = busy time of the server\'s CPUs not spent by the server or this runner (neighbouring processes; /proc/stat): above a few percent, req/s and latency understate the service. ' +
        '"Load gen CPU %" near 100 means the load generator, not the server, limited req/s.',
      '',
    );
  }
  if (r.cluster) {
    out.push('## Multi-core (scenario 1)', '');
    out.push(resultsTable(r.cluster.measurements).replace(/\| 1 imatinib, full prefetch, RS384 /g, '| 1 imatinib, full prefetch, RS384 '), '');
    if (r.cluster.gain !== undefined) out.push(`Throughput gain, 2 workers vs 1 worker on the same CPUs: **${r.cluster.gain.toFixed(2)}×**.`, '');
    out.push(r.cluster.note, '');
  }
  if (r.fleet) {
    out.push('## Fleet (scenario 1 on two instances sharing PostgreSQL and Redis)', '');
    out.push(fleetTable(r.fleet.measurements), '');
    if (r.fleet.comparison) out.push(r.fleet.comparison, '');
    out.push(r.fleet.note, '');
    out.push(
      `Per instance: ${r.fleet.measurements
        .map((m) => `${m.server}: ${(m.state?.perInstance ?? []).map((p) => `${p.name} ${p.completed} responses, ${fmtNum(p.cpuMsPerRequest, 3)} ms CPU/req, peak RSS ${fmtNum(p.peakRssMb, 0)} MB`).join('; ')}`)
        .join('. ')}.`,
      '',
    );
    out.push('Checked:', '', ...r.fleet.checks.map((c) => `- ${c}`), '');
    const c = r.fleet.cleanup;
    out.push(
      c.problems.length
        ? `Cleanup PROBLEMS: ${c.problems.join('; ')}.`
        : `Cleanup: every instance stopped, database \`${c.database}\` dropped, ${c.keysDeleted} Redis keys under \`${c.keyPrefix}\` deleted (${c.keysLeft} left).`,
      '',
    );
  }
  out.push('## Signature verification cost (in-process, this runner)', '');
  out.push(
    markdownTable(
      ['', 'node:crypto verify µs', 'jsonwebtoken.verify µs'],
      [
        ['RS384 (RSA 2048)', r.crypto.rs384VerifyUs.toFixed(1), (r.crypto.rs384JwtVerifyUs ?? NaN).toFixed(1)],
        ['ES384 (P-384)', r.crypto.es384VerifyUs.toFixed(1), (r.crypto.es384JwtVerifyUs ?? NaN).toFixed(1)],
      ],
    ),
    '',
  );
  if (r.soak) {
    out.push('## Soak (scenario 1, service, 1 worker)', '');
    out.push(
      `${r.soak.durationSec.toFixed(0)} s at ${r.soak.rps.toFixed(0)} req/s: RSS ${r.soak.rssStartMb.toFixed(1)} MB after warm-up → ${r.soak.rssEndMb.toFixed(1)} MB at the end (${r.soak.growthPct >= 0 ? '+' : ''}${r.soak.growthPct.toFixed(1)}%); range ${r.soak.minMb.toFixed(1)}–${r.soak.maxMb.toFixed(1)} MB, least-squares trend ${r.soak.slopeMbPerMin >= 0 ? '+' : ''}${r.soak.slopeMbPerMin.toFixed(1)} MB/min; ${r.soak.errors} errors. Tokens minted as sent (load generator CPU ${r.soak.loadGenCpuPct.toFixed(0)}%).`,
      `The service had answered ${r.soak.servedBefore} requests before the soak and ${r.soak.servedAfter} after it; its jti replay cache keeps every token until exp + clock skew (10 min here) up to auth.replayCacheSize = ${r.soak.replayCacheSize} entries (≈240 bytes of heap each), so RSS grows by design until about ${r.soak.replayCacheSize} requests have been served` +
        (r.soak.servedAfter < r.soak.replayCacheSize ? ' — not yet reached in this soak: growth here includes the cache filling (re-run with BENCH_SERVICE_CONFIG=\'{"auth":{"replayCacheSize":1000}}\' to see RSS without it).' : ' — reached: growth after that point is not the cache.'),
      `Samples (s: MB): ${r.soak.samples.map(([s, mb]) => `${s}: ${mb}`).join(', ')}`,
      '',
    );
  }
  out.push('## Targets (goals, not assertions)', '');
  out.push(targetsTable(targetChecks([...r.measurements, ...(r.fleet?.measurements ?? [])], r.crypto, r.soak)), '');
  if (r.notes.length) out.push('## Notes', '', ...r.notes.map((n) => `- ${n}`), '');
  out.push(`Total bench time ${r.totalSec.toFixed(0)} s.`, '');
  return out.join('\n');
}

const fmtNum = (n: number | undefined, digits: number) => (n === undefined || !Number.isFinite(n) ? '–' : n.toFixed(digits));

async function main(): Promise<void> {
  const started = Date.now();
  const cores = os.availableParallelism();
  const cpus = chooseCpus(cores);
  if (cpus.pinned && !pinProcess(process.pid, cpus.load as string)) {
    cpus.pinned = false;
    delete cpus.server;
    delete cpus.load;
  }
  if (cpus.load !== undefined) loadCpu = Number(cpus.load);
  const machine = { ...machineInfo(cores), clkTck: clkTck() };
  log(`imatinib-cds bench: ${machine.cpuModel}, ${cores} cores, Node ${machine.node}; ${cpus.pinned ? `servers on CPU ${cpus.server}, load generator on CPU ${cpus.load}` : 'not pinned'}`);

  const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'imatinib-bench-'));
  const notes: string[] = [];
  const children: ChildServer[] = [];
  let fleetState: FleetState | undefined;
  const cleanup = async () => {
    await Promise.all(children.map((c) => c.stop().catch(() => undefined)));
    // After the instances: nothing is connected to the database any more (FORCE ends stragglers anyway).
    const report = await fleetState?.cleanup();
    if (report?.problems.length) log(`fleet cleanup PROBLEMS: ${report.problems.join('; ')}`);
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      void cleanup().then(() => {
        fs.rmSync(tmpDir, { recursive: true, force: true });
        process.exit(signal === 'SIGINT' ? 130 : 143);
      });
    });
  }

  try {
    if (settings.fleet) {
      // First, so an unreachable PostgreSQL or Redis fails the run at once (not after the other scenarios).
      log(`fleet: PostgreSQL ${redactUrl(settings.databaseUrl)}, Redis ${redactUrl(settings.redisUrl)} …`);
      fleetState = await provisionFleetState(settings.databaseUrl, settings.redisUrl);
      log(`  PostgreSQL ${fleetState.postgresVersion}: database ${fleetState.database} created; Redis ${fleetState.redisVersion}: key prefix ${fleetState.keyPrefix}`);
      if (fleetState.foreignBenchDatabases.length) {
        const list = fleetState.foreignBenchDatabases.join(', ');
        log(`  note: ${fleetState.foreignBenchDatabases.length} other imatinib_bench_* database(s) exist (another bench running now, or a killed one): ${list}`);
        notes.push(`PostgreSQL already held bench databases this run did not create (another bench running, or a killed run; drop them by hand if none is running): ${list}.`);
      }
    }
    const keys: Record<BenchAlg, SigningKey> = { RS384: generateSigningKey('RS384'), ES384: generateSigningKey('ES384') };
    log('measuring signature verification cost in-process …');
    const crypto = measureCryptoCost(keys.RS384, keys.ES384);
    log(`  RS384 verify ${crypto.rs384VerifyUs.toFixed(1)} µs (jsonwebtoken ${crypto.rs384JwtVerifyUs?.toFixed(1)} µs), ES384 verify ${crypto.es384VerifyUs.toFixed(1)} µs (jsonwebtoken ${crypto.es384JwtVerifyUs?.toFixed(1)} µs)`);

    const now = new Date();
    const wantFhir = settings.scenarios.includes('s4');
    // The FHIR server shares the load generator's CPU so the service's CPU stays its own.
    const fhir = wantFhir ? await startFhir(tmpDir, cpus.load, now) : undefined;
    if (fhir) children.push(fhir);
    const baseline = await startBaseline(tmpDir, cpus.server);
    children.push(baseline);
    const service = await startService({ tmpDir, name: 'service', keys: [keys.RS384, keys.ES384], workers: 1, logLevel: settings.logLevel, cpus: cpus.server });
    children.push(service);
    STATIC_TOKEN = mintJwt(keys.RS384, `${baseline.baseUrl}${SERVICE_PATH}`);
    const targets = { baseline: target('baseline', baseline, cpus.server), service: target('service', service, cpus.server) };

    const scenarios = buildScenarios(now, fhir?.baseUrl).filter((s) => settings.scenarios.includes(s.id));
    const scenarioInfo: Report['scenarios'] = [];
    for (const sc of scenarios) {
      const body = sc.body.join('4b0e7f0c-0f8e-4a3c-9d55-6a1c1f6f0b01');
      const svc = await postOnce(service.baseUrl, SERVICE_PATH, body, mintJwt(keys[sc.alg], `${service.baseUrl}${SERVICE_PATH}`));
      const base = await postOnce(baseline.baseUrl, SERVICE_PATH, body, STATIC_TOKEN);
      const answer = describeResponse(svc);
      scenarioInfo.push({ id: sc.id, title: SCENARIO_TITLES[sc.id] ?? sc.id, description: sc.description, bodyBytes: sc.bytes, serviceAnswer: answer, baselineAnswer: describeResponse(base) });
      log(`scenario ${sc.id} (${sc.bytes} bytes): service → ${answer}`);
      if (svc.status !== 200) notes.push(`Scenario ${sc.id}: the service answered HTTP ${svc.status} before the run; its numbers measure the error path.`);
    }

    // Pre-warm every code path of both servers, so the first scenario does not carry the JIT and heap-growth
    // cost of a cold process that later scenarios escape.
    log('\npre-warm: every scenario, both servers');
    for (let pass = 0; pass < 2; pass++) {
      for (const sc of scenarios) {
        const amount = Math.max(settings.warmupRequests, settings.connections * 10);
        await measure(targets.baseline, sc, { amount });
        await measure(targets.service, sc, { amount, key: keys[sc.alg], fhir: sc.id === 's4' ? fhir : undefined });
      }
    }

    const measurements: Measurement[] = [];
    const logBefore = await fileSize(service.logFile);
    let serviceRequests = 0;
    for (const sc of scenarios) {
      log(`\n${SCENARIO_TITLES[sc.id]} — warm-up`);
      const s4Fhir = sc.id === 's4' ? fhir : undefined;
      await warmup(targets.baseline, sc, undefined);
      await warmup(targets.service, sc, keys[sc.alg], s4Fhir);
      const runs: Record<'baseline' | 'service', Run[]> = { baseline: [], service: [] };
      const per = settings.durationSec / settings.rounds;
      for (let round = 0; round < settings.rounds; round++) {
        const order: ('baseline' | 'service')[] = round % 2 === 0 ? ['baseline', 'service'] : ['service', 'baseline'];
        for (const which of order) {
          const t = targets[which];
          const isService = which === 'service';
          const rateKey = `${t.name} ${sc.id}`;
          const run = await measure(t, sc, {
            durationSec: per,
            key: isService ? keys[sc.alg] : undefined,
            fhir: isService ? s4Fhir : undefined,
            expectedRps: rateSeen.get(rateKey),
          });
          runs[which].push(run);
          rateSeen.set(rateKey, Math.max(rateSeen.get(rateKey) ?? 0, (run.load.completed / run.load.durationSec) * settings.poolFactor));
        }
      }
      const base = toMeasurement(sc.id, 'baseline', 1, targets.baseline, runs.baseline);
      const svc = toMeasurement(sc.id, 'service', 1, targets.service, runs.service);
      serviceRequests += svc.completed;
      measurements.push(base, svc);
      log(oneLine(base));
      log(oneLine(svc));
      if (svc.fhirServerCpuMsPerRequest !== undefined) log(`  FHIR server CPU ${svc.fhirServerCpuMsPerRequest.toFixed(3)} ms per service request`);
      if (svc.tokens?.mintedOnDemand) notes.push(`Scenario ${sc.id}: the token pool ran dry; ${svc.tokens.mintedOnDemand} tokens were minted on the load generator during the measurement.`);
    }
    const logAfter = await fileSize(service.logFile);
    const serviceLogBytesPerRequest = serviceRequests ? round((logAfter - logBefore) / serviceRequests, 0) : undefined;

    let fleetReport: Report['fleet'];
    const fleetScenario = buildScenarios(now, undefined).find((s) => s.id === 's1');
    if (settings.fleet && fleetState && fleetScenario) {
      log('\nfleet (scenario 1): 1 instance on SQLite vs 2 instances on PostgreSQL + Redis');
      const fr = await runFleet({ tmpDir, cpus, key: keys.RS384, sc: fleetScenario, state: fleetState, children });
      notes.push(...fr.notes);
      fleetReport = {
        ...fr,
        database: fleetState.database,
        keyPrefix: fleetState.keyPrefix,
        postgresVersion: fleetState.postgresVersion,
        redisVersion: fleetState.redisVersion,
        note:
          (cpus.pinned
            ? `Every service process (the single instance, both fleet instances${settings.fleetSolo ? ' and the 1-instance PostgreSQL + Redis row' : ''}; \`WEB_CONCURRENCY=1\` each, own ports) pinned to CPU ${cpus.server}, the load generator (this runner: two autocannon runs in parallel, ${splitConnections(settings.connections, 2).join(' + ')} connections, one per fleet instance; ${settings.connections} connections to a single instance) to CPU ${cpus.load}. `
            : 'No CPU pinning. ') +
          `PostgreSQL ${fleetState.postgresVersion} and Redis ${fleetState.redisVersion} are the machine's own servers on 127.0.0.1, not pinned: the kernel runs them on either CPU, so they compete with the service or the load generator. ` +
          'Service CPU ms/req = utime+stime of the instances ÷ responses; PostgreSQL backends = the client backends connected to the run\'s database (children of the postmaster, identified by their process title), PostgreSQL aux = the postmaster\'s own processes (checkpointer, walwriter …), Redis = the redis-server process — all from /proc, ÷ the same responses. ' +
          'PostgreSQL aux and Redis are shared with anything else using those servers (the single-instance row, which uses neither, shows that background level). ' +
          `Other load % = busy time of all ${readProcStat().size || os.cpus().length} CPUs not spent by the instances, PostgreSQL, Redis or the load generator. Peak RSS = sum of the instances' VmHWM (PostgreSQL and Redis not included). ` +
          (settings.fleetSolo
            ? 'The "1 instance (PostgreSQL + Redis)" row is the fleet\'s configuration with one process: it minus the single-instance row is what the state path (PostgreSQL record, Redis jti check) costs; the fleet row minus it is what a second process on the same CPU costs. '
            : '') +
          `Both fleet instances have publicBaseUrl ${FLEET_PUBLIC_URL} (one public URL, as behind a load balancer) and draw fresh RS384 tokens from one pool: a token is never sent twice. Rate limiting is off (the default), as in the other scenarios.`,
      };
    }

    // Multi-core: the 1-worker service re-pinned to every CPU vs a 2-worker service on every CPU. On a 2-core
    // machine both then share CPU 1 with the load generator, so the gain is a lower bound; the comparison is fair
    // because both runs have the same CPUs.
    let cluster: Report['cluster'];
    const s1 = scenarios.find((s) => s.id === 's1');
    if (settings.cluster && s1) {
      log('\nmulti-core (scenario 1): 1 worker vs 2 workers on the same CPUs');
      const clusterMs: Measurement[] = [];
      const wideCpus = cpus.pinned ? cpus.all : undefined;
      const oneTarget = target('service-wide', service, wideCpus);
      if (cpus.pinned) pinProcess(service.pid, cpus.all as string);
      await warmup(oneTarget, s1, keys.RS384);
      const one = toMeasurement('s1', 'service, 1 worker', 1, oneTarget, [
        await measure(oneTarget, s1, { durationSec: settings.durationSec, key: keys.RS384, expectedRps: rateSeen.get('service-wide s1') }),
      ]);
      if (cpus.pinned) pinProcess(service.pid, cpus.server as string);
      log(oneLine(one));
      const two = await startService({ tmpDir, name: 'service-2w', keys: [keys.RS384], workers: 2, logLevel: settings.logLevel, cpus: wideCpus });
      children.push(two);
      // /healthz answers as soon as the first worker listens; wait for the second.
      for (let i = 0; i < 100 && processTree(two.pid).length < 3; i++) await new Promise((r) => setTimeout(r, 100));
      await new Promise((r) => setTimeout(r, 500));
      const twoTarget = target('service-2w', two, wideCpus);
      await warmup(twoTarget, s1, keys.RS384);
      const twoM = toMeasurement('s1', 'service, 2 workers', 2, twoTarget, [
        await measure(twoTarget, s1, { durationSec: settings.durationSec, key: keys.RS384, expectedRps: rateSeen.get('service-2w s1') }),
      ]);
      log(oneLine(twoM));
      log(`  workers seen: ${processTree(two.pid).length - 1}`);
      await two.stop();
      children.splice(children.indexOf(two), 1);
      const base = measurements.find((m) => m.scenario === 's1' && m.server === 'baseline');
      if (base) clusterMs.push(base);
      clusterMs.push(one, twoM);
      cluster = {
        measurements: clusterMs,
        gain: one.rps > 0 ? twoM.rps / one.rps : undefined,
        note: cpus.pinned
          ? `Both service runs may use CPUs ${cpus.all}` +
            (cpus.all?.split(',').includes(cpus.load as string) ? `, which the load generator (CPU ${cpus.load}) shares: with only 2 CPUs the 2-worker gain is a lower bound.` : ` (the load generator has CPU ${cpus.load} to itself).`) +
            ` CPU ms/req includes the cluster primary; with more than one worker the jti replay cache moves to SQLite (one INSERT per request, in its own file beside the card store). The baseline row (CPU ${cpus.server} only) is for reference.`
          : 'No pinning: servers and load generator share all CPUs.',
      };
    }

    // Soak: scenario 1 against the long-running 1-worker service (already warm from the scenarios above).
    let soak: SoakResult | undefined;
    if (settings.soakSec > 0 && s1) {
      log(`\nsoak: scenario 1 for ${settings.soakSec} s`);
      await warmup(targets.service, s1, keys.RS384);
      const rssStart = readMemory(targets.service.pids()).rssKb;
      const servedBefore = targets.service.served;
      const samples: [number, number][] = [[0, round(rssStart / 1024, 1)]];
      const t0 = Date.now();
      const sampler = setInterval(() => samples.push([Math.round((Date.now() - t0) / 1000), round(readMemory(targets.service.pids()).rssKb / 1024, 1)]), Math.max(1000, (settings.soakSec * 1000) / 24));
      // Tokens are minted as they are sent: a pool for minutes would take a minute to mint, and the soak is about
      // memory; the load generator's CPU % shows whether minting held the rate back.
      const run = await measure(targets.service, s1, { durationSec: settings.soakSec, key: keys.RS384, mintOnTheFly: true });
      clearInterval(sampler);
      const rssEnd = readMemory(targets.service.pids()).rssKb;
      samples.push([Math.round((Date.now() - t0) / 1000), round(rssEnd / 1024, 1)]);
      const mbs = samples.map(([, mb]) => mb);
      soak = {
        durationSec: run.load.durationSec,
        minMb: Math.min(...mbs),
        maxMb: Math.max(...mbs),
        slopeMbPerMin: round(slope(samples) * 60, 2),
        rps: round(run.load.completed / run.load.durationSec, 1),
        rssStartMb: round(rssStart / 1024, 1),
        rssEndMb: round(rssEnd / 1024, 1),
        growthPct: round(growthPct(rssStart, rssEnd), 2),
        peakRssMb: round(run.peakKb / 1024, 1),
        errors: run.load.non2xx + run.load.errors,
        loadGenCpuPct: round((run.load.loadGenCpuMs / (run.load.durationSec * 1000)) * 100, 1),
        servedBefore,
        servedAfter: targets.service.served,
        replayCacheSize: replayCacheSize(),
        samples,
      };
      log(`  RSS ${soak.rssStartMb} → ${soak.rssEndMb} MB (${soak.growthPct}%), ${soak.rps} req/s, ${soak.errors} errors`);
    }

    if (serviceLogBytesPerRequest !== undefined) notes.push(`Service log level "${settings.logLevel}": ${serviceLogBytesPerRequest} bytes of log per request (written to a file, as stdout redirected by a process manager would be).`);
    notes.push(
      `Token pools: ${settings.poolFactor} × duration × the larger of the warm-up rate and the rate the server's CPU could sustain at the warm-up's CPU/request, minted before each measurement (not timed); exhaustion is counted and listed above. The baseline receives one fixed token of the same size (it does not verify it).`,
    );
    const s4 = measurements.find((m) => m.scenario === 's4' && m.server === 'service');
    if (s4?.fhirServerCpuMsPerRequest !== undefined) notes.push(`Scenario 4: the local FHIR server (its own process on the load generator's CPU, answering repeated URLs from a response cache) used ${s4.fhirServerCpuMsPerRequest.toFixed(3)} ms CPU per service request; the baseline does not fetch, so the ratio only shows what fetching adds.`);

    const report: Report = {
      startedAt: new Date(started).toISOString(),
      machine,
      settings: { ...settings, databaseUrl: redactUrl(settings.databaseUrl), redisUrl: redactUrl(settings.redisUrl), pinned: cpus.pinned, serverCpus: cpus.server, loadCpus: cpus.load },
      scenarios: scenarioInfo,
      crypto: Object.fromEntries(Object.entries(crypto).map(([k, v]) => [k, round(v, 2)])) as unknown as CryptoCost,
      measurements,
      cluster,
      fleet: fleetReport,
      soak,
      serviceLogBytesPerRequest,
      notes,
      totalSec: (Date.now() - started) / 1000,
    };
    const md = toMarkdown(report);
    fs.mkdirSync(RESULTS_DIR, { recursive: true });
    const stamp = report.startedAt.replace(/[:.]/g, '-');
    for (const name of [stamp, 'latest']) {
      fs.writeFileSync(path.join(RESULTS_DIR, `${name}.md`), md);
      fs.writeFileSync(path.join(RESULTS_DIR, `${name}.json`), `${JSON.stringify(report, null, 2)}\n`);
    }
    log(`\n${md}`);
    log(`written: bench/results/${stamp}.{md,json} and bench/results/latest.{md,json}`);
  } catch (e) {
    for (const c of children) {
      const t = tail(c.logFile, 10);
      if (t.trim()) log(`--- last lines of ${c.name} log ---\n${t}`);
    }
    throw e;
  } finally {
    await cleanup();
    fs.rmSync(tmpDir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
