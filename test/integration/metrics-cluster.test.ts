/**
 * Cluster aggregation over real processes: test/fixtures/metrics/cluster.ts forks 2 workers that record 3 and
 * 5 events; the primary's metrics listener must answer with the sum (8), and with the new sum after the
 * workers record more. A worker that never answers makes the scrape a 503, not a hang.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { request, sample } from '../fixtures/metrics/http';

const ROOT = path.resolve(__dirname, '../..');
const FIXTURE = 'test/fixtures/metrics/cluster.ts';

interface Fixture {
  child: ChildProcess;
  /** Resolves with the next stdout JSON line matching `pick`. */
  next: <T>(pick: (line: Record<string, unknown>) => T | undefined) => Promise<T>;
  output: () => string;
  exited: Promise<number | null>;
}

function startFixture(env: Record<string, string>): Fixture {
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let consumed = 0;
  const waiters: Array<() => void> = [];
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  child.stdout?.on('data', (c: Buffer) => {
    out += c.toString();
    waiters.splice(0).forEach((w) => w());
  });
  child.stderr?.on('data', (c: Buffer) => (out += c.toString()));
  const next = <T>(pick: (line: Record<string, unknown>) => T | undefined): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const look = () => {
        const lines = out.slice(consumed).split('\n');
        let offset = consumed;
        for (const line of lines.slice(0, -1)) {
          offset += line.length + 1;
          let parsed: Record<string, unknown> | undefined;
          try {
            parsed = JSON.parse(line) as Record<string, unknown>;
          } catch {
            continue;
          }
          const value = pick(parsed);
          if (value !== undefined) {
            consumed = offset;
            return resolve(value);
          }
        }
        waiters.push(look);
      };
      void exited.then((code) => reject(new Error(`fixture exited (${code}):\n${out}`)));
      look();
    });
  return { child, next, output: () => out, exited };
}

async function stop(fixture: Fixture): Promise<void> {
  if (fixture.child.exitCode === null) fixture.child.kill('SIGTERM');
  await fixture.exited;
}

describe('metrics aggregated over cluster workers', () => {
  let fixture: Fixture;
  let port: number;
  beforeAll(async () => {
    fixture = startFixture({});
    const started = await fixture.next((l) => (typeof l.metricsPort === 'number' ? l : undefined));
    port = started.metricsPort as number;
    // A worker may not run a listener of its own (it would share the port and answer for itself alone).
    expect(started.workerListenerRefused).toEqual([true, true]);
  });
  afterAll(async () => {
    await stop(fixture);
    expect(await fixture.exited).toBe(0);
  });

  it('answers with the sum of the workers counters and histograms, and the largest outbox depth', async () => {
    const reply = await request(port, '/metrics');
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const l = 'route="service",service="imatinib-order-sign",status="200"';
    expect(sample(reply.body, 'imatinib_cds_auth_rejections_total{reason="bad_signature"}')).toBe(8);
    expect(sample(reply.body, `imatinib_cds_http_requests_total{${l}}`)).toBe(8);
    expect(sample(reply.body, `imatinib_cds_http_request_duration_seconds_count{${l}}`)).toBe(8);
    expect(sample(reply.body, `imatinib_cds_http_request_duration_seconds_bucket{le="0.005",${l}}`)).toBe(8);
    expect(sample(reply.body, `imatinib_cds_http_request_duration_seconds_bucket{le="0.0025",${l}}`)).toBe(0);
    expect(sample(reply.body, 'imatinib_cds_outbox_rows')).toBe(3);
    // The default process metrics come from the workers too.
    expect(reply.body).toMatch(/^process_cpu_user_seconds_total \d/m);
    expect((await request(port, '/other')).status).toBe(404);
    expect((await request(port, '/metrics', 'POST', '{}')).status).toBe(405);
  });

  it('reads the workers afresh on each scrape', async () => {
    fixture.child.stdin?.write('bump\n');
    await fixture.next((l) => (l.bumped === true ? true : undefined));
    const reply = await request(port, '/metrics');
    expect(reply.status).toBe(200);
    expect(sample(reply.body, 'imatinib_cds_auth_rejections_total{reason="bad_signature"}')).toBe(16);
  });
});

describe('a worker that never answers', () => {
  it('makes the scrape a 503 once the scrape timeout passes, instead of hanging', async () => {
    const fixture = startFixture({ FIXTURE_MODE: 'silent-worker', SCRAPE_TIMEOUT_MS: '500' });
    try {
      const started = await fixture.next((l) => (typeof l.metricsPort === 'number' ? l : undefined));
      const reply = await request(started.metricsPort as number, '/metrics');
      expect(reply.status).toBe(503);
      expect(reply.body).toBe('metrics unavailable\n');
      expect(reply.body).not.toMatch(/imatinib_cds_/);
    } finally {
      await stop(fixture);
    }
    expect(fixture.output()).toMatch(/"message":"metrics scrape failed"/);
  });
});
