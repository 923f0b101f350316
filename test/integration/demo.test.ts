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

interface PrintedCard {
  indicator: string;
  /** The indicator line and the rest of the summary, up to the first blank line. */
  header: string;
  /** Everything printed for the card: header, rendered detail, suggestions, links. */
  text: string;
}

/**
 * The demo's cards: each starts at an indicator line ("  WARNING  summary… [RULE_ID]") and runs to the next
 * card or to the next unindented line (a patient title or a " order-sign:" heading).
 */
function printedCards(output: string): PrintedCard[] {
  const cards: PrintedCard[] = [];
  let current: PrintedCard | undefined;
  for (const line of output.split('\n')) {
    const start = /^ {2}(CRITICAL|WARNING|INFO) +\S/.exec(line);
    if (start) {
      current = { indicator: start[1]!, header: line, text: line };
      cards.push(current);
    } else if (/^ ?\S/.test(line)) {
      current = undefined;
    } else if (current) {
      if (current.text === current.header && line.trim() !== '') current.header += `\n${line}`;
      current.text += `\n${line}`;
    }
  }
  return cards;
}

/** The first printed card of a rule, found by the rule id in brackets after its summary. */
function cardOf(cards: PrintedCard[], ruleId: string): PrintedCard {
  const card = cards.find((c) => c.header.includes(`[${ruleId}]`));
  if (!card) throw new Error(`no card [${ruleId}] among: ${cards.map((c) => c.header.replace(/\s+/g, ' ')).join(' | ')}`);
  return card;
}

describe('npm run demo', () => {
  it('sends the sample patients as signed order-sign calls and prints their cards', async () => {
    // Default auth (required, demo client trusted); only the store moves to a temporary file.
    const svc = await startChild({ CDS_CONFIG: writeConfig({ store: { path: path.join(tmpDir(), 'cards.sqlite') } }) });
    try {
      const { code, output } = await runDemo({ DEMO_URL: svc.baseUrl });
      expect({ code, output: code === 0 ? '' : output }).toEqual({ code: 0, output: '' });
      const cards = printedCards(output);
      // Rule ids and indicators are the clinical contract (docs/clinical-rules.md §5); the card wording is not
      // pinned here beyond a few key words, as it is revised independently.
      const exon9 = cardOf(cards, 'EXON9_HIGH_DOSE');
      expect(exon9.indicator).toBe('WARNING');
      expect(exon9.header).toMatch(/exon 9/i);
      expect(exon9.header).toMatch(/800\s*mg/);
      expect(cardOf(cards, 'PROGRESSION_ESCALATE').indicator).toBe('INFO');
      expect(cardOf(cards, 'PREGNANCY').indicator).toBe('CRITICAL');
      expect(cardOf(cards, 'PDGFRA_D842V_RESISTANT').indicator).toBe('WARNING');
      expect(cardOf(cards, 'VERIFICATION_SUMMARY').indicator).toBe('INFO');

      // What a prescriber reads: why the alert fired and what to do (the rendered detail, facts as bullets),
      // the suggestion, and the evidence as "label: url".
      const body = exon9.text.slice(exon9.header.length);
      expect(body).toMatch(/\bwhy\b/i);
      expect(body).toMatch(/what to do/i);
      expect(body).toMatch(/^ +• \S/m);
      expect(body).toMatch(/^ +→ \S/m);
      expect(body).toMatch(/\S:\s+https:\/\/doi\.org\/10\.\S+/);
      // The pharmacy verification summary's detail is rendered too (its checks as bullets).
      const summary = cardOf(cards, 'VERIFICATION_SUMMARY');
      expect(summary.text.slice(summary.header.length)).toMatch(/^ +• \S/m);

      // No raw Markdown anywhere: no emphasis markers, list dashes, or backslash escapes; no ANSI (not a TTY).
      expect(output).not.toContain('**');
      expect(output).not.toMatch(/^\s*[-*+] /m);
      expect(output).not.toMatch(/\\[!-/:-@[-`{-~]/);
      expect(output).not.toContain('\u001b');
      // Wrapped at the default width of 100 (stdout is a pipe); only a single unbreakable word may run over.
      for (const line of output.split('\n')) if ([...line].length > 100) expect(line.trim()).not.toContain(' ');
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
