/**
 * Drug interaction rules, one parameterised family: strong CYP3A4 inducers and inhibitors, and warfarin,
 * among the patient's active co-medications. When the medication data could not be obtained, or an active
 * record could not be identified, a rule that finds nothing is not checked rather than passed.
 */
import type { DrugEvidence, PatientFacts } from '../types';
import { SOURCES, UNVERIFIED_NOTE } from './evidence';
import { drugFact, drugNames } from './format';
import { notChecked } from './outcomes';
import { defineRule, type EvidenceRef, type Rule, type RuleContext, type RuleId } from './types';

interface InteractionSpec {
  id: Extract<RuleId, 'CYP3A4_INDUCER' | 'CYP3A4_INHIBITOR' | 'WARFARIN'>;
  title: string;
  drugs: keyof PatientFacts['coMedications'];
  /** Words for the drugs searched, for the catalogue and the summary. */
  searched: string;
  /** Fact label, e.g. "Strong CYP3A4 inducer". */
  kind: string;
  summary(drugs: readonly DrugEvidence[]): string;
  advice(drugs: readonly DrugEvidence[]): string[];
  evidence: EvidenceRef[];
}

/** A summary naming the drugs, shortened to the first name and a count when the list is too long. */
function naming(drugs: readonly DrugEvidence[], sentence: (names: string) => string): string {
  const full = sentence(drugNames(drugs));
  if (full.length < 140) return full;
  const distinct = [...new Set(drugs.map((d) => d.name))];
  return sentence(`${distinct[0] ?? ''} and ${distinct.length - 1} more`);
}

function interactionRule(spec: InteractionSpec): Rule {
  return defineRule<{ drugs: readonly DrugEvidence[] }>({
    id: spec.id,
    title: spec.title,
    indicator: 'warning',
    trigger: () => `An active ${spec.searched}.`,
    suggestion: () => 'none',
    summary: (p) => spec.summary(p.drugs),
    example: () => ({ drugs: [{ name: 'name', matchedBy: 'name', sourceRef: '', exposureCutPercent: 'N' }] }),
    thresholds: [],
    evidence: spec.evidence,
    needsDose: false,
    evaluate(ctx: RuleContext) {
      const drugs = ctx.facts.coMedications[spec.drugs];
      if (drugs.length > 0) {
        return { status: 'fires', params: { drugs }, facts: drugs.map((d) => drugFact(spec.kind, d)), advice: spec.advice(drugs) };
      }
      const gap = ctx.gaps.unknownFor('medicationRequests', 'medicationStatements');
      if (gap) return notChecked(`active medications not known: ${gap.reasons.map((r) => r.text).join('; ')}`, gap);
      const unidentified = ctx.facts.imatinib.unidentifiedCurrent.length;
      const caveat = unidentified > 0 ? [`may be incomplete: ${unidentified === 1 ? 'an active medication record' : `${unidentified} active medication records`} could not be identified`] : [];
      return { status: 'passes', basis: [`active medications searched for ${spec.searched}`, ...caveat] };
    },
  });
}

/** "rifampin cut imatinib exposure (AUC) by about 74%" or "rifabutin: no measured figure". */
function inducerFigure(d: DrugEvidence): string {
  return d.exposureCutPercent ? `${d.name}: cut imatinib exposure (AUC) by about ${d.exposureCutPercent}%` : `${d.name}: no measured figure; as a strong CYP3A4 inducer it can markedly lower imatinib exposure`;
}

export const cyp3a4Inducer = interactionRule({
  id: 'CYP3A4_INDUCER',
  title: 'Strong CYP3A4 inducer with imatinib',
  drugs: 'cyp3a4Inducers',
  searched: "strong CYP3A4 inducer (rifampin, rifabutin, carbamazepine, phenytoin, phenobarbital, dexamethasone, St John's wort)",
  kind: 'Strong CYP3A4 inducer',
  summary(drugs) {
    const distinct = [...new Map(drugs.map((d) => [d.name, d])).values()];
    const only = distinct.length === 1 ? distinct[0] : undefined;
    if (!only) return naming(drugs, (names) => `Strong CYP3A4 inducers (${names}) lower imatinib exposure; avoid the combination.`);
    if (only.exposureCutPercent) return `A strong CYP3A4 inducer (${only.name}) cut imatinib exposure by about ${only.exposureCutPercent}%; avoid the combination.`;
    return `A strong CYP3A4 inducer (${only.name}) can markedly lower imatinib exposure; avoid the combination.`;
  },
  advice(drugs) {
    const distinct = [...new Map(drugs.map((d) => [d.name, d])).values()];
    return [
      `Avoid strong CYP3A4 inducers with imatinib; prefer an alternative without enzyme induction. Measured effect on imatinib:\n${distinct.map((d) => `- ${inducerFigure(d)}`).join('\n')}`,
      `If the combination cannot be avoided, raise the imatinib dose by at least 50% and monitor the response (${UNVERIFIED_NOTE}).`,
    ];
  },
  evidence: [SOURCES.rifampicinPk2004, SOURCES.usLabel, SOURCES.euSmpc],
});

export const cyp3a4Inhibitor = interactionRule({
  id: 'CYP3A4_INHIBITOR',
  title: 'Strong CYP3A4 inhibitor with imatinib',
  drugs: 'cyp3a4Inhibitors',
  searched: 'strong CYP3A4 inhibitor (ketoconazole, itraconazole, posaconazole, voriconazole, clarithromycin, ritonavir, cobicistat, …)',
  kind: 'Strong CYP3A4 inhibitor',
  summary: (drugs) => naming(drugs, (names) => `A strong CYP3A4 inhibitor (${names}) raises imatinib levels; use caution and monitor for toxicity.`),
  advice: () => [
    'Ketoconazole raised imatinib Cmax by 26% and AUC by 40%. Prefer an alternative without strong CYP3A4 inhibition, or monitor closely for imatinib toxicity (blood counts, fluid retention, liver tests). Grapefruit juice also inhibits CYP3A4.',
  ],
  evidence: [SOURCES.usLabel, SOURCES.euSmpc],
});

export const warfarinInteraction = interactionRule({
  id: 'WARFARIN',
  title: 'Warfarin with imatinib',
  drugs: 'warfarin',
  searched: 'warfarin',
  kind: 'Anticoagulant',
  summary: () => 'Imatinib may raise warfarin levels; monitor INR closely or consider an alternative anticoagulant.',
  advice: () => [
    'Imatinib can raise the levels of CYP2C9 substrates such as warfarin. Monitor the INR closely when imatinib is started, changed or stopped.',
    `Low-molecular-weight or standard heparin instead of warfarin is advised ${UNVERIFIED_NOTE}.`,
  ],
  evidence: [SOURCES.euSmpc, SOURCES.usLabel],
});
