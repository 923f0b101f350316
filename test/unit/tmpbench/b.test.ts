import { CFG } from '../../helpers/facts-factory';
import { deriveFacts } from '../../../src/clinical/facts';
import { buildImatinibOrders, selectImatinibOrders } from '../../../src/clinical/orders';
import { totalDose } from '../../../src/clinical/dose';
import { buildRuleContext } from '../../../src/clinical/rules/context';
import { runRules } from '../../../src/clinical/rules/run';
import { findingToCard } from '../../../src/clinical/cards';
import { verificationSummaryCard } from '../../../src/clinical/verification';
import { LOINC, NOW, bundle, daysAgo, diseaseStatus, gistCondition, imatinibOrder, imatinibRecord, lab, metastasisCondition, variantObservation, medicationRequest } from '../../helpers/fhir-builders';
function time(label: string, n: number, f: () => unknown) {
  for (let i = 0; i < 200; i++) f();
  const t = process.hrtime.bigint();
  for (let i = 0; i < n; i++) f();
  console.log(label, Number(process.hrtime.bigint() - t) / n / 1000);
}
it('bench', () => {
  const res = [gistCondition(), metastasisCondition(), variantObservation({ gene: 'KIT', exon: '9' }), imatinibRecord({ start: daysAgo(300) }), diseaseStatus('worsened', daysAgo(20)),
    ...Array.from({ length: 40 }, (_, i) => lab(LOINC.anc, 2 + i / 10, '10*9/L', daysAgo(i))), lab(LOINC.alt, 30, 'U/L', daysAgo(2), 40), lab(LOINC.crclCockcroftGault, 70, 'mL/min', daysAgo(3)), medicationRequest({ rxnorm: '11289', display: 'warfarin' })];
  const draft = bundle([imatinibOrder({ tablets: 1 })]);
  const sel = selectImatinibOrders({ hook: 'order-sign', draftOrders: draft }, res);
  const orders = buildImatinibOrders(sel, draft, res);
  time('select', 2000, () => selectImatinibOrders({ hook: 'order-sign', draftOrders: draft }, res));
  time('build', 2000, () => buildImatinibOrders(sel, draft, res));
  time('facts', 2000, () => deriveFacts(res, { now: NOW, cfg: CFG, excludeOrderRefs: [] }));
  const facts = deriveFacts(res, { now: NOW, cfg: CFG, excludeOrderRefs: [] });
  const ctx = buildRuleContext({ facts, orders, total: totalDose(orders.map((o) => o.dose)), cfg: CFG, now: NOW });
  time('rules', 20000, () => runRules(ctx));
  const run = runRules(ctx);
  console.log(run.findings.map(f=>f.ruleId));
  time('cards', 20000, () => run.findings.map((f) => findingToCard(f, { serviceTitle: 'x' })));
  time('summary', 20000, () => verificationSummaryCard({ run, ctx, serviceTitle: 'x' }));
});
import { RULES } from '../../../src/clinical/rules/catalogue';
import { applyPrecedence } from '../../../src/clinical/rules/precedence';
it('per rule', () => {
  const res = [gistCondition(), metastasisCondition(), variantObservation({ gene: 'KIT', exon: '9' }), imatinibRecord({ start: daysAgo(300) }), diseaseStatus('worsened', daysAgo(20)),
    lab(LOINC.alt, 30, 'U/L', daysAgo(2), 40), lab(LOINC.crclCockcroftGault, 70, 'mL/min', daysAgo(3)), medicationRequest({ rxnorm: '11289', display: 'warfarin' })];
  const draft = bundle([imatinibOrder({ tablets: 1 })]);
  const orders = buildImatinibOrders(selectImatinibOrders({ hook: 'order-sign', draftOrders: draft }, res), draft, res);
  const facts = deriveFacts(res, { now: NOW, cfg: CFG, excludeOrderRefs: [] });
  const ctx = buildRuleContext({ facts, orders, total: totalDose(orders.map((o) => o.dose)), cfg: CFG, now: NOW });
  for (const r of RULES) { time(`eval ${r.id}`, 5000, () => r.evaluate(ctx)); time(`cov ${r.id}`, 5000, () => r.coverage(ctx)); }
  const raw = RULES.map((r) => r.evaluate(ctx)).filter((f) => f !== undefined);
  time('prec', 5000, () => applyPrecedence(raw as never, ctx));
});
import { randomUUID } from 'node:crypto';
it('parts', () => {
  const mr = imatinibOrder({ tablets: 1 });
  time('uuid', 20000, () => randomUUID());
  time('clone', 20000, () => structuredClone(mr));
  time('json clone', 20000, () => JSON.parse(JSON.stringify(mr)));
});
