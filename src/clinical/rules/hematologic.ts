/** HEMATOLOGIC_HOLD: neutropenia or thrombocytopenia below the label's hold thresholds. */
import { isBelow } from './compare';
import { SOURCES, UNVERIFIED_NOTE } from './evidence';
import { formatNumber, labFact } from './format';
import type { Rule, TriggerFact } from './types';

/** Label: on a second episode, resume at 300 mg (GIST / CP-CML 400 mg row). */
const RECURRENCE_RESUME_MG = 300;
/** Label: the only 800 mg row (DFSP) resumes at 600 mg; its use for GIST is unverified. */
const HIGH_DOSE_RESUME_MG = 600;

export const hematologicHold: Rule = {
  id: 'HEMATOLOGIC_HOLD',
  title: 'Neutropenia or thrombocytopenia: hold imatinib',
  indicator: 'critical',
  trigger: 'Latest ANC (look-back window) below the hold threshold, or latest platelet count below its hold threshold.',
  summaryTemplate: 'ANC < 1.0 or platelets < 50 ×10^9/L: hold imatinib until ANC ≥ 1.5 and platelets ≥ 75, then resume.',
  suggestion: 'none',
  thresholds: [
    { key: 'hematologic.ancHoldBelow', meaning: 'ANC below which imatinib is held (×10^9/L)' },
    { key: 'hematologic.plateletsHoldBelow', meaning: 'platelets below which imatinib is held (×10^9/L)' },
    { key: 'hematologic.ancResumeAtLeast', meaning: 'ANC at which imatinib may resume (×10^9/L)' },
    { key: 'hematologic.plateletsResumeAtLeast', meaning: 'platelets at which imatinib may resume (×10^9/L)' },
    { key: 'labLookbackDays', meaning: 'labs older than this many days are not used' },
  ],
  evidence: [SOURCES.euSmpc, SOURCES.usLabel],
  needsDose: false,
  evaluate(ctx) {
    const { cfg, facts, doseMg, currentDoseMg } = ctx;
    const h = cfg.hematologic;
    const { anc, platelets } = facts.labs;
    const lowAnc = anc !== undefined && isBelow(anc.value, h.ancHoldBelow);
    const lowPlatelets = platelets !== undefined && isBelow(platelets.value, h.plateletsHoldBelow);
    if (!lowAnc && !lowPlatelets) return undefined;
    const triggered: string[] = [];
    const found: TriggerFact[] = [];
    if (anc) {
      found.push(labFact('ANC', anc, lowAnc ? `below ${formatNumber(h.ancHoldBelow)}` : undefined));
      if (lowAnc) triggered.push(`ANC ${formatNumber(anc.value)}`);
    }
    if (platelets) {
      found.push(labFact('Platelets', platelets, lowPlatelets ? `below ${formatNumber(h.plateletsHoldBelow)}` : undefined));
      if (lowPlatelets) triggered.push(`platelets ${formatNumber(platelets.value)}`);
    }
    const what = triggered.join(' and ');
    const resume = `ANC ≥ ${formatNumber(h.ancResumeAtLeast)} and platelets ≥ ${formatNumber(h.plateletsResumeAtLeast)} ×10^9/L`;
    const advice = [
      `Withhold imatinib until ${resume}, then resume at the previous dose (${formatNumber(cfg.standardDoseMg)} mg/day). If it recurs, withhold again and resume at ${RECURRENCE_RESUME_MG} mg/day.`,
    ];
    const highDose = Math.max(doseMg ?? 0, currentDoseMg ?? 0) >= cfg.highDoseMg;
    if (highDose) {
      advice.push(
        `At ${formatNumber(cfg.highDoseMg)} mg/day no GIST-specific schedule exists: resume at a reduced dose (the label's ${formatNumber(cfg.highDoseMg)} mg schedule for another indication resumes at ${HIGH_DOSE_RESUME_MG} mg/day, ${UNVERIFIED_NOTE}).`,
      );
    }
    return {
      ruleId: 'HEMATOLOGIC_HOLD',
      indicator: 'critical',
      summary: `${what.charAt(0).toUpperCase()}${what.slice(1)} ×10^9/L: hold imatinib until ${resume}, then resume.`,
      facts: found,
      advice,
      orders: ctx.orders,
    };
  },
  coverage(ctx) {
    const { anc, platelets } = ctx.facts.labs;
    const days = ctx.cfg.labLookbackDays;
    if (!anc && !platelets) return { status: 'not-checked', reason: `no ANC or platelet count in the last ${days} days` };
    const basis: string[] = [];
    basis.push(anc ? labFact('ANC', anc).text : `no ANC in the last ${days} days`);
    basis.push(platelets ? labFact('Platelets', platelets).text : `no platelet count in the last ${days} days`);
    return { status: 'checked', basis };
  },
};
