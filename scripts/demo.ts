/**
 * npm run demo: sends the bundled sample patients (scripts/demo-patients/*.json) to a running service as
 * signed order-sign calls — the demo client's ES384 key, iss urn:imatinib-cds:demo-client, aud = the exact
 * service URL, a fresh jti — and prints the cards. DEMO_URL sets the service (default http://127.0.0.1:3000).
 * Dates in the samples are moved forward to today, so the labs stay inside the 30-day look-back window.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import jwt from 'jsonwebtoken';

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
  suggestions?: { label: string }[];
}

const baseUrl = (process.env.DEMO_URL ?? 'http://127.0.0.1:3000').replace(/\/+$/, '');
// Run compiled (dist/scripts) or from source (scripts/, e.g. with tsx): find the directory holding keys/.
const root = [__dirname, path.resolve(__dirname, '..', '..', 'scripts')].find((d) => fs.existsSync(path.join(d, 'keys'))) ?? __dirname;
const keyFile = path.join(root, 'keys', 'demo-client.private.jwk.json');
const patientsDir = path.join(root, 'demo-patients');
const ISS = 'urn:imatinib-cds:demo-client';
const tty = process.stdout.isTTY;
const colour = (code: number, text: string) => (tty ? `\u001b[${code}m${text}\u001b[0m` : text);
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

function print(cards: DemoCard[]): void {
  if (cards.length === 0) console.log('  (no cards)');
  for (const card of cards) {
    const paint = INDICATOR[card.indicator] ?? ((t: string) => t);
    console.log(`  ${paint(card.indicator.toUpperCase().padEnd(8))} ${card.summary}  [${card.source.topic?.code ?? '?'}]`);
    for (const s of card.suggestions ?? []) console.log(`           → suggestion: ${s.label}`);
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
    console.log(`\n${colour(1, patient.title)}`);
    console.log(' order-sign:');
    print(await call('imatinib-order-sign', patient));
  }
  const first = JSON.parse(fs.readFileSync(path.join(patientsDir, files[0] ?? ''), 'utf8')) as DemoPatient;
  console.log(`\n${colour(1, `Pharmacy verification of: ${first.title}`)}`);
  const cards = await call('imatinib-pharmacy-verify', first);
  print(cards);
  const summary = cards.find((c) => c.source.topic?.code === 'VERIFICATION_SUMMARY');
  if (summary?.detail) console.log(`\n${summary.detail.replace(/^/gm, '    ')}`);
}

main().catch((e: unknown) => {
  console.error(`imatinib-cds demo: ${(e as Error).message}`);
  process.exit(1);
});
