/**
 * Wording of values, units and dates shared by rule texts, cards and the verification summary: text for
 * people (docs/clinical-rules.md §5, 1.1): no FHIR ids, units as a clinician writes them (×10⁹/L,
 * mL/min/1.73 m²), a ULN as the lab reported it, at most 3 significant digits for measured or computed values,
 * and a comparator always shown with its value.
 */
import type { DoseResult, DrugEvidence, Evidence, ImatinibOrder, LabValue, ReportedQuantity, UnusableResult } from '../types';
import type { TriggerFact } from './types';

/** Doses and configured numbers: 400 → "400", 412.5 → "412.5", 0.1 + 0.2 → "0.3". */
export function formatNumber(x: number): string {
  return String(Math.round(x * 1000) / 1000);
}

/** Measured or computed values: at most 3 significant digits (3.33, 0.833), whole numbers from 100 up (1235). */
export function formatMeasure(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (Math.abs(x) >= 100) return String(Math.round(x));
  return String(Number(x.toPrecision(3)));
}

export function formatMg(mgPerDay: number): string {
  return `${formatNumber(mgPerDay)} mg/day`;
}

/** A computed daily dose: "400 mg/day", or "400–600 mg/day (range)" for a doseRange (compared at its high value). */
export function formatDose(dose: Extract<DoseResult, { kind: 'computed' }>): string {
  if (!dose.range) return formatMg(dose.mgPerDay);
  const low = dose.range.lowMgPerDay;
  return low === undefined || low === dose.mgPerDay ? `up to ${formatMg(dose.mgPerDay)} (range)` : `${formatNumber(low)}–${formatMg(dose.mgPerDay)} (range)`;
}

const UNIT_TEXT: Record<string, string> = {
  '10*9/L': '×10⁹/L',
  '10*3/uL': '×10⁹/L',
  'umol/L': 'µmol/L',
  'mL/min/{1.73_m2}': 'mL/min/1.73 m²',
  'mL/min/1.73m2': 'mL/min/1.73 m²',
};

/** UCUM code → what a clinician reads. */
export function formatUnit(ucum: string): string {
  return UNIT_TEXT[ucum] ?? ucum.replace(/^u(?=[a-zA-Z])/, 'µ').replace(/\/u(?=[A-Z])/, '/µ');
}

/** "2026-05-29T08:00:00Z" → "2026-05-29". */
export function formatDate(iso: string): string {
  return /^\d{4}-\d{2}-\d{2}/.test(iso) ? iso.slice(0, 10) : iso;
}

const COMPARATOR_TEXT: Record<string, string> = { '<': '<', '<=': '≤', '>=': '≥', '>': '>' };

/** "<15", "0.8", "≥90". */
export function formatValue(value: number, comparator?: string): string {
  return `${comparator ? (COMPARATOR_TEXT[comparator] ?? comparator) : ''}${formatMeasure(value)}`;
}

function reportedText(q: ReportedQuantity): string {
  return `${formatValue(q.value, q.comparator)} ${formatUnit(q.unit)}`;
}

/** "ANC 0.9 ×10⁹/L (reported as 900 /µL)", "eGFR <15 mL/min/1.73 m²". */
export function labText(name: string, lab: LabValue): string {
  const text = `${name} ${formatValue(lab.value, lab.comparator)} ${formatUnit(lab.unit)}`;
  return lab.reported ? `${text} (reported as ${reportedText(lab.reported)})` : text;
}

/** The ULN as the lab reported it: "ULN 21 µmol/L". */
export function ulnText(lab: LabValue): string {
  if (lab.ulnReported) return `ULN ${reportedText(lab.ulnReported)}`;
  return lab.uln !== undefined ? `ULN ${formatMeasure(lab.uln)} ${formatUnit(lab.unit)}` : 'no ULN';
}

/** value / ULN for text: "3.33", "<0.667". */
export function ratioText(lab: LabValue & { uln: number }): string {
  return formatValue(lab.value / lab.uln, lab.comparator);
}

