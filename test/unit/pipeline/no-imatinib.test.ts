/**
 * A call without an imatinib order must not read the prefetch it never needs (issue: performance; "recognising
 * that no imatinib order is present must not validate or walk the prefetch"). The prefetch values here are
 * proxies that record every property read: the non-imatinib call reads none of them; the imatinib call does
 * (so the test can fail).
 */
import { amoxicillinDraftOrder, imatinibDraftOrder } from '../../../bench/patient';
import { createClinicalEngine } from '../../../src/clinical/engine';
import { loadConfig } from '../../../src/config';
import { createPatientDataSource } from '../../../src/fhir/prefetch';
import { createLogger } from '../../../src/logger';
import { createPipeline } from '../../../src/pipeline';
import { parseHookRequest } from '../../../src/protocol/schemas';
import { loadServices } from '../../../src/protocol/services';
import { SqliteCardStore } from '../../../src/store/sqlite';

const NOW = new Date('2026-06-01T12:00:00Z');
const cfg = loadConfig({});
const service = loadServices().byId.get('imatinib-order-sign');
if (!service) throw new Error('imatinib-order-sign not found');

function watchedBundle(reads: string[], key: string): Record<string, unknown> {
  const target = { resourceType: 'Bundle', type: 'searchset', entry: [] };
  return new Proxy(target, {
    get(t, prop, receiver) {
      reads.push(`${key}.${String(prop)}`);
      return Reflect.get(t, prop, receiver) as unknown;
    },
  });
}

async function call(order: ReturnType<typeof imatinibDraftOrder>): Promise<{ reads: string[]; cards: number }> {
  const reads: string[] = [];
  const prefetch = Object.fromEntries((service?.prefetchTemplates.entries ?? []).map((t) => [t.key, watchedBundle(reads, t.key)]));
  const body = {
    hook: 'order-sign',
    hookInstance: 'd1e7c5a2-0000-4000-8000-000000000001',
    context: { userId: 'Practitioner/p1', patientId: 'p1', draftOrders: { resourceType: 'Bundle', entry: [{ resource: order }] } },
    prefetch,
  };
  const store = new SqliteCardStore({ path: ':memory:' });
  try {
    const pipeline = createPipeline({
      engine: createClinicalEngine(cfg.clinical),
      dataSource: createPatientDataSource(cfg.fhir, { logger: createLogger('error', { silent: true }) }),
      store,
      now: () => NOW,
    });
    // Validation included: parsing the request must not look into the prefetch values either.
    const request = parseHookRequest(body, 'order-sign');
    const result = await pipeline(service as NonNullable<typeof service>, request);
    return { reads, cards: result.cards.length };
  } finally {
    await store.close();
  }
}

describe('a call without an imatinib order', () => {
  it('answers without reading any prefetch value', async () => {
    const { reads, cards } = await call(amoxicillinDraftOrder(NOW));
    expect(cards).toBe(0);
    expect(reads).toEqual([]);
  });

  it('(control) an imatinib order does read the prefetch', async () => {
    const { reads } = await call(imatinibDraftOrder(NOW));
    expect(reads.length).toBeGreaterThan(0);
  });
});
