/** Drug interaction rules: strong CYP3A4 inducers and inhibitors, warfarin (active co-medications). */
import type { DrugEvidence } from '../types';
import { SOURCES, UNVERIFIED_NOTE } from './evidence';
import { drugFact, drugNames } from './format';
import type { Rule } from './types';

/** A summary naming the drugs, shortened to the first name and a count when the list is too long. */
function namingSummary(drugs: DrugEvidence[], sentence: (names: string) => string): string {
  const full = sentence(drugNames(drugs));
  if (full.length < 140) return full;
  const distinct = [...new Set(drugs.map((d) => d.name))];
  return sentence(`${distinct[0] ?? ''} and ${distinct.length - 1} more`);
}

export const cyp3a4Inducer: Rule = {
  id: 'CYP3A4_INDUCER',
  title: 'Strong CYP3A4 inducer with imatinib',
  indicator: 'warning',
  trigger: 'An active strong CYP3A4 inducer (rifampin, rifabutin, carbamazepine, phenytoin, phenobarbital, dexamethasone, St John’s wort).',
  summaryTemplate: 'A strong CYP3A4 inducer (name) can cut imatinib exposure by about 70%; avoid the combination.',
  suggestion: 'none',
  thresholds: [],
  evidence: [SOURCES.rifampicinPk2004, SOURCES.usLabel, SOURCES.euSmpc],
  needsDose: false,
  evaluate(ctx) {
    const drugs = ctx.facts.coMedications.cyp3a4Inducers;
    if (drugs.length === 0) return undefined;
    return {
      ruleId: 'CYP3A4_INDUCER',
      indicator: 'warning',
      summary: namingSummary(drugs, (names) => `A strong CYP3A4 inducer (${names}) can cut imatinib exposure by about 70%; avoid the combination.`),
      facts: drugs.map((d) => drugFact('Strong CYP3A4 inducer', d)),
      advice: [
        "Avoid strong CYP3A4 inducers with imatinib: rifampicin cut imatinib AUC by 74% and enzyme-inducing antiepileptics by 73%; St John's wort by 30-32%. Prefer an alternative without enzyme induction.",
        `If the combination cannot be avoided, raise the imatinib dose by at least 50% and monitor the response (${UNVERIFIED_NOTE}).`,
      ],
      orders: ctx.orders,
    };
  },
  coverage() {
    return { status: 'checked', basis: ['active medications searched for strong CYP3A4 inducers'] };
  },
};

export const cyp3a4Inhibitor: Rule = {
  id: 'CYP3A4_INHIBITOR',
  title: 'Strong CYP3A4 inhibitor with imatinib',
  indicator: 'warning',
  trigger: 'An active strong CYP3A4 inhibitor (ketoconazole, itraconazole, posaconazole, voriconazole, clarithromycin, ritonavir, cobicistat, …).',
  summaryTemplate: 'A strong CYP3A4 inhibitor (name) raises imatinib levels; use caution and monitor for toxicity.',
  suggestion: 'none',
  thresholds: [],
  evidence: [SOURCES.usLabel, SOURCES.euSmpc],
  needsDose: false,
  evaluate(ctx) {
    const drugs = ctx.facts.coMedications.cyp3a4Inhibitors;
    if (drugs.length === 0) return undefined;
    return {
      ruleId: 'CYP3A4_INHIBITOR',
      indicator: 'warning',
      summary: namingSummary(drugs, (names) => `A strong CYP3A4 inhibitor (${names}) raises imatinib levels; use caution and monitor for toxicity.`),
      facts: drugs.map((d) => drugFact('Strong CYP3A4 inhibitor', d)),
      advice: [
        'Ketoconazole raised imatinib Cmax by 26% and AUC by 40%. Prefer an alternative without strong CYP3A4 inhibition, or monitor closely for imatinib toxicity (blood counts, fluid retention, liver tests). Grapefruit juice also inhibits CYP3A4.',
      ],
      orders: ctx.orders,
    };
  },
  coverage() {
    return { status: 'checked', basis: ['active medications searched for strong CYP3A4 inhibitors'] };
  },
};

export const warfarinInteraction: Rule = {
  id: 'WARFARIN',
  title: 'Warfarin with imatinib',
  indicator: 'warning',
  trigger: 'Active warfarin.',
  summaryTemplate: 'Imatinib may raise warfarin levels; monitor INR closely or consider an alternative anticoagulant.',
  suggestion: 'none',
  thresholds: [],
  evidence: [SOURCES.euSmpc, SOURCES.usLabel],
  needsDose: false,
  evaluate(ctx) {
    const drugs = ctx.facts.coMedications.warfarin;
    if (drugs.length === 0) return undefined;
    return {
      ruleId: 'WARFARIN',
      indicator: 'warning',
      summary: 'Imatinib may raise warfarin levels; monitor INR closely or consider an alternative anticoagulant.',
      facts: drugs.map((d) => drugFact('Anticoagulant', d)),
      advice: [
        'Imatinib can raise the levels of CYP2C9 substrates such as warfarin. Monitor the INR closely when imatinib is started, changed or stopped.',
        `Low-molecular-weight or standard heparin instead of warfarin is advised ${UNVERIFIED_NOTE}.`,
      ],
      orders: ctx.orders,
    };
  },
  coverage() {
    return { status: 'checked', basis: ['active medications searched for warfarin'] };
  },
};