export function labFact(name: string, lab: LabValue, comparison?: string): TriggerFact {
  const text = comparison ? `${labText(name, lab)} (${comparison})` : labText(name, lab);
  return { text, date: lab.date, sourceRef: lab.sourceRef };
}

/** "a newer platelet result of 2026-05-30 has no number: "platelet clumps, unable to count"". */
export function unusableText(what: string, u: UnusableResult): string {
  const date = formatDate(u.date);
  switch (u.kind) {
    case 'preliminary':
      return `a preliminary ${what} result of ${date} is pending`;
    case 'no-number':
      return `a ${what} result of ${date} has no number: "${u.text ?? 'no value reported'}"`;
    case 'unreadable-unit':
      return `a ${what} result of ${date} could not be read (${u.text ?? 'unknown unit'})`;
  }
}

/** Facts naming the newer results a card's value is older than (1.1: never hide them). */
export function unusableFacts(what: string, unusable: readonly UnusableResult[], newerThanValue: boolean): TriggerFact[] {
  return unusable.map((u) => {
    const text = unusableText(what, u);
    return { text: `${newerThanValue ? 'Newer result: ' : ''}${text.charAt(0).toUpperCase()}${text.slice(1)}`, sourceRef: u.sourceRef };
  });
}

/**
 * A lab for the pharmacy summary: "ANC 3.2 ×10⁹/L on 2026-05-27", or "no ANC in the last 30 days", each
 * followed by the newer results that are not values.
 */
export function labBasis(name: string, noun: string, slot: { value?: LabValue; unusable: readonly UnusableResult[] }, lookbackDays: number): string {
  const main = slot.value
    ? `${labText(name, slot.value)} on ${formatDate(slot.value.date)}`
    : `no ${noun}${slot.unusable.length ? ' with a usable value' : ''} in the last ${lookbackDays} days`;
  const notes = slot.unusable.map((u) => unusableText(noun, u));
  return notes.length ? `${main} (${notes.join('; ')})` : main;
}

export function evidenceFact(e: Evidence, prefix?: string): TriggerFact {
  const text = prefix ? `${prefix}: ${e.description}` : e.description;
  // Fact descriptions often state their date already ("… recorded 2025-02-01"); do not say it twice.
  const dated = e.date !== undefined && !text.includes(formatDate(e.date));
  return dated ? { text, date: e.date, sourceRef: e.sourceRef } : { text, sourceRef: e.sourceRef };
}

export function drugFact(kind: string, d: DrugEvidence): TriggerFact {
  return { text: `${kind}: ${d.name} (active)`, sourceRef: d.sourceRef };
}

/** Distinct drug names in order of appearance, e.g. "rifampin, phenytoin". */
export function drugNames(drugs: readonly DrugEvidence[]): string {
  return [...new Set(drugs.map((d) => d.name))].join(', ');
}

/** An order as a prescriber names it: "imatinib 400 MG Oral Tablet, 400 mg/day" (never its FHIR id). */
export function orderName(order: ImatinibOrder): string {
  return order.dose.kind === 'computed' ? `${order.medicationLabel}, ${formatDose(order.dose)}` : order.medicationLabel;
}

/** The ordered dose as a fact: one order, or the total of several with each part. */
export function orderedDoseFact(orders: readonly ImatinibOrder[], total: DoseResult | number): TriggerFact {
  const totalText = typeof total === 'number' ? formatMg(total) : total.kind === 'computed' ? formatDose(total) : 'not computed';
  if (orders.length === 1 && orders[0]) return { text: `Ordered dose ${totalText}`, sourceRef: orders[0].reference };
  const parts = orders.map((o) => (o.dose.kind === 'computed' ? formatDose(o.dose) : `${o.medicationLabel} (dose not computed)`));
  return { text: `Ordered total ${totalText} = ${parts.join(' + ')} (${orders.length} imatinib orders)` };
}

/** Capitalise the first letter. */
export function sentence(text: string): string {
  return `${text.charAt(0).toUpperCase()}${text.slice(1)}`;
}
