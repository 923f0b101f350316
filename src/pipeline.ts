/**
 * One service call, end to end and HTTP-free:
 *   select the imatinib orders once (draft Bundle, then prefetched Medications, then GET Medication/{id} for a
 *   reference nothing resolves) → obtain patient data (prefetch + fetch + referenced Medications) → clinical
 *   engine → record the evaluation and its cards (durable before the answer leaves).
 * A call with no imatinib order answers {"cards": []} before any patient data is fetched.
 *
 * Partial data (docs/clinical-rules.md §7): a prefetch key that could not be obtained is handed to the engine
 * as missing, and the call is evaluated with what was obtained. The call fails with DataUnavailableError (the
 * HTTP layer answers 412) only when nothing can be decided: the patient's Conditions (the GIST gate) are
 * missing, or a Medication read needed to recognise an evaluated order failed.
 */
import type { Bundle, Medication, MedicationRequest } from 'fhir/r4';
import type { ClinicalEngine, EvaluationResult } from './clinical/engine';
import type { MissingData } from './clinical/gaps';
import type { HookRequest } from './protocol/schemas';
import type { ServiceDefinition } from './protocol/services';
import { randomUUID } from 'node:crypto';
import type { CardStore } from './store/types';
import { RULE_SET_VERSION } from './clinical/cards';
import { NO_METRICS, type Metrics } from './metrics/types';
import { DataUnavailableError, type DataSession, type MissingKey, type PatientDataSource } from './fhir/types';

export interface PipelineDeps {
  engine: ClinicalEngine;
  dataSource: PatientDataSource;
  store: CardStore;
  metrics?: Metrics;
  now?: () => Date;
}

export type PipelineResult = EvaluationResult;

/** The GIST gate reads the patient's Conditions: without them no rule can be decided. */
const GATE_RESOURCE_TYPE = 'Condition';

interface Selected {
  orders: MedicationRequest[];
  /** Medications read from the FHIR server to recognise draft orders (handed on to the engine). */
  read: Medication[];
}

/** The orders under evaluation, in draft Bundle order; reads the Medications that only the server can name. */
async function selectOrders(engine: ClinicalEngine, session: DataSession, request: HookRequest): Promise<Selected> {
  const draftOrders = request.context.draftOrders as Bundle;
  const selections = request.hook === 'order-select' ? request.context.selections : undefined;
  const selection = engine.selectOrders({ hook: request.hook, draftOrders, ...(selections ? { selections } : {}) }, () => session.prefetchedMedications());
  if (selection.unresolved.length === 0) return { orders: selection.imatinib, read: [] };

  const reads = await session.readMedications(selection.unresolved.map((u) => u.reference));
  const decision = engine.decideUnresolved(selection.unresolved, reads);
  if (decision.failed.length > 0) {
    throw new DataUnavailableError(
      decision.failed.map((f) => f.reference),
      Object.fromEntries(decision.failed.map((f) => [f.reference, `the Medication of a draft order could not be read (${f.reason}), so it cannot be told whether it is imatinib`])),
      'draftOrders',
    );
  }
  const chosen = new Set<MedicationRequest>([...selection.imatinib, ...decision.imatinib]);
  const inBundleOrder = (Array.isArray(draftOrders.entry) ? draftOrders.entry : []).map((e) => e?.resource).filter((r): r is MedicationRequest => chosen.has(r as MedicationRequest));
  const read = [...reads.values()].flatMap((r) => (r.status === 'found' ? [r.medication] : []));
  return { orders: inBundleOrder, read };
}

function missingData(service: ServiceDefinition, missing: readonly MissingKey[]): MissingData[] {
  return missing.map((m) => ({ ...m, label: service.prefetchLabels[m.key] ?? m.key }));
}

export function createPipeline(deps: PipelineDeps) {
  const now = deps.now ?? (() => new Date());
  const metrics = deps.metrics ?? NO_METRICS;

  return async function invoke(service: ServiceDefinition, request: HookRequest, signal?: AbortSignal): Promise<PipelineResult> {
    const session = deps.dataSource.session(request, signal);
    const { orders, read } = await selectOrders(deps.engine, session, request);
    if (orders.length === 0) return { cards: [], ruleIds: [] };

    const data = await session.obtain(service.prefetchTemplates);
    for (const [key, source] of Object.entries(data.sources)) metrics.prefetchKey(key, source === 'unavailable' ? 'missing' : source);
    const gate = data.missing.filter((m) => m.resourceType === GATE_RESOURCE_TYPE);
    if (gate.length > 0) {
      // Without the diagnoses nothing can be decided: name every missing key, the gate first.
      const all = [...gate, ...data.missing.filter((m) => m.resourceType !== GATE_RESOURCE_TYPE)];
      throw new DataUnavailableError(
        all.map((m) => m.key),
        Object.fromEntries(all.map((m) => [m.key, m.resourceType === GATE_RESOURCE_TYPE ? `${m.reason}; the GIST diagnosis cannot be decided without the patient's Conditions` : m.reason])),
      );
    }

    const evaluatedAt = now();
    const result = deps.engine.evaluate(
      {
        orders,
        draftOrders: request.context.draftOrders as Bundle,
        patientResources: data.resources,
        medications: [...data.medications, ...read],
        missing: missingData(service, data.missing),
        ...(data.medicationReadFailures ? { medicationReadFailures: data.medicationReadFailures } : {}),
        ...(data.truncatedKeys ? { truncatedKeys: data.truncatedKeys } : {}),
        now: evaluatedAt,
      },
      { serviceTitle: service.title, verificationSummary: service.verificationSummary },
    );

    // The evaluation (the denominator of alert analytics) and its cards, durable before the answer leaves.
    await deps.store.recordEvaluation({
      evaluationId: randomUUID(),
      serviceId: service.id,
      ruleSetVersion: RULE_SET_VERSION,
      hookInstance: request.hookInstance,
      patientId: request.context.patientId,
      orderCount: orders.length,
      evaluatedAt,
      cards: result.cards.map((card) => ({
        cardUuid: card.uuid,
        ruleId: card.source.topic?.code ?? 'unknown',
        indicator: card.indicator,
        suggestionUuids: (card.suggestions ?? []).map((s) => s.uuid),
      })),
    });
    return result;
  };
}

export type Pipeline = ReturnType<typeof createPipeline>;
