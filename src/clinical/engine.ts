/**
 * The clinical engine: one pure, synchronous pass per request.
 *   imatinib orders (selected once, by the pipeline) → patient facts (once) → rules → precedence → one safe
 *   dose target → cards (+ DATA_INCOMPLETE for the prescriber services when data could not be obtained, or the
 *   pharmacy verification summary when the service asks for it).
 */
import type { Medication } from 'fhir/r4';
import type { ClinicalConfig } from '../config';
import type { Card } from '../protocol/cards';
import { findingToCard } from './cards';
import { totalDose } from './dose';
import { deriveFacts } from './facts';
import { DataGaps } from './gaps';
import { dataIncompleteCard } from './incomplete';
import { indexMedications } from './medication';
import { buildImatinibOrders, decideUnresolved, selectImatinibOrders, type OrderSelection, type OrderSelectionRequest, type UnresolvedDecision } from './orders';
import { buildRuleContext } from './rules/context';
import { runRules } from './rules/run';
import type { ClinicalRequest } from './types';
import { verificationSummaryCard } from './verification';

export { RULES, RULES_BY_ID } from './rules/catalogue';

export interface EvaluateOptions {
  /** Service title, named in every card's source label. */
  serviceTitle: string;
  /** Add the VERIFICATION_SUMMARY card (pharmacy verification service) instead of DATA_INCOMPLETE. */
  verificationSummary: boolean;
}

export interface EvaluationResult {
  cards: Card[];
  /** source.topic.code of each card, index-aligned with `cards` (VERIFICATION_SUMMARY / DATA_INCOMPLETE included). */
  ruleIds: string[];
}

export interface ClinicalEngine {
  /**
   * The imatinib orders under evaluation, and the ones whose Medication must be read before deciding.
   * `medications` (e.g. those in the prefetch) may be a function: it is called only when the draft Bundle does
   * not resolve an order's medication, so a request without such an order never walks the prefetch.
   */
  selectOrders(req: OrderSelectionRequest, medications?: readonly Medication[] | (() => readonly Medication[])): OrderSelection;
  /** Decide the unresolved orders with the Medication reads (failed reads without a display: nothing can be decided). */
  decideUnresolved: typeof decideUnresolved;
  evaluate(req: ClinicalRequest, opts: EvaluateOptions): EvaluationResult;
}

export function createClinicalEngine(cfg: ClinicalConfig): ClinicalEngine {
  return {
    selectOrders: (req, medications = []) => selectImatinibOrders(req, medications),
    decideUnresolved: (unresolved, reads): UnresolvedDecision => decideUnresolved(unresolved, reads),
    evaluate(req, opts) {
      if (req.orders.length === 0) return { cards: [], ruleIds: [] };
      const lookup = indexMedications(req.draftOrders, [...(req.medications ?? []), ...req.patientResources]);
      const orders = buildImatinibOrders(req.orders, lookup);
      const gaps = new DataGaps(req.missing ?? []);
      const facts = deriveFacts(req.patientResources, { now: req.now, cfg, medications: lookup, evaluated: orders, gaps });
      const total = totalDose(
        orders.map((o) => o.dose),
        orders.map((o) => o.medicationLabel),
      );
      const ctx = buildRuleContext({ facts, orders, total, cfg, now: req.now, gaps });
      const run = runRules(ctx);
      const cards = run.findings.map((f) => findingToCard(f, { serviceTitle: opts.serviceTitle, highDoseMg: cfg.highDoseMg }));
      if (opts.verificationSummary) {
        cards.push(
          verificationSummaryCard({
            run,
            ctx,
            serviceTitle: opts.serviceTitle,
            ...(req.truncatedKeys ? { truncatedKeys: req.truncatedKeys } : {}),
            missing: req.missing ?? [],
            ...(req.medicationReadFailures ? { medicationReadFailures: req.medicationReadFailures } : {}),
          }),
        );
      } else if (facts.gist) {
        const incomplete = dataIncompleteCard(run.outcomes, req.missing ?? [], opts.serviceTitle);
        if (incomplete) cards.push(incomplete);
      }
      return { cards, ruleIds: cards.map((c) => c.source.topic?.code ?? 'unknown') };
    },
  };
}
