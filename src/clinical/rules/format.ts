/** Wording of values, units and dates shared by rule texts, cards and the verification summary. */
import type { DrugEvidence, Evidence, ImatinibOrder, LabValue } from '../types';
import type { TriggerFact } from './types';

/** 400 → "400", 412.5 → "412.5", 0.1 + 0.2 → "0.3". */
export function formatNumber(x: number): string {
  return String(Math.round(x * 1000) / 1000);
}

export function formatMg(mgPerDay: number): string {
  return `${formatNumber(mgPerDay)} mg/day`;
}

const UNIT_TEXT: Record<string, string> = {
  '10*9/L': '×10^9/L',
  '10*3/uL': '×10^9/L',
  'umol/L': 'µmol/L',
  'mL/min/{1.73_m2}': 'mL/min/1.73 m²',
  'mL/min/1.73m2': 'mL/min/1.73 m²',
};

/** UCUM code → what a clinician reads. */
export function formatUnit(ucum: string): string {
  return UNIT_TEXT[ucum] ?? ucum;
}

/** "2026-05-29T08:00:00Z" → "2026-05-29". */
export function formatDate(iso: string): string {
  return /^\d{4}-\d{2}-\d{2}/.test(iso) ? iso.slice(0, 10) : iso;
}

export function labText(name: string, lab: LabValue): string {
  return `${name} ${formatNumber(lab.value)} ${formatUnit(lab.unit)}`;
}

export function labFact(name: string, lab: LabValue, comparison?: string): TriggerFact {
  const text = comparison ? `${labText(name, lab)} (${comparison})` : labText(name, lab);
  return { text, date: lab.date, sourceRef: lab.sourceRef };
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
export function drugNames(drugs: DrugEvidence[]): string {
  return [...new Set(drugs.map((d) => d.name))].join(', ');
}

/** "imatinib 400 MG Oral Tablet (MedicationRequest/abc)". */
export function orderName(order: ImatinibOrder): string {
  return `${order.medicationLabel} (${order.reference})`;
}

/** The ordered dose as a fact: one order, or the total of several with each part. */
export function orderedDoseFact(orders: ImatinibOrder[], totalMg: number): TriggerFact {
  if (orders.length === 1 && orders[0]) return { text: `Ordered dose ${formatMg(totalMg)}`, sourceRef: orders[0].reference };
  const parts = orders.map((o) => (o.dose.kind === 'computed' ? `${formatMg(o.dose.mgPerDay)} (${o.reference})` : o.reference));
  return { text: `Ordered total ${formatMg(totalMg)} = ${parts.join(' + ')}` };
}
