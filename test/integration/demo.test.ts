/** `npm run demo` against the real service started with its development defaults (demo client trusted). */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { startChild, tmpDir, writeConfig } from '../helpers/child';

function runDemo(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/demo.ts'], { cwd: path.resolve(__dirname, '../..'), env: { PATH: process.env.PATH ?? '', ...env } });
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, output })));
}

describe('npm run demo', () => {
  it('sends the sample patients as signed order-sign calls and prints their cards', async () => {
    // Default auth (required, demo client trusted); only the store moves to a temporary file.
    const svc = await startChild({ CDS_CONFIG: writeConfig({ store: { path: path.join(tmpDir(), 'cards.sqlite') } }) });
    try {
      const { code, output } = await runDemo({ DEMO_URL: svc.baseUrl });
      expect(code).toBe(0);
      expect(output).toMatch(/WARNING\s+KIT exon 9 GIST: guidelines favour imatinib 800 mg\/day.*\[EXON9_HIGH_DOSE\]/);
      expect(output).toContain('[PROGRESSION_ESCALATE]');
      expect(output).toContain('[PREGNANCY]');
      expect(output).toContain('[PDGFRA_D842V_RESISTANT]');
      expect(output).toContain('[VERIFICATION_SUMMARY]');
      expect(svc.output()).toContain('"clientIss":"urn:imatinib-cds:demo-client"');
    } finally {
      svc.child.kill('SIGTERM');
      await svc.exited;
    }
  });

  it('exits non-zero with a clear message when no service answers', async () => {
    const { code, output } = await runDemo({ DEMO_URL: 'http://127.0.0.1:9' });
    expect(code).toBe(1);
    expect(output).toContain('no service at http://127.0.0.1:9');
  });
});
