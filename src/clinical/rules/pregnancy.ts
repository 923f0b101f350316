/** PREGNANCY: imatinib can cause fetal harm. */
import { SOURCES } from './evidence';
import { evidenceFact } from './format';
import { notChecked } from './outcomes';
import { defineRule } from './types';

export const pregnancy = defineRule<Record<string, never>>({
  id: 'PREGNANCY',
  title: 'Imatinib in pregnancy',
  indicator: 'critical',
  trigger: (cfg) =>
    `Pregnancy documented: an active pregnancy Condition, a pregnancy-status Observation (${cfg.pregnancyStatusLookbackDays} days) valued pregnant and not superseded, or a positive hCG (${cfg.hcgLookbackDays} days) without a later negative one.`,
  suggestion: () => 'Cancel this imatinib order (when it is a draft); no dose change',
  summary: () => 'Imatinib can cause fetal harm and the patient is documented as pregnant: reassess this order.',
  example: () => ({}),
  thresholds: [
    { key: 'pregnancyStatusLookbackDays', meaning: 'pregnancy-status results older than this many days are not used' },
    { key: 'hcgLookbackDays', meaning: 'hCG results older than this many days are not used' },
  ],
  evidence: [SOURCES.usLabel, SOURCES.euSmpc],
  needsDose: false,
  evaluate(ctx) {
    const documented = ctx.facts.pregnancy;
    if (documented) {
      return {
        status: 'fires',
        params: {},
        facts: [evidenceFact(documented, 'Pregnancy')],
        advice: [
          'Reassess imatinib with the patient and the treating team. Effective contraception is advised during treatment and for 14 days after the last dose; no breastfeeding during treatment and for 1 month after.',
        ],
      };
    }
    // Conditions are always obtained; pregnancy tests may be missing.
    const gap = ctx.gaps.unknownFor('pregnancyTests');
    if (gap) return notChecked(`pregnancy tests not known: ${gap.reasons.map((r) => r.text).join('; ')}`, gap);
    return { status: 'passes', basis: ['no pregnancy documented'] };
  },
});
