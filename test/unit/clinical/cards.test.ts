import type { MedicationRequest } from 'fhir/r4';
import { escapeMarkdown, findingToCard, OVERRIDE_REASON_SYSTEM, RULE_CODE_SYSTEM, RULE_SET_VERSION } from '../../../src/clinical/cards';
import { assertNoEmptyValues, assertValidCard } from '../../helpers/assert-cds';
import { finding, order, runFor, type FactsOptions } from '../../helpers/facts-factory';
import { bundle } from '../../helpers/fhir-builders';
import type { ImatinibOrder } from '../../../src/clinical/types';

const TITLE = 'Imatinib for GIST: order signing check';

function cardsFor(o: FactsOptions, orders: ImatinibOrder[]) {
  const run = runFor(o, orders);
  return { run, cards: run.findings.map((f) => findingToCard(f, { serviceTitle: TITLE, highDoseMg: 800 })), draftOrders: bundle(orders.map((x) => x.resource)) };
}

describe('findingToCard', () => {
  it('produces valid cards with the rule as topic for a patient who triggers many rules', () => {
    const orders = [order({ id: 'a', mgPerDay: 1200 })];
    const { cards, draftOrders, run } = cardsFor(
      { genotype: 'untested', anc: 0.5, crcl: 30, inducers: ['rifampin'], inhibitors: ['ritonavir'], warfarin: true, pregnant: true, bilirubin: { value: 4, uln: 1 } },
      orders,
    );
    expect(cards.length).toBeGreaterThanOrEqual(8);
    cards.forEach((card, i) => {
      assertValidCard(card, draftOrders);
      expect(card.source.topic).toEqual(expect.objectContaining({ system: RULE_CODE_SYSTEM, code: run.findings[i]?.ruleId }));
      expect(card.source.topic?.display?.length).toBeGreaterThan(0);
      expect(card.source.label).toBe(`${TITLE} (rules ${RULE_SET_VERSION})`);
      expect(card.overrideReasons).toHaveLength(5);
      expect(card.overrideReasons?.every((r) => r.system === OVERRIDE_REASON_SYSTEM && r.display)).toBe(true);
      expect(card.links?.every((l) => l.type === 'absolute' && /^https:\/\//.test(l.url))).toBe(true);
    });
  });

  it('gives every card and suggestion a fresh uuid on every call', () => {
    const f = finding(runFor({ advanced: true, genotype: 'kit-exon9' }, [order({ mgPerDay: 400 })]), 'EXON9_HIGH_DOSE');
    const one = findingToCard(f, { serviceTitle: TITLE, highDoseMg: 800 });
    const two = findingToCard(f, { serviceTitle: TITLE, highDoseMg: 800 });
    expect(one.uuid).not.toBe(two.uuid);
    expect(one.suggestions?.[0]?.uuid).not.toBe(two.suggestions?.[0]?.uuid);
  });

  it('states facts with values, units and dates, the advice and the evidence in the detail', () => {
    const { cards } = cardsFor({ anc: 0.8, labDate: '2026-05-29' }, [order()]);
    const detail = cards[0]?.detail ?? '';
    expect(detail).toContain('- ANC 0.8 ×10⁹/L (below 1) on 2026-05-29');
    expect(detail).toContain('**What to do**');
    expect(detail).toContain('**Evidence:** Glivec EU SmPC; US imatinib prescribing information.');
  });

  it('links the evidence by DOI', () => {
    const { cards } = cardsFor({ advanced: true, genotype: 'kit-exon9' }, [order({ mgPerDay: 400 })]);
    expect(cards[0]?.links?.map((l) => l.url)).toEqual(
      expect.arrayContaining(['https://doi.org/10.1002/cncr.24944', 'https://doi.org/10.1200/JCO.2009.24.2099']),
    );
  });

  it('omits suggestions and selectionBehavior on a card without a dose option', () => {
    const { cards } = cardsFor({ warfarin: true }, [order()]);
    expect(cards[0]?.suggestions).toBeUndefined();
    expect(cards[0]?.selectionBehavior).toBeUndefined();
    assertNoEmptyValues(cards[0]);
  });
});

describe('dose suggestions', () => {
  it('update the whole draft MedicationRequest to 400 mg twice daily, keeping the route', () => {
    const route = { coding: [{ system: 'http://snomed.info/sct', code: '26643006', display: 'Oral route' }] };
    const o = order({ id: 'draft-1', mgPerDay: 400 });
    o.resource = { ...o.resource, dosageInstruction: [{ ...(o.resource.dosageInstruction?.[0] ?? {}), route }], note: [{ text: 'with food' }] };
    const before = structuredClone(o.resource);
    const { cards, draftOrders } = cardsFor({ advanced: true, genotype: 'kit-exon9' }, [o]);
    const card = cards[0];
    if (!card) throw new Error('no card');
    assertValidCard(card, draftOrders);
    expect(card.selectionBehavior).toBe('at-most-one');
    expect(card.suggestions).toHaveLength(1);
    const action = card.suggestions?.[0]?.actions?.[0];
    expect(action?.type).toBe('update');
    const updated = action?.resource as MedicationRequest;
    expect(updated.id).toBe('draft-1');
    expect(updated.note).toEqual([{ text: 'with food' }]);
    expect(updated.dosageInstruction).toEqual([
      {
        text: '400 mg twice daily',
        timing: { repeat: { frequency: 2, period: 1, periodUnit: 'd' } },
        doseAndRate: [{ doseQuantity: { value: 400, unit: 'mg', system: 'http://unitsofmeasure.org', code: 'mg' } }],
        route,
      },
    ]);
    expect(o.resource).toEqual(before); // the draft itself is not changed
  });

  it('write 400 mg once daily with frequency 1', () => {
    const { cards } = cardsFor({}, [order({ id: 'd', mgPerDay: 600 })]);
    const updated = cards[0]?.suggestions?.[0]?.actions?.[0]?.resource as MedicationRequest;
    expect(updated.dosageInstruction?.[0]?.timing?.repeat).toEqual({ frequency: 1, period: 1, periodUnit: 'd' });
    expect(updated.dosageInstruction?.[0]?.doseAndRate?.[0]?.doseQuantity?.value).toBe(400);
    expect(updated.dosageInstruction?.[0]?.route).toBeUndefined();
  });

  it('update the first of several orders and delete the others, leaving exactly the target total', () => {
    const orders = [order({ id: 'first', mgPerDay: 400 }), order({ id: 'second', mgPerDay: 400 }), order({ id: 'third', mgPerDay: 400 })];
    const { cards, draftOrders } = cardsFor({}, orders);
    const card = cards.find((c) => c.source.topic?.code === 'DOSE_ABOVE_MAX');
    if (!card) throw new Error('no DOSE_ABOVE_MAX card');
    assertValidCard(card, draftOrders);
    expect(card.suggestions).toHaveLength(1);
    const actions = card.suggestions?.[0]?.actions ?? [];
    expect(actions.map((a) => [a.type, a.resourceId ?? (a.resource as MedicationRequest).id])).toEqual([
      ['update', 'first'],
      ['delete', 'MedicationRequest/second'],
      ['delete', 'MedicationRequest/third'],
    ]);
    expect(card.suggestions?.[0]?.label).toBe('Change to 400 mg once daily in one order and remove the other imatinib orders');
    expect(card.detail).toContain('**Orders:**');
  });

  it('are left out, with the reason first in the detail, when a dose increase is withheld', () => {
    const { cards, draftOrders } = cardsFor({ advanced: true, genotype: 'kit-exon9', crcl: 45 }, [order({ mgPerDay: 400 })]);
    const card = cards.find((c) => c.source.topic?.code === 'EXON9_HIGH_DOSE');
    if (!card) throw new Error('no EXON9 card');
    assertValidCard(card, draftOrders);
    expect(card.indicator).toBe('info');
    expect(card.suggestions).toBeUndefined();
    expect(card.detail).toMatch(/^\*\*Dose increase not suggested now:\*\* CrCl 45 mL\/min on \d{4}-\d{2}-\d{2} is below 60 mL\/min\./);
  });
});

describe('1.1 §5 text for people', () => {
  const FHIR_ID = /\b(Observation|MedicationRequest|MedicationStatement|Condition|Medication|Patient)\/[A-Za-z0-9\-.]+/;

  it('puts no FHIR ids in the summary or detail of prescriber cards', () => {
    const orders = [order({ id: 'a', mgPerDay: 1200 }), order({ id: 'b', mgPerDay: 400 })];
    const { cards } = cardsFor(
      { advanced: true, genotype: 'kit-exon9', anc: 0.5, crcl: 30, inducers: ['rifampin'], warfarin: true, pregnant: true, bilirubin: { value: 4, uln: 1 }, taking: { mgPerDay: 400 }, progression: { date: '2026-05-01' } },
      orders,
    );
    expect(cards.length).toBeGreaterThan(5);
    for (const c of cards) {
      expect(c.summary).not.toMatch(FHIR_ID);
      expect(c.detail).not.toMatch(FHIR_ID);
    }
  });

  it('writes units as a clinician reads them: ×10⁹/L and mL/min/1.73 m² for eGFR', () => {
    const { cards } = cardsFor({ anc: 0.5, egfr: 35 }, [order({ mgPerDay: 600 })]);
    const text = cards.map((c) => `${c.summary}\n${c.detail}`).join('\n');
    expect(text).toContain('×10⁹/L');
    expect(text).not.toContain('10^9');
    expect(text).toMatch(/eGFR 35 mL\/min\/1\.73 m²/);
    expect(text).not.toMatch(/eGFR 35 mL\/min(?!\/1\.73)/);
  });

  it('shows at most 3 significant digits for a ULN ratio (3.33× ULN, not 3.333333)', () => {
    const { cards } = cardsFor({ taking: { mgPerDay: 400 }, bilirubin: { value: 4, uln: 1.2 } }, [order()]);
    expect(cards[0]?.summary).toMatch(/^Bilirubin 3\.33× ULN/);
    expect(cards[0]?.detail).not.toMatch(/3\.333/);
  });

  it('shows a dose range as "400–600 mg/day (range)", computed as its high value', () => {
    const o = order({ mgPerDay: 600 });
    o.dose = { kind: 'computed', mgPerDay: 600, derivation: 'up to 600 mg × 1/day', range: { lowMgPerDay: 400 } };
    const { cards } = cardsFor({}, [o]);
    expect(cards[0]?.detail).toContain('- Ordered dose 400–600 mg/day (range)');
    expect(cards[0]?.source.topic?.code).toBe('HIGH_DOSE_WITHOUT_INDICATION');
  });
});

describe('1.1 §4 400 mg tablets for 800 mg/day', () => {
  it('switches a 100 mg tablet order (403878) to the 400 mg tablet (403879) and says so in the label', () => {
    const { cards, draftOrders } = cardsFor({ advanced: true, genotype: 'kit-exon9' }, [order({ id: 'hundred', rxnorm: '403878', mgPerDay: 400 })]);
    const card = cards[0];
    expect(card?.suggestions?.[0]?.label).toBe('Change to 400 mg twice daily (800 mg/day), using 400 mg tablets');
    const updated = card?.suggestions?.[0]?.actions?.[0]?.resource as MedicationRequest;
    expect(updated.medicationCodeableConcept?.coding).toEqual([{ system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code: '403879', display: 'imatinib 400 MG Oral Tablet' }]);
    expect(updated.id).toBe('hundred');
    expect(updated.dosageInstruction?.[0]?.doseAndRate?.[0]?.doseQuantity?.value).toBe(400);
    expect(card?.detail).toMatch(/\*\*Tablets:\*\* the suggestion also switches the order to the 400 mg tablet/);
    assertValidCard(card as NonNullable<typeof card>, draftOrders);
  });

  it('switches Gleevec 100 mg (404588) to Gleevec 400 mg (404589)', () => {
    const { cards } = cardsFor({ advanced: true, genotype: 'kit-exon9' }, [order({ rxnorm: '404588', mgPerDay: 400 })]);
    const updated = cards[0]?.suggestions?.[0]?.actions?.[0]?.resource as MedicationRequest;
    expect(updated.medicationCodeableConcept?.coding?.[0]?.code).toBe('404589');
  });

  it('keeps the medication of an order for the ingredient only, and says "use 400 mg tablets" in the detail', () => {
    const { cards } = cardsFor({ advanced: true, genotype: 'kit-exon9' }, [order({ rxnorm: '282388', mgPerDay: 400 })]);
    const updated = cards[0]?.suggestions?.[0]?.actions?.[0]?.resource as MedicationRequest;
    expect(updated.medicationCodeableConcept?.coding?.[0]?.code).toBe('282388');
    expect(cards[0]?.suggestions?.[0]?.label).toBe('Change to 400 mg twice daily (800 mg/day)');
    expect(cards[0]?.detail).toMatch(/\*\*Tablets:\*\* use 400 mg tablets for 800 mg\/day/);
  });

  it('negative: a 400 mg tablet order is not changed, and no tablet note is added', () => {
    const { cards } = cardsFor({ advanced: true, genotype: 'kit-exon9' }, [order({ rxnorm: '403879', mgPerDay: 400 })]);
    expect(cards[0]?.suggestions?.[0]?.label).toBe('Change to 400 mg twice daily (800 mg/day)');
    expect(cards[0]?.detail).not.toContain('**Tablets:**');
  });

  it('negative: a 400 mg/day target from a 100 mg product keeps the product', () => {
    const { cards } = cardsFor({}, [order({ rxnorm: '403878', mgPerDay: 600 })]);
    const updated = cards[0]?.suggestions?.[0]?.actions?.[0]?.resource as MedicationRequest;
    expect(updated.medicationCodeableConcept?.coding?.[0]?.code).toBe('403878');
  });
});

describe('1.1 §4 "Cancel this imatinib order"', () => {
  it('deletes every evaluated draft order, on each hold and pregnancy card', () => {
    const { cards, draftOrders } = cardsFor({ anc: 0.5, pregnant: true }, [order({ id: 'd1', mgPerDay: 400 })]);
    for (const code of ['HEMATOLOGIC_HOLD', 'PREGNANCY']) {
      const card = cards.find((c) => c.source.topic?.code === code);
      expect(card?.suggestions).toEqual([{ label: 'Cancel this imatinib order', uuid: expect.any(String), actions: [{ type: 'delete', description: expect.stringMatching(/^Cancel the draft imatinib order/), resourceId: 'MedicationRequest/d1' }] }]);
      expect(card?.selectionBehavior).toBe('at-most-one');
      assertValidCard(card as NonNullable<typeof card>, draftOrders);
    }
  });

  it('one suggestion deletes every draft order; a revised active order is not deleted', () => {
    const { cards } = cardsFor({ pregnant: true }, [order({ id: 'd1', mgPerDay: 200 }), order({ id: 'd2', mgPerDay: 200 }), order({ id: 'act', status: 'active', mgPerDay: 200 })]);
    const suggestions = cards.find((c) => c.source.topic?.code === 'PREGNANCY')?.suggestions ?? [];
    expect(suggestions).toHaveLength(1);
    expect(suggestions[0]?.label).toBe('Cancel this imatinib order');
    expect(suggestions[0]?.actions?.map((a) => [a.type, a.resourceId])).toEqual([
      ['delete', 'MedicationRequest/d1'],
      ['delete', 'MedicationRequest/d2'],
    ]);
  });
});

describe('escapeMarkdown', () => {
  it('keeps comparators readable as plain text but neutralises tags, emphasis and quotes from patient data', () => {
    expect(escapeMarkdown('eGFR <15 and ≥ 90, x > 2')).toBe('eGFR <15 and ≥ 90, x > 2');
    expect(escapeMarkdown('<script>alert(1)</script>')).toBe('\\<script>alert(1)\\</script>');
    expect(escapeMarkdown('**bold** [link](x) `code` a|b')).toBe('\\*\\*bold\\*\\* \\[link\\](x) \\`code\\` a\\|b');
    expect(escapeMarkdown('> quoted')).toBe('\\> quoted');
  });
});
