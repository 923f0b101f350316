/**
 * globalSetup of jest.services.config.js, run once per `npm run test:services`:
 *  1. PostgreSQL and Redis must answer; otherwise the run fails at once with one clear message (never skips).
 *  2. dist/ is compiled with tsconfig.build.json (what `npm run build` does) so tests run the current source,
 *     never a stale build. Type errors are printed as a warning (as in jest.config.js, type checking is the
 *     separate `npm run typecheck` step); a build that emits nothing fails the run. TEST_SERVICES_SKIP_BUILD=1 skips it (local
 *     iteration when only tests changed).
 *  3. Test databases left by crashed earlier runs (their pid is gone) are dropped.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { adminQuery, dropLeftoverTestDatabases } from './helpers/postgres';
import { connectRedis } from './helpers/redis';

const ROOT = path.resolve(__dirname, '../..');
const MAIN_JS = path.join(ROOT, 'dist/src/main.js');

export default async function globalSetup(): Promise<void> {
  const problems: string[] = [];
  await adminQuery('SELECT 1').catch((e: Error) => problems.push(e.message));
  await connectRedis()
    .then(async (r) => {
      await r.ping();
      r.disconnect();
    })
    .catch((e: Error) => problems.push(e.message));
  if (problems.length) throw new Error(`test/services cannot run:\n- ${problems.join('\n- ')}`);

  if (process.env.TEST_SERVICES_SKIP_BUILD === '1') {
    process.stdout.write('\n[test:services] TEST_SERVICES_SKIP_BUILD=1: using dist/ as it is\n');
  } else {
    const started = Date.now();
    const tsc = require.resolve('typescript/bin/tsc');
    const r = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: ROOT, encoding: 'utf8' });
    // tsc exits 2 when it reported type errors but still emitted everything: like jest.config.js (ts-jest with
    // diagnostics off) the tests run the emitted code and type checking stays the separate `npm run typecheck`
    // step (which .ci/run runs first). Any other failure, or a main.js not rewritten by this build, fails the run.
    const emitted = r.status === 0 || r.status === 2;
    const fresh = fs.existsSync(MAIN_JS) && fs.statSync(MAIN_JS).mtimeMs >= started - 1000;
    if (!emitted || !fresh) {
      throw new Error(`test/services: building dist/ (tsc -p tsconfig.build.json) failed (exit ${r.status ?? r.signal}${fresh ? '' : ', dist/src/main.js not written'}):\n${r.error?.message ?? ''}${r.stdout}${r.stderr}`);
    }
    if (r.status === 2) {
      process.stdout.write(`\n[test:services] WARNING: tsc reported type errors (dist/ was emitted anyway; \`npm run typecheck\` fails):\n${r.stdout}${r.stderr}`);
    }
    process.stdout.write(`\n[test:services] built dist/ in ${Date.now() - started} ms\n`);
  }

  const dropped = await dropLeftoverTestDatabases();
  if (dropped.length) process.stdout.write(`[test:services] dropped ${dropped.length} leftover test database(s)\n`);
}
