/**
 * `npm run bench`: the real service (dist/src/main.js) against a baseline Express app, side by side in one run.
 *
 * Per scenario: warm both up, then measure baseline and service one after the other (interleaved; with
 * BENCH_ROUNDS > 1 in A-B / B-A order) at BENCH_CONNECTIONS connections for BENCH_DURATION seconds each.
 * Servers are pinned to CPU 0 and this runner (autocannon in-process) to CPU 1 when taskset exists.
 * Then the multi-core check (1 vs 2 workers on both CPUs) and a soak (scenario 1, BENCH_SOAK seconds).
 * Results: printed, and written to bench/results/<timestamp>.{md,json} and latest.{md,json}.
 *
 * Environment:
 *   BENCH_DURATION=10      seconds per measurement            BENCH_CONNECTIONS=10
 *   BENCH_WARMUP=200       warm-up requests per server and scenario, then BENCH_WARMUP_SEC=2 seconds
 *   BENCH_ROUNDS=1         rounds per scenario (duration is split between them)
 *   BENCH_SCENARIOS=1,2,3,4                                      BENCH_CLUSTER=1 (0 skips the 2-worker run)
 *   BENCH_SOAK=20          soak seconds (0 skips; 120 for the 2-minute memory check)
 *   BENCH_LOG_LEVEL=info   the service's log level (info = production default)
 *   BENCH_PIN=1            0 disables taskset pinning
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { measureCryptoCost } from './crypto-cost';
import { runLoad, type LoadResult } from './load';
import { clkTck, cpuBusyDeltaMs, cpuDeltaMs, cpuMsByPid, machineInfo, parseCpuList, processTree, readMemory, readProcStat, resetPeakRss, type MachineInfo } from './proc';
import {
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
import { pinProcess, tail, taskset, type ChildServer } from './servers';
import { buildScenarios, defaultConfig, describeResponse, postOnce, RESULTS_DIR, SERVICE_PATH, startBaseline, startFhir, startService, type Scenario } from './setup';
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

const settings = {
  durationSec: envNumber('BENCH_DURATION', 10),
  connections: envNumber('BENCH_CONNECTIONS', 10),
  warmupRequests: envNumber('BENCH_WARMUP', 200),
  warmupSec: envNumber('BENCH_WARMUP_SEC', 2),
  rounds: Math.max(1, Math.floor(envNumber('BENCH_ROUNDS', 1))),
  scenarios: (process.env.BENCH_SCENARIOS ?? '1,2,3,4').split(',').map((s) => `s${s.trim().replace(/^s/, '')}`),
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
}

function target(name: string, server: ChildServer, cpus: string | undefined): Target {
  const list = cpus ? parseCpuList(cpus) : Array.from({ length: os.availableParallelism() }, (_, i) => i);
  return { name, server, cpus: list, pids: () => processTree(server.pid), served: 0 };
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
  if (r.cluster) {
    out.push('## Multi-core (scenario 1)', '');
    out.push(resultsTable(r.cluster.measurements).replace(/\| 1 imatinib, full prefetch, RS384 /g, '| 1 imatinib, full prefetch, RS384 '), '');
    if (r.cluster.gain !== undefined) out.push(`Throughput gain, 2 workers vs 1 worker on the same CPUs: **${r.cluster.gain.toFixed(2)}×**.`, '');
    out.push(r.cluster.note, '');
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
  out.push(targetsTable(targetChecks(r.measurements, r.crypto, r.soak)), '');
  if (r.notes.length) out.push('## Notes', '', ...r.notes.map((n) => `- ${n}`), '');
  out.push(`Total bench time ${r.totalSec.toFixed(0)} s.`, '');
  return out.join('\n');
}

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
  const cleanup = async () => {
    await Promise.all(children.map((c) => c.stop().catch(() => undefined)));
  };
  process.on('SIGINT', () => {
    void cleanup().then(() => process.exit(130));
  });

  try {
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
      settings: { ...settings, pinned: cpus.pinned, serverCpus: cpus.server, loadCpus: cpus.load },
      scenarios: scenarioInfo,
      crypto: Object.fromEntries(Object.entries(crypto).map(([k, v]) => [k, round(v, 2)])) as unknown as CryptoCost,
      measurements,
      cluster,
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
