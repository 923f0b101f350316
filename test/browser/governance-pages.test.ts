/**
 * The committee's pages in a real browser (headless Debian Chromium): the alert report with its table rows and
 * server-rendered charts, and the rule catalogue with an anchor per rule; no console, page or CSP errors (the
 * pages run no JavaScript and load nothing else), screenshots written to test-artifacts/.
 */
import fs from 'node:fs';
import { RULES } from '../../src/clinical/rules/catalogue';
import { listen, makeService, type ListeningService } from '../helpers/service';
import { ADMIN_TOKEN } from '../helpers/governance-assertions';
import { PERIOD, seedScenario, type ScenarioClock } from '../helpers/governance-scenario';
import { artifact, launch, watchedPage, type Session } from './browser';

const clock: ScenarioClock = { now: new Date('2026-09-01T00:00:00Z') };
let svc: ListeningService;
let session: Session;

beforeAll(async () => {
  svc = await listen(makeService({ admin: { token: ADMIN_TOKEN } }, { now: () => clock.now }));
  await seedScenario(svc.baseUrl, clock);
  clock.now = new Date('2026-12-01T12:00:00Z');
  session = await launch({ authorization: `Bearer ${ADMIN_TOKEN}` });
}, 90_000);
afterAll(async () => {
  await session?.close();
  await svc?.stop();
});

describe('the alert report page', () => {
  it('shows a row per rule, the weekly charts and the silent flag, with no console or CSP errors', async () => {
    const { page, problems } = await watchedPage(session.context);
    const response = await page.goto(`${svc.baseUrl}/admin/alerts?from=${PERIOD.from}&to=${PERIOD.to}`, { waitUntil: 'load' });
    expect(response?.status()).toBe(200);

    for (const rule of RULES) await expect(page.locator('table tr', { hasText: rule.id }).count()).resolves.toBeGreaterThan(0);
    const exon9 = page.locator('table tr', { hasText: 'EXON9_HIGH_DOSE' }).first();
    // 5 cards, shown; 2 accepted and 3 overridden are below 5, so shown as "<5" and the rate is withheld (—†).
    await expect(exon9.innerText()).resolves.toMatch(/\b5\b[\s\S]*<5[\s\S]*—†/);
    await expect(exon9.innerText()).resolves.not.toMatch(/60%/);
    // Three HEMATOLOGIC_HOLD cards: below 5, so suppressed; and flagged silent.
    const hold = page.locator('table tr', { hasText: 'HEMATOLOGIC_HOLD' }).first();
    await expect(hold.innerText()).resolves.toMatch(/<5/);
    await expect(page.getByText(/silent/i).count()).resolves.toBeGreaterThan(0);

    // The charts are inline SVG, drawn by the server, visible on the page.
    const charts = page.locator('svg');
    await expect(charts.count()).resolves.toBeGreaterThan(0);
    const box = await charts.first().boundingBox();
    expect(box?.width ?? 0).toBeGreaterThan(100);
    expect(box?.height ?? 0).toBeGreaterThan(40);
    await expect(page.locator('svg rect, svg path').count()).resolves.toBeGreaterThan(0);
    await expect(page.locator('script').count()).resolves.toBe(0);

    const file = artifact('alerts-report.png');
    await page.screenshot({ path: file, fullPage: true });
    expect(fs.statSync(file).size).toBeGreaterThan(10_000);
    expect(problems).toEqual([]);
  });
});

/**
 * A busier quarter, written straight into a real store (the HTTP path is proven above): enough cards that the
 * figures are shown, not suppressed. Its screenshot is the one in the README.
 */
describe('the alert report page for a busy quarter', () => {
  let busy: ListeningService;
  beforeAll(async () => {
    busy = await listen(makeService({ admin: { token: ADMIN_TOKEN } }, { now: () => new Date('2026-12-01T08:00:00Z') }));
    await seedQuarter(busy);
  }, 60_000);
  afterAll(() => busy?.stop());

  it('shows override rates with their intervals, reasons and the silent flag', async () => {
    const { page, problems } = await watchedPage(session.context);
    const response = await page.goto(`${busy.baseUrl}/admin/alerts?from=2026-09-01&to=2026-11-30`, { waitUntil: 'load' });
    expect(response?.status()).toBe(200);
    const row = (id: string) => page.locator('table tr', { hasText: id }).first().innerText();
    await expect(row('NO_MUTATION_TEST')).resolves.toMatch(/\d+% \(\d+–\d+%\)/);
    await expect(row('CYP3A4_INHIBITOR')).resolves.toMatch(/silent 14\+ days/);
    await expect(row('EXON9_HIGH_DOSE')).resolves.not.toMatch(/silent/);
    await page.screenshot({ path: artifact('alerts-report-quarter.png'), fullPage: true });
    expect(problems).toEqual([]);
  });
});

