/**
 * Alert governance on the embedded SQLite store, end to end: the scenario is seeded through the real HTTP API
 * (service calls and feedback), then the admin report (JSON, HTML, CSV) and the CLI must give exactly the
 * figures worked out by hand. test/services/governance-postgres.test.ts runs the same scenario on PostgreSQL.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { listen, makeService, type ListeningService } from '../helpers/service';
import { tmpDir, writeConfig } from '../helpers/child';
import { ADMIN_TOKEN, expectScenarioReport, expectSignOnlyReport, getReport } from '../helpers/governance-assertions';
import { PERIOD, seedScenario, type ScenarioClock } from '../helpers/governance-scenario';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '../..');
const clock: ScenarioClock = { now: new Date('2026-09-01T00:00:00Z') };
const dir = tmpDir();
const storePath = path.join(dir, 'cards.sqlite');
let svc: ListeningService;

beforeAll(async () => {
  svc = await listen(makeService({ store: { path: storePath }, admin: { token: ADMIN_TOKEN } }, { now: () => clock.now }));
  await seedScenario(svc.baseUrl, clock);
  // The default period ends "today": the day after the last event.
  clock.now = new Date('2026-12-01T12:00:00Z');
}, 60_000);
afterAll(() => svc.stop());

const period = `from=${PERIOD.from}&to=${PERIOD.to}`;

/** RFC 4180: quoted fields may hold commas, quotes ("") and line breaks; records end with CRLF. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      record.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      i++;
    } else field += c;
  }
  if (field !== '' || record.length > 0) records.push([...record, field]);
  return records;
}

describe('alert report on SQLite, seeded through the HTTP API', () => {
  it('gives exactly the expected figures for the period', async () => {
    const { status, body } = await getReport(svc.baseUrl, period);
    expect(status).toBe(200);
    expectScenarioReport(body);
  });

  it('filters by service', async () => {
    const { status, body } = await getReport(svc.baseUrl, `${period}&service=imatinib-order-sign`);
    expect(status).toBe(200);
    expectSignOnlyReport(body);
  });

  it('defaults to the last 90 days up to today', async () => {
    const { status, body } = await getReport(svc.baseUrl, '');
    expect(status).toBe(200);
    expect([body.from, body.to]).toEqual(['2026-09-03', '2026-12-01']);
    // Every imatinib evaluation of the scenario (the amoxicillin call is none).
    expect(body.evaluations).toBe(14);
  });

  it.each([
    ['from=2026-02-30', /from/],
    ['from=2026-11-30&to=2026-10-01', /from.*to|to.*from/],
    ['from=20261001', /from/],
    ['service=no-such-service', /service/],
    ['from=2026-10-01&from=2026-10-02', /from/],
  ])('answers 400 naming the parameter for %s', async (query, message) => {
    const { status, body } = await getReport(svc.baseUrl, query);
    expect(status).toBe(400);
    expect(body.resourceType).toBe('OperationOutcome');
    expect(JSON.stringify(body.issue)).toMatch(message);
  });

  it('serves the report as a page with its own strict Content-Security-Policy', async () => {
    const res = await fetch(`${svc.baseUrl}/admin/alerts?${period}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toMatch(/default-src 'none'/);
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|script-src/);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const html = await res.text();
    expect(html).not.toMatch(/<script/i);
    expect(html).toMatch(/<svg/);
    expect(html).toContain('EXON9_HIGH_DOSE');
    // 3 HEMATOLOGIC_HOLD cards are below the suppression threshold of 5: shown as "<5", never as the count.
    expect(html).toContain('&lt;5');
  });

  it('serves the report as CSV, one row per rule', async () => {
    const res = await fetch(`${svc.baseUrl}/admin/alerts.csv?${period}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="alerts-${PERIOD.from}-${PERIOD.to}.csv"`);
    const [header, ...rows] = parseCsv(await res.text());
    expect(header?.slice(0, 8)).toEqual(['from', 'to', 'service', 'generatedAt', 'evaluations', 'ruleId', 'title', 'cards']);
    const column = (row: string[] | undefined, name: string) => row?.[header?.indexOf(name) ?? -1];
    const byRule = new Map(rows.map((r) => [column(r, 'ruleId'), r]));
    expect([...byRule.keys()]).toEqual(expect.arrayContaining(['EXON9_HIGH_DOSE', 'HEMATOLOGIC_HOLD', 'VERIFICATION_SUMMARY']));
    // Five cards: at the threshold, so shown exactly; three are shown as "<5" (the JSON is exact).
    expect(column(byRule.get('EXON9_HIGH_DOSE'), 'cards')).toBe('5');
    expect(column(byRule.get('HEMATOLOGIC_HOLD'), 'cards')).toBe('<5');
    expect(column(byRule.get('EXON9_HIGH_DOSE'), 'evaluations')).toBe('12');
  });
});

describe('npm run report (the CLI, without the server)', () => {
  it('writes the same JSON as /admin/alerts.json from the configured store', async () => {
    const out = path.join(dir, 'report.json');
    const config = writeConfig({ store: { path: storePath } });
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'scripts/report.ts', '--from', PERIOD.from, '--to', PERIOD.to, '--format', 'json', '--out', out], {
      cwd: ROOT,
      env: { ...process.env, CDS_CONFIG: config, NODE_ENV: 'development' },
      timeout: 30_000,
    });
    expect(stdout).toMatch(/wrote .*report\.json/);
    const fromCli = JSON.parse(fs.readFileSync(out, 'utf8')) as Record<string, unknown>;
    const { body } = await getReport(svc.baseUrl, period);
    expectScenarioReport(fromCli as never);
    expect({ ...fromCli, generatedAt: 'x' }).toEqual({ ...body, generatedAt: 'x' });
  }, 40_000);

  it('writes HTML and CSV too', async () => {
    const config = writeConfig({ store: { path: storePath } });
    for (const format of ['html', 'csv']) {
      const out = path.join(dir, `report.${format}`);
      await run(process.execPath, ['--import', 'tsx', 'scripts/report.ts', '--from', PERIOD.from, '--to', PERIOD.to, '--format', format, '--out', out], {
        cwd: ROOT,
        env: { ...process.env, CDS_CONFIG: config, NODE_ENV: 'development' },
        timeout: 30_000,
      });
      const text = fs.readFileSync(out, 'utf8');
      expect(text).toContain('EXON9_HIGH_DOSE');
      if (format === 'html') expect(text).toMatch(/<svg/);
    }
  }, 60_000);

  it('refuses a bad period with a message and exit code 2', async () => {
    const config = writeConfig({ store: { path: storePath } });
    const failed = await run(process.execPath, ['--import', 'tsx', 'scripts/report.ts', '--from', '2026-13-01', '--format', 'json', '--out', path.join(dir, 'x.json')], {
      cwd: ROOT,
      env: { ...process.env, CDS_CONFIG: config },
      timeout: 30_000,
    }).then(
      () => undefined,
      (e: { code?: number; stderr?: string }) => e,
    );
    expect(failed?.code).toBe(2);
    expect(failed?.stderr).toMatch(/from/);
  }, 40_000);
});
