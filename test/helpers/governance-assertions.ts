/**
 * The report every store must give for the governance scenario (test/helpers/governance-scenario.ts): the
 * same assertions for SQLite (test/integration) and PostgreSQL (test/services).
 */
import { RULES } from '../../src/clinical/rules/catalogue';
import type { AlertReport, RuleFigures } from '../../src/governance/types';
import { EXPECTED_RULES, EXPECTED_WEEKLY_NONZERO, EXPECTED_WEEKS, PERIOD } from './governance-scenario';

export const ADMIN_TOKEN = 'governance-test-admin-token-0123456789abcdef';

export async function getReport(baseUrl: string, query: string): Promise<{ status: number; body: AlertReport & Record<string, unknown> }> {
  const res = await fetch(`${baseUrl}/admin/alerts.json?${query}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  return { status: res.status, body: (await res.json()) as AlertReport & Record<string, unknown> };
}

const ZERO: Omit<RuleFigures, 'ruleId' | 'title'> = {
  cards: 0,
  perHundredEvaluations: 0,
  feedback: 0,
  accepted: 0,
  overridden: 0,
  overrideRate: { value: null, low: null, high: null },
  suggestionsAccepted: 0,
  overrideReasons: [],
  medianMinutesToFeedback: null,
  repeatAlerts: 0,
  lastFired: null,
  silent: false,
};

/** Every figure of the period's report, exactly. */
export function expectScenarioReport(report: AlertReport): void {
  expect(report.from).toBe(PERIOD.from);
  expect(report.to).toBe(PERIOD.to);
  expect(report.evaluations).toBe(12);
  expect(report.settings).toEqual({ silentDays: 14, suppressBelow: 5 });

  const expected = new Map<string, Omit<RuleFigures, 'ruleId' | 'title'>>(Object.entries(EXPECTED_RULES).map(([id, figures]) => [id, figures as unknown as Omit<RuleFigures, 'ruleId' | 'title'>]));
  // Every catalogue rule, in catalogue order, also those that never fired; then the other card codes seen.
  expect(report.rules.map((r) => r.ruleId)).toEqual([...RULES.map((r) => r.id), 'VERIFICATION_SUMMARY']);
  for (const rule of report.rules) {
    const { ruleId, title, ...figures } = rule;
    const catalogued = RULES.find((r) => r.id === ruleId);
    if (catalogued) expect(title).toBe(catalogued.title);
    expect({ ruleId, ...figures }).toEqual({ ruleId, ...(expected.get(ruleId) ?? ZERO) });
  }

  const ruleOrder = report.rules.map((r) => r.ruleId);
  const weekly = EXPECTED_WEEKS.flatMap((week) => ruleOrder.map((ruleId) => ({ week, ruleId, cards: EXPECTED_WEEKLY_NONZERO[`${week} ${ruleId}`] ?? 0 })));
  expect(report.weekly).toEqual(weekly);
}

/** Only the prescriber service: the pharmacy call and its summary card drop out. */
export function expectSignOnlyReport(report: AlertReport): void {
  expect(report.service).toBe('imatinib-order-sign');
  expect(report.evaluations).toBe(11);
  const byId = new Map(report.rules.map((r) => [r.ruleId, r]));
  expect(byId.get('VERIFICATION_SUMMARY')).toBeUndefined();
  expect(byId.get('EXON9_HIGH_DOSE')).toMatchObject({ cards: 5, perHundredEvaluations: 45.5, accepted: 2, overridden: 3, repeatAlerts: 2 });
  expect(byId.get('HEMATOLOGIC_HOLD')).toMatchObject({ cards: 3, perHundredEvaluations: 27.3, silent: true });
}
