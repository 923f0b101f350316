/**
 * The clinical engine: one pure, synchronous pass per request.
 *   imatinib orders (cheap, draft Bundle only) → patient facts (once) → rules → precedence → cards
 *   (+ the pharmacy verification summary when the service asks for it).
 */
import type { FhirResource, MedicationRequest } from 'fhir/r4';
import type { ClinicalConfig } from '../config';
import type { Card } from '../protocol/cards';
import { findingToCard } from './cards';
import { totalDose } from './dose';
import { deriveFacts } from './facts';
import { buildImatinibOrders, selectImatinibOrders } from './orders';
import { buildRuleContext } from './rules/context';
import { runRules } from './rules/run';
import type { ClinicalRequest } from './types';
import { verificationSummaryCard } from './verification';

export { RULES, RULES_BY_ID } from './rules/catalogue';

export interface EvaluateOptions {
  /** Service title, named in every card's source label. */
  serviceTitle: string;
  /** Add the VERIFICATION_SUMMARY card (pharmacy verification service). */
  verificationSummary: boolean;
}

export interface EvaluationResult {
  cards: Card[];
  /** source.topic.code of each card, index-aligned with `cards` (VERIFICATION_SUMMARY included). */
  ruleIds: string[];
}

export interface ClinicalEngine {
  /** The imatinib orders under evaluation; empty ⇒ answer {"cards": []} without fetching anything. */
  selectOrders(req: Pick<ClinicalRequest, 'hook' | 'draftOrders' | 'selections'>, extraResources?: FhirResource[]): MedicationRequest[];
  evaluate(req: ClinicalRequest, opts: EvaluateOptions): EvaluationResult;
}

export function createClinicalEngine(cfg: ClinicalConfig): ClinicalEngine {
  const selectOrders: ClinicalEngine['selectOrders'] = (req, extraResources) =>
    selectImatinibOrders({ hook: req.hook, draftOrders: req.draftOrders, ...(req.selections ? { selections: req.selections } : {}) }, extraResources);

  return {
    selectOrders,
    evaluate(req, opts) {
      const selected = selectOrders(req, req.patientResources);
      if (selected.length === 0) return { cards: [], ruleIds: [] };
      const orders = buildImatinibOrders(selected, req.draftOrders, req.patientResources);
      const facts = deriveFacts(req.patientResources, { now: req.now, cfg, excludeOrderRefs: orders.map((o) => o.reference) });
      const total = totalDose(
        orders.map((o) => o.dose),
        orders.map((o) => o.reference),
      );
      const ctx = buildRuleContext({ facts, orders, total, cfg, now: req.now });
      const run = runRules(ctx);
      const cards = run.findings.map((f) => findingToCard(f, { serviceTitle: opts.serviceTitle }));
      if (opts.verificationSummary) cards.push(verificationSummaryCard({ run, ctx, serviceTitle: opts.serviceTitle, truncatedKeys: req.truncatedKeys }));
      return { cards, ruleIds: cards.map((c) => c.source.topic?.code ?? 'unknown') };
    },
  };
}
