/**
 * The service as a real child process: start-up errors, durable feedback across kill -9, draining on SIGTERM.
 */
import { spawn } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import Database from 'better-sqlite3';
import { runChildToExit, startChild, tmpDir, writeConfig } from '../helpers/child';

const feedback = {
  feedback: [{ card: 'c0ffee00-0000-4000-8000-000000000001', outcome: 'overridden', overrideReason: { reason: { system: 'https://imatinib-cds.example.org/CodeSystem/override-reason', code: 'specialist-recommendation' } }, outcomeTimestamp: '2026-11-27T10:00:00Z' }],
};

const ROOT = path.resolve(__dirname, '../..');

/** Run src/main.ts to its exit (it must fail at start-up), keeping stderr apart from stdout. */
function runToExitWithStderr(env: Record<string, string>, timeoutMs = 20000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

function postJson(url: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then(async (r) => ({ status: r.status, json: (await r.json()) as Record<string, unknown> }));
}

describe('service process', () => {
  it('stops at start-up with a message naming a bad configuration key', async () => {
    const file = writeConfig({ clinical: { labLookbackDayz: 3 } });
    const { code, output } = await runChildToExit({ CDS_CONFIG: file });
    expect(code).toBe(78);
    expect(output).toContain('unknown key(s) "clinical.labLookbackDayz"');
  });

  it('refuses to start in production without publicBaseUrl', async () => {
    const { code, output } = await runChildToExit({ NODE_ENV: 'production' });
    expect(code).toBe(78);
    expect(output).toContain('publicBaseUrl');
  });

  it('refuses to start in production with several problems, naming all of them on stderr at once (exit 78)', async () => {
    const sandboxKey = {
      kty: 'EC',
      crv: 'P-384',
      kid: 'renamed',
      x: 'dw_JGR8nB2I6XveNxUOl2qk699ZPLM2nYI5STSdiEl9avAkrm3CkfYMbrrjr8laB',
      y: 'Sm3mLE-n1zYNla_aiE3cb3nZsL51RbC7ysw3q8aJLxGm-hx79RPMYpITDjp7kgzy',
    };
    const file = writeConfig({
      publicBaseUrl: 'http://cds.example.org',
      auth: {
        required: false,
        trustedClients: [
          { iss: 'https://ehr.example.org', jwksUrl: 'http://ehr.example.org/jwks.json' },
          { iss: 'https://made-up.example.org', jwks: { keys: [sandboxKey] } },
        ],
      },
      fhir: { allowedServers: ['https://fhir.example.org/r4'] },
      cors: { allowedOrigins: ['*'] },
    });
    const { code, stdout, stderr } = await runToExitWithStderr({ NODE_ENV: 'production', CDS_CONFIG: file });
    expect(code).toBe(78);
    expect(stdout).not.toContain('listening');
    expect(stderr).toContain('imatinib-cds: invalid production configuration (5 problems): ');
    for (const problem of [
      'publicBaseUrl: must be an https:// URL in production',
      'auth.required: must be true in production',
      'auth.trustedClients[0].jwksUrl: must be an https:// URL in production',
      'auth.trustedClients[1].jwks.keys[0]: the CDS Hooks sandbox development key must not be trusted in production',
      'cors.allowedOrigins: production must list explicit origins',
    ]) {
      expect(stderr).toContain(problem);
    }
  });

  it('keeps acknowledged feedback across kill -9 and a restart', async () => {
    const storePath = path.join(tmpDir(), 'cards.sqlite');
    const env = { CDS_CONFIG: writeConfig({ auth: { required: false }, store: { path: storePath } }) };
    const first = await startChild(env);
    const ack = await postJson(`${first.baseUrl}/cds-services/imatinib-order-sign/feedback`, feedback);
    expect(ack).toEqual({ status: 200, json: { received: 1, stored: 1, duplicates: 0, unknownCards: 1 } });
    first.child.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');

    const db = new Database(storePath, { readonly: true });
    expect(db.prepare('SELECT card_uuid, outcome, override_code FROM feedback').all()).toEqual([
      { card_uuid: 'c0ffee00-0000-4000-8000-000000000001', outcome: 'overridden', override_code: 'specialist-recommendation' },
    ]);
    db.close();

    const second = await startChild(env);
    const repeat = await postJson(`${second.baseUrl}/cds-services/imatinib-order-sign/feedback`, feedback);
    expect(repeat.json).toMatchObject({ stored: 0, duplicates: 1 });
    second.child.kill('SIGTERM');
    expect((await second.exited).code).toBe(0);
  });

  it('drains an in-flight request on SIGTERM, then exits 0', async () => {
    const env = { CDS_CONFIG: writeConfig({ auth: { required: false }, store: { path: path.join(tmpDir(), 'cards.sqlite') } }) };
    const svc = await startChild(env);
    const url = new URL(`${svc.baseUrl}/cds-services/imatinib-order-sign/feedback`);
    const body = JSON.stringify(feedback);
    const response = new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = http.request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      });
      req.on('error', reject);
      // Send half the body, signal the server, then finish: the request is in flight during shutdown.
      req.write(body.slice(0, 20));
      setTimeout(() => {
        svc.child.kill('SIGTERM');
        setTimeout(() => req.end(body.slice(20)), 300);
      }, 200);
    });
    const answered = await response;
    expect(answered.status).toBe(200);
    expect(JSON.parse(answered.text)).toMatchObject({ received: 1 });
    expect((await svc.exited).code).toBe(0);
    expect(svc.output()).toContain('"message":"draining"');
  });
});
