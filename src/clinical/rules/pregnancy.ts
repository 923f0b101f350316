/** PREGNANCY: imatinib can cause fetal harm. */
import { SOURCES } from './evidence';
import { evidenceFact } from './format';
import type { Rule } from './types';

export const pregnancy: Rule = {
  id: 'PREGNANCY',
  title: 'Imatinib in pregnancy',
  indicator: 'critical',
  trigger: 'Pregnancy documented: active pregnancy Condition, a pregnancy-status Observation valued pregnant (not superseded), or a recent positive hCG without a later negative one.',
  summaryTemplate: 'Imatinib can cause fetal harm and the patient is documented as pregnant: reassess this order.',
  suggestion: 'none',
  thresholds: [
    { key: 'pregnancyStatusLookbackDays', meaning: 'pregnancy-status results older than this many days are not used' },
    { key: 'hcgLookbackDays', meaning: 'hCG results older than this many days are not used' },
  ],
  evidence: [SOURCES.usLabel, SOURCES.euSmpc],
  needsDose: false,
  evaluate(ctx) {
    const documented = ctx.facts.pregnancy;
    if (!documented) return undefined;
    return {
      ruleId: 'PREGNANCY',
      indicator: 'critical',
      summary: 'Imatinib can cause fetal harm and the patient is documented as pregnant: reassess this order.',
      facts: [evidenceFact(documented, 'Pregnancy')],
      advice: [
        'Reassess imatinib with the patient and the treating team. Effective contraception is advised during treatment and for 14 days after the last dose; no breastfeeding during treatment and for 1 month after.',
      ],
      orders: ctx.orders,
    };
  },
  coverage() {
    return { status: 'checked', basis: ['no pregnancy documented'] };
  },
};
