/**
 * Is the clinical answer still the one the code gave before the performance work? Each scenario's answer,
 * checked before loading, against the case of test/fixtures/golden/hot-path.json with the same request.
 *
 * The golden file was written at a fixed date (hot-path-golden.test.ts's NOW), the bench dates its requests from
 * its own start, and card texts quote dates: so the cards are compared by identity (count, order, rule code,
 * indicator, summary with dates masked), not byte for byte. Byte identity (uuids and the source.url host
 * normalised) is left to that jest test, which replays the same requests at the golden file's date.
 */
import fs from 'node:fs';
import path from 'node:path';

/** Where the golden answers live, relative to the repository root. */
export const GOLDEN_FILE = path.join('test', 'fixtures', 'golden', 'hot-path.json');

interface GoldenCase {
  answer: { status: number; body: unknown };
}

export type GoldenFile = Record<string, GoldenCase>;

/** The golden file, or undefined when this checkout has none (the check is then reported as not made). */
export function loadGolden(root: string): GoldenFile | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(root, GOLDEN_FILE), 'utf8')) as GoldenFile;
  } catch {
    return undefined;
  }
}

interface Card {
  indicator?: string;
  summary?: string;
  source?: { topic?: { code?: string } };
}

/** ISO dates and date-times, which move with the date a request was built for. */
const DATES = /\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:\d{2})?)?/g;

/** One line per card: "warning EXON9_HIGH_DOSE KIT exon 9 GIST: …" (dates masked). */
export function cardIdentities(body: unknown): string[] {
  const cards = (body as { cards?: Card[] } | null)?.cards ?? [];
  return cards.map((c) => `${c.indicator ?? '?'} ${c.source?.topic?.code ?? '?'} ${(c.summary ?? '').replace(DATES, '<date>')}`);
}

export interface GoldenCheck {
  /** The golden case compared with. */
  golden: string;
  /** undefined when no comparison could be made (no golden file, or no such case). */
  same: boolean | undefined;
  /** "1 card: EXON9_HIGH_DOSE (as golden)" or what differs. */
  detail: string;
}

const codes = (ids: string[]) => (ids.length ? ids.map((i) => i.split(' ')[1]).join(', ') : 'no card');

/** Compare a live answer (HTTP status and body text) with the golden case `name`. */
export function compareWithGolden(golden: GoldenFile | undefined, name: string, status: number, bodyText: string): GoldenCheck {
  const expected = golden?.[name]?.answer;
  if (!expected) return { golden: name, same: undefined, detail: golden ? `no golden case "${name}"` : `${GOLDEN_FILE} not found` };
  let body: unknown;
  try {
    body = JSON.parse(bodyText);
  } catch {
    return { golden: name, same: false, detail: `HTTP ${status}, body not JSON` };
  }
  const want = cardIdentities(expected.body);
  const got = cardIdentities(body);
  if (status !== expected.status) return { golden: name, same: false, detail: `HTTP ${status}, golden HTTP ${expected.status}` };
  const differs = want.length !== got.length || want.some((w, i) => w !== got[i]);
  const count = `${got.length} card${got.length === 1 ? '' : 's'}`;
  return differs
    ? { golden: name, same: false, detail: `${count}: ${codes(got)}; golden ${want.length}: ${codes(want)}${want.length === got.length ? ' (indicator or summary differs)' : ''}` }
    : { golden: name, same: true, detail: `${count}: ${codes(got)} (as golden)` };
}
