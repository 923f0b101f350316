/**
 * One service call, end to end and HTTP-free:
 *   recognise imatinib orders (cheap) → obtain patient data (prefetch + fetch) → clinical engine → record cards.
 * A call with no imatinib order answers {"cards": []} before any fetch or fact extraction.
 */
import type { Bundle, FhirResource, MedicationRequest } from 'fhir/r4';
import type { Card } from './protocol/cards';
import type { HookRequest } from './protocol/schemas';
import type { ServiceDefinition } from './protocol/services';
import type { CardStore, IssuedCard } from './store/card-store';
import type { PatientDataSource } from './fhir/types';
import type { ClinicalRequest } from './clinical/types';

/** What the pipeline needs of the clinical engine (src/clinical/engine.ts implements it). */
export interface ClinicalEvaluator {
  selectOrders(req: Pick<ClinicalRequest, 'hook' | 'draftOrders' | 'selections'>, extraResources?: FhirResource[]): MedicationRequest[];
  evaluate(req: ClinicalRequest, opts: { serviceTitle: string; verificationSummary: boolean }): { cards: Card[]; ruleIds: string[] };
}

export interface PipelineDeps {
  engine: ClinicalEvaluator;
  dataSource: PatientDataSource;
  store: CardStore;
  now?: () => Date;
}

export interface PipelineResult {
  cards: Card[];
  ruleIds: string[];
}

/** Medications sent in prefetch can identify a draft order's medication reference without any fetch. */
function prefetchedMedications(prefetch: Record<string, unknown> | undefined): FhirResource[] {
  if (!prefetch) return [];
  const found: FhirResource[] = [];
  for (const value of Object.values(prefetch)) {
    if (!value || typeof value !== 'object') continue;
    const resource = value as FhirResource;
    if (resource.resourceType === 'Medication') found.push(resource);
    else if (resource.resourceType === 'Bundle') {
      const entries: unknown = (resource as Bundle).entry;
      for (const entry of Array.isArray(entries) ? (entries as Bundle['entry'] & object) : []) {
        if (entry?.resource?.resourceType === 'Medication') found.push(entry.resource as FhirResource);
      }
    }
  }
  return found;
}

export function createPipeline(deps: PipelineDeps) {
  const now = deps.now ?? (() => new Date());

  return async function invoke(service: ServiceDefinition, request: HookRequest, signal?: AbortSignal): Promise<PipelineResult> {
    const draftOrders = request.context.draftOrders as Bundle;
    const selections = request.hook === 'order-select' ? request.context.selections : undefined;
    const orders = deps.engine.selectOrders({ hook: request.hook, draftOrders, selections }, prefetchedMedications(request.prefetch));
    if (orders.length === 0) return { cards: [], ruleIds: [] };

    const data = await deps.dataSource.obtain(service.prefetch, request, signal);
    const evaluatedAt = now();
    const result = deps.engine.evaluate(
      { hook: request.hook, draftOrders, selections, patientResources: data.resources, now: evaluatedAt, truncatedKeys: data.truncatedKeys },
      { serviceTitle: service.title, verificationSummary: service.verificationSummary },
    );

    const issued: IssuedCard[] = result.cards.map((card) => ({
      cardUuid: card.uuid,
      serviceId: service.id,
      ruleId: card.source.topic?.code ?? 'unknown',
      hookInstance: request.hookInstance,
      patientId: request.context.patientId,
      suggestionUuids: (card.suggestions ?? []).map((s) => s.uuid),
    }));
    deps.store.recordIssued(issued, evaluatedAt);
    return result;
  };
}

export type Pipeline = ReturnType<typeof createPipeline>;