/** Deterministic pseudo-random numbers (a linear congruential generator), so the quarter is the same every run. */
function random(seed: number): () => number {
  let x = seed;
  return () => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return x / 2147483648;
  };
}

const QUARTER_RULES: Array<{ id: string; indicator: string; perWeek: number; overrideShare: number; lastWeek?: number }> = [
  { id: 'NO_MUTATION_TEST', indicator: 'info', perWeek: 14, overrideShare: 0.86 },
  { id: 'EXON9_HIGH_DOSE', indicator: 'warning', perWeek: 6, overrideShare: 0.35 },
  { id: 'HEMATOLOGIC_HOLD', indicator: 'critical', perWeek: 4, overrideShare: 0.2 },
  { id: 'CYP3A4_INHIBITOR', indicator: 'warning', perWeek: 7, overrideShare: 0.7, lastWeek: 9 },
  { id: 'WARFARIN', indicator: 'warning', perWeek: 3, overrideShare: 0.55 },
  { id: 'RENAL_DOSE_LIMIT', indicator: 'warning', perWeek: 2, overrideShare: 0.3 },
];
const REASONS = [
  { code: 'already-addressed', display: 'Already addressed' },
  { code: 'specialist-recommendation', display: 'Specialist recommendation' },
  { code: 'data-not-current', display: 'Data not current' },
  { code: 'clinical-trial', display: 'Clinical trial protocol' },
];

async function seedQuarter(service: ListeningService): Promise<void> {
  const next = random(42);
  const start = Date.parse('2026-09-01T07:00:00Z');
  for (let week = 0; week < 13; week++) {
    for (let i = 0; i < 60; i++) {
      const at = new Date(start + week * 7 * 86_400_000 + Math.floor(next() * 6 * 86_400_000));
      const patientId = `q-${Math.floor(next() * 180)}`;
      const cards = QUARTER_RULES.filter((r) => (r.lastWeek === undefined || week <= r.lastWeek) && next() < r.perWeek / 60).map((r, k) => ({
        cardUuid: `q-${week}-${i}-${k}`,
        ruleId: r.id,
        indicator: r.indicator,
        suggestionUuids: [`q-${week}-${i}-${k}-s`],
      }));
      await service.store.recordEvaluation({ evaluationId: `q-${week}-${i}`, serviceId: 'imatinib-order-sign', ruleSetVersion: '1.1.0', hookInstance: `q-${week}-${i}`, patientId, orderCount: 1, evaluatedAt: at, cards });
      const feedback = cards
        .filter(() => next() < 0.75)
        .map((c) => {
          const rule = QUARTER_RULES.find((r) => r.id === c.ruleId);
          const outcomeTimestamp = new Date(at.getTime() + Math.floor(1 + next() * 40) * 60_000).toISOString();
          if (next() < (rule?.overrideShare ?? 0.5)) {
            const reason = REASONS[Math.floor(next() * REASONS.length)];
            return { card: c.cardUuid, outcome: 'overridden' as const, outcomeTimestamp, ...(reason && next() < 0.8 ? { overrideReason: { reason: { system: 'https://imatinib-cds.example.org/CodeSystem/override-reason', ...reason } } } : {}) };
          }
          return { card: c.cardUuid, outcome: 'accepted' as const, acceptedSuggestions: [{ id: c.suggestionUuids[0] ?? '' }], outcomeTimestamp };
        });
      if (feedback.length > 0) await service.store.recordFeedback('imatinib-order-sign', feedback, at);
    }
  }
}

describe('the rule catalogue page', () => {
  it('opens at the rule a card links to, with no console or CSP errors', async () => {
    const { page, problems } = await watchedPage(session.context);
    const response = await page.goto(`${svc.baseUrl}/rules#HEMATOLOGIC_HOLD`, { waitUntil: 'load' });
    expect(response?.status()).toBe(200);
    for (const rule of RULES) await expect(page.locator(`[id="${rule.id}"]`).count()).resolves.toBe(1);
    // The anchor scrolled the rule's section into view.
    const section = page.locator('[id="HEMATOLOGIC_HOLD"]');
    await expect(section.isVisible()).resolves.toBe(true);
    const top = await section.evaluate((el) => el.getBoundingClientRect().top);
    expect(Math.abs(top)).toBeLessThan(200);
    await page.screenshot({ path: artifact('rule-catalogue.png') });
    expect(problems).toEqual([]);
  });
});
