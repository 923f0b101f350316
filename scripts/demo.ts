/**
 * npm run demo: sends the bundled sample patients (scripts/demo-patients/*.json) to a running service as
 * signed order-sign calls — the demo client's ES384 key, iss urn:imatinib-cds:demo-client, aud = the exact
 * service URL, a fresh jti — and prints each card as a prescriber would read it: indicator and summary, the
 * Markdown detail rendered for the terminal (scripts/terminal-markdown.ts: bold, bullets, wrapping at the terminal
 * width, ANSI only on a TTY and without NO_COLOR), the suggestions with their actions, and the links.
 * DEMO_URL sets the service (default http://127.0.0.1:3000).
 * Dates in the samples are moved forward to today, so the labs stay inside the 30-day look-back window.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import jwt from 'jsonwebtoken';
import { renderMarkdown, stripControl, wrapText } from './terminal-markdown';

interface DemoPatient {
  title: string;
  generatedOn: string;
  hook: string;
  context: Record<string, unknown>;
  prefetch: Record<string, unknown>;
}

interface DemoCard {
  summary: string;
  indicator: string;
  detail?: string;
  source: { topic?: { code: string } };
  suggestions?: { label: string; actions?: { description?: string }[] }[];
  links?: { label: string; url: string }[];
}

const baseUrl = (process.env.DEMO_URL ?? 'http://127.0.0.1:3000').replace(/\/+$/, '');
// Run compiled (dist/scripts) or from source (scripts/, e.g. with tsx): find the directory holding keys/.
const root = [__dirname, path.resolve(__dirname, '..', '..', 'scripts')].find((d) => fs.existsSync(path.join(d, 'keys'))) ?? __dirname;
const keyFile = path.join(root, 'keys', 'demo-client.private.jwk.json');
const patientsDir = path.join(root, 'demo-patients');
const ISS = 'urn:imatinib-cds:demo-client';
const tty = process.stdout.isTTY === true && !process.env.NO_COLOR;
const colour = (code: number, text: string) => (tty ? `\u001b[${code}m${text}\u001b[0m` : text);
const WIDTH = process.stdout.columns || 100;
/** Card text starts after "  WARNING  ": the indicator column, so everything of a card hangs under its summary. */
const INDENT = 11;
const PAD = ' '.repeat(INDENT);
const INDICATOR: Record<string, (t: string) => string> = {
  critical: (t) => colour(31, t),
  warning: (t) => colour(33, t),
  info: (t) => colour(36, t),
};

const jwk = JSON.parse(fs.readFileSync(keyFile, 'utf8')) as crypto.JsonWebKey & { kid: string };
const privateKey = crypto.createPrivateKey({ key: jwk, format: 'jwk' });

function token(aud: string): string {
  return jwt.sign({ iss: ISS, aud, jti: crypto.randomUUID() }, privateKey, { algorithm: 'ES384', expiresIn: 300, header: { alg: 'ES384', typ: 'JWT', kid: jwk.kid } });
}

/** Move every ISO date in the sample forward by the days since it was generated. */
function shiftDates(value: unknown, days: number): unknown {
  if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}/.test(value)) {
    const date = new Date(Date.parse(value.length === 10 ? `${value}T00:00:00Z` : value) + days * 86_400_000);
    return value.length === 10 ? date.toISOString().slice(0, 10) : date.toISOString();
  }
  if (Array.isArray(value)) return value.map((v) => shiftDates(v, days));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shiftDates(v, days)]));
  return value;
}

async function call(serviceId: string, patient: DemoPatient): Promise<DemoCard[]> {
  const url = `${baseUrl}/cds-services/${serviceId}`;
  const days = Math.floor((Date.now() - Date.parse(`${patient.generatedOn}T00:00:00Z`)) / 86_400_000);
  const body = { hookInstance: crypto.randomUUID(), hook: patient.hook, context: shiftDates(patient.context, days), prefetch: shiftDates(patient.prefetch, days) };
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token(url)}` }, body: JSON.stringify(body), signal: AbortSignal.timeout(10_000) });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${serviceId} answered ${res.status}: ${text.slice(0, 300)}`);
  return (JSON.parse(text) as { cards: DemoCard[] }).cards;
}

/** A bold title, wrapped at the terminal width (each line painted on its own, so no colour spans a line end). */
function heading(title: string): string {
  return wrapText(title, { width: WIDTH, restPrefix: '  ' })
    .split('\n')
    .map((line) => colour(1, line))
    .join('\n');
}

function print(cards: DemoCard[]): void {
  if (cards.length === 0) console.log('  (no cards)');
  for (const card of cards) {
    const paint = INDICATOR[card.indicator] ?? ((t: string) => t);
    const indicator = stripControl(card.indicator).toUpperCase().padEnd(INDENT - 3);
    console.log(`\n${wrapText(`${card.summary} [${card.source.topic?.code ?? '?'}]`, { width: WIDTH, firstPrefix: `  ${paint(indicator)} `, restPrefix: PAD })}`);
    if (card.detail) console.log(`\n${renderMarkdown(card.detail, { width: WIDTH, colour: tty, indent: INDENT })}`);
    if (card.suggestions?.length) {
      console.log(`\n${PAD}${colour(1, 'Suggestions')}`);
      for (const s of card.suggestions) {
        console.log(wrapText(s.label, { width: WIDTH, firstPrefix: `${PAD}  → `, restPrefix: `${PAD}    ` }));
        for (const a of s.actions ?? []) if (a.description) console.log(wrapText(a.description, { width: WIDTH, firstPrefix: `${PAD}      `, restPrefix: `${PAD}      ` }));
      }
    }
    if (card.links?.length) {
      console.log(`\n${PAD}${colour(1, 'Links')}`);
      for (const l of card.links) console.log(wrapText(`${l.label}: ${l.url}`, { width: WIDTH, firstPrefix: `${PAD}  • `, restPrefix: `${PAD}    ` }));
    }
  }
}

async function main(): Promise<void> {
  try {
    const res = await fetch(`${baseUrl}/cds-services`, { signal: AbortSignal.timeout(5000) });
    if (!res.ok) throw new Error(`discovery answered ${res.status}`);
  } catch (e) {
    console.error(`imatinib-cds demo: no service at ${baseUrl} (${(e as Error).message}). Start it with "npm start" or set DEMO_URL.`);
    process.exit(1);
  }
  const files = fs.readdirSync(patientsDir).filter((f) => f.endsWith('.json')).sort();
  for (const file of files) {
    const patient = JSON.parse(fs.readFileSync(path.join(patientsDir, file), 'utf8')) as DemoPatient;
    console.log(`\n${heading(patient.title)}`);
    console.log(' order-sign:');
    print(await call('imatinib-order-sign', patient));
  }
  const first = JSON.parse(fs.readFileSync(path.join(patientsDir, files[0] ?? ''), 'utf8')) as DemoPatient;
  console.log(`\n${heading(`Pharmacy verification of: ${first.title}`)}`);
  // The verification summary is one of these cards: its detail (dose, patient context, every check) is rendered too.
  print(await call('imatinib-pharmacy-verify', first));
}

main().catch((e: unknown) => {
  console.error(`imatinib-cds demo: ${(e as Error).message}`);
  process.exit(1);
});
