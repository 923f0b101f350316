/**
 * Alert governance on PostgreSQL: the scenario of test/helpers/governance-scenario.ts seeded through the HTTP
 * API of two instances sharing one database (calls alternate between them, feedback goes to the other one),
 * then the report from either instance, and from the CLI reading DATABASE_URL, is exactly the SQLite one.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { listen, makeService, type ListeningService } from '../helpers/service';
import { writeConfig } from '../helpers/child';
import { ADMIN_TOKEN, expectScenarioReport, expectSignOnlyReport, getReport } from '../helpers/governance-assertions';
import { PERIOD, seedScenario, type ScenarioClock } from '../helpers/governance-scenario';
import { createTestDatabase, type TestDatabase } from './helpers/postgres';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '../..');
const clock: ScenarioClock = { now: new Date('2026-09-01T00:00:00Z') };
const period = `from=${PERIOD.from}&to=${PERIOD.to}`;
let db: TestDatabase;
let a: ListeningService;
let b: ListeningService;

function instance(): Promise<ListeningService> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'governance-pg-'));
  const built = makeService({ store: { path: path.join(dir, 'store.sqlite'), databaseUrl: db.url }, admin: { token: ADMIN_TOKEN } }, { now: () => clock.now });
  return built.ready.then(() => listen(built));
}

beforeAll(async () => {
  db = await createTestDatabase();
  a = await instance();
  b = await instance();
  await seedScenario([a.baseUrl, b.baseUrl], clock);
  clock.now = new Date('2026-12-01T12:00:00Z');
}, 90_000);
afterAll(async () => {
  await a?.stop();
  await b?.stop();
  await db?.drop();
});

describe('alert report on PostgreSQL, two instances, seeded through the HTTP API', () => {
  it('gives exactly the expected figures, from either instance', async () => {
    for (const svc of [a, b]) {
      const { status, body } = await getReport(svc.baseUrl, period);
      expect(status).toBe(200);
      expectScenarioReport(body);
    }
  });

  it('filters by service', async () => {
    const { body } = await getReport(a.baseUrl, `${period}&service=imatinib-order-sign`);
    expectSignOnlyReport(body);
  });

  it('the CLI reads the same figures from DATABASE_URL', async () => {
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'governance-cli-')), 'report.json');
    const config = writeConfig({ store: { path: path.join(path.dirname(out), 'store.sqlite') } });
    await run(process.execPath, ['--import', 'tsx', 'scripts/report.ts', '--from', PERIOD.from, '--to', PERIOD.to, '--format', 'json', '--out', out], {
      cwd: ROOT,
      env: { ...process.env, CDS_CONFIG: config, DATABASE_URL: db.url },
      timeout: 30_000,
    });
    const fromCli = JSON.parse(fs.readFileSync(out, 'utf8')) as Record<string, unknown>;
    expectScenarioReport(fromCli as never);
  }, 40_000);
});
