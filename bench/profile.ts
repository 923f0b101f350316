/**
 * Profile the service under scenario-1 load (or another scenario): starts dist/src/main.js with --cpu-prof,
 * drives it with autocannon for PROFILE_DURATION seconds, stops it (SIGTERM → graceful exit writes the
 * profile) and prints where the CPU went by area, module and function.
 *
 *   npm run build && node dist/bench/profile.js
 *   PROFILE_SCENARIO=3 PROFILE_DURATION=20 node dist/bench/profile.js
 *   PROFILE_TARGET=baseline node dist/bench/profile.js        (the baseline Express app, for comparison)
 *   PROFILE_WORKERS=2 node dist/bench/profile.js              (cluster: primary and each worker write a profile)
 *   node dist/bench/profile.js path/to/CPU.x.cpuprofile     (summarise an existing profile)
 *
 * The .cpuprofile and a summary (.md) go to bench/results/profile-<timestamp>/; open the profile in Chrome
 * DevTools (Performance → Load profile) or VS Code for the flame chart. The profile covers the whole process,
 * start-up and warm-up included (under a second of the total).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { summariseProfile, type CpuProfile, type ProfileSummary } from './cpuprofile';
import { runLoad } from './load';
import { markdownTable } from './report';
import { pinProcess, taskset } from './servers';
import { buildScenarios, describeResponse, postOnce, RESULTS_DIR, SERVICE_PATH, startBaseline, startFhir, startService } from './setup';
import { generateSigningKey, mintJwt, TokenPool } from './tokens';

function summaryMarkdown(title: string, s: ProfileSummary, requests?: number): string {
  const perReq = (ms: number) => (requests ? ((ms * 1000) / requests).toFixed(1) : '–');
  const table = (rows: ProfileSummary['byArea'], head: string) =>
    markdownTable([head, 'self ms', '% of busy', 'µs/request'], rows.map((r) => [r.name, r.selfMs.toFixed(1), r.pct.toFixed(1), perReq(r.selfMs)]));
  return [
    `# ${title}`,
    '',
    `Profiled ${(s.totalMs / 1000).toFixed(1)} s, of which busy (not idle) ${(s.busyMs / 1000).toFixed(1)} s` +
      (requests ? ` over ${requests} requests (${perReq(s.busyMs)} µs/request, start-up included).` : '.'),
    '',
    '## By area',
    '',
    table(s.byArea, 'Area'),
    '',
    '## By module',
    '',
    table(s.byModule, 'Module'),
    '',
    '## Top functions (self time)',
    '',
    table(s.byFunction, 'Function'),
    '',
  ].join('\n');
}

async function profileLive(): Promise<void> {
  const durationSec = Number(process.env.PROFILE_DURATION ?? 15);
  const scenarioId = `s${(process.env.PROFILE_SCENARIO ?? '1').replace(/^s/, '')}`;
  const pinned = taskset() !== null && os.availableParallelism() >= 2 && process.env.BENCH_PIN !== '0' && pinProcess(process.pid, '1');
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const outDir = path.join(RESULTS_DIR, `profile-${stamp}`);
  fs.mkdirSync(outDir, { recursive: true });
  const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'imatinib-profile-'));
  const rs = generateSigningKey('RS384');
  const es = generateSigningKey('ES384');
  const now = new Date();
  const fhir = scenarioId === 's4' ? await startFhir(tmpDir, pinned ? '1' : undefined, now) : undefined;
  let requests = 0;
  const baseline = process.env.PROFILE_TARGET === 'baseline';
  const workers = Number(process.env.PROFILE_WORKERS ?? 1);
  // One worker: pinned to CPU 0 (the runner is on CPU 1); several: not pinned.
  const serverCpus = pinned && workers === 1 ? '0' : undefined;
  const nodeArgs = ['--cpu-prof', '--cpu-prof-dir', outDir];
  const service = baseline
    ? await startBaseline(tmpDir, serverCpus, nodeArgs)
    : await startService({ tmpDir, name: 'service', keys: [rs, es], workers, logLevel: process.env.BENCH_LOG_LEVEL ?? 'info', cpus: serverCpus, nodeArgs });
  if (workers > 1) await new Promise((r) => setTimeout(r, 1500));
  const who = baseline ? 'baseline' : 'service';
  try {
    const sc = buildScenarios(now, fhir?.baseUrl).find((s) => s.id === scenarioId);
    if (!sc) throw new Error(`unknown scenario ${scenarioId}`);
    const key = sc.alg === 'ES384' ? es : rs;
    const aud = `${service.baseUrl}${SERVICE_PATH}`;
    const check = await postOnce(service.baseUrl, SERVICE_PATH, sc.body.join('4b0e7f0c-0f8e-4a3c-9d55-6a1c1f6f0b01'), mintJwt(key, aud));
    console.log(`scenario ${sc.id}: ${describeResponse(check)}`);
    // The baseline does not verify tokens: it gets one fixed token of the same size.
    const pool = baseline ? undefined : new TokenPool(key, aud);
    const staticToken = baseline ? mintJwt(key, aud) : undefined;
    pool?.fill(500);
    const warm = await runLoad({ baseUrl: service.baseUrl, path: SERVICE_PATH, connections: 10, amount: 500, body: sc.body, tokens: pool, staticToken });
    const rate = warm.completed / warm.durationSec;
    pool?.fill(Math.ceil(rate * 2 * durationSec * 1.5) + 100);
    console.log(`profiling ${durationSec} s of scenario ${sc.id} (${who}) …`);
    const run = await runLoad({ baseUrl: service.baseUrl, path: SERVICE_PATH, connections: 10, durationSec, body: sc.body, tokens: pool, staticToken });
    console.log(`  ${(run.completed / run.durationSec).toFixed(0)} req/s, ${run.non2xx + run.errors} errors, ${run.tokensMintedOnDemand} tokens minted on demand`);
    requests = 1 + warm.completed + run.completed;
  } finally {
    await service.stop(15_000);
    await fhir?.stop();
    fs.rmSync(tmpDir, { recursive: true, force: true });
  }
  const files = fs.readdirSync(outDir).filter((f) => f.endsWith('.cpuprofile'));
  if (files.length === 0) throw new Error(`no .cpuprofile written to ${outDir} (did the service exit cleanly on SIGTERM?)`);
  // With a cluster, the primary's profile is nearly idle; report each (requests are split between workers).
  for (const file of files) report(path.join(outDir, file), `CPU profile: ${who} under scenario ${scenarioId} (${durationSec} s, 10 connections)${files.length > 1 ? ` — ${file}` : ''}`, files.length > 1 ? undefined : requests);
}

function report(file: string, title: string, requests?: number): void {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
  const md = summaryMarkdown(title, summariseProfile(profile, 30), requests);
  const out = file.replace(/\.cpuprofile$/, '') + '.summary.md';
  fs.writeFileSync(out, md);
  console.log(`\n${md}`);
  console.log(`profile: ${path.relative(process.cwd(), file)}\nsummary: ${path.relative(process.cwd(), out)}`);
}

const given = process.argv[2];
(given ? Promise.resolve(report(path.resolve(given), `CPU profile: ${path.basename(given)}`)) : profileLive()).catch((e: unknown) => {
  process.stderr.write(`profile failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
