import fc from 'fast-check';
import { findingToCard } from '../../../../src/clinical/cards';
import { assertValidCdsResponse } from '../../../helpers/assert-cds';
import { ids, order, runFor, type FactsOptions, type Genotype, suggested } from '../../../helpers/facts-factory';
import { bundle } from '../../../helpers/fhir-builders';

const genotypes: Genotype[] = ['kit-exon11', 'kit-exon9', 'pdgfra-d842v', 'kit-exon9-and-pdgfra-d842v', 'wild-type', 'sdh-deficient', 'kit-only-tested', 'untested'];
const dose = fc.oneof(fc.constantFrom(100, 300, 400, 400.001, 600, 799.999, 800, 800.001, 1200), fc.constant<'unparseable'>('unparseable'));
const liver = fc.option(fc.record({ value: fc.double({ min: 0.1, max: 20, noNaN: true }), uln: fc.option(fc.constantFrom(1, 1.2, 40), { nil: undefined }) }), { nil: undefined });

const patient: fc.Arbitrary<FactsOptions> = fc.record(
  {
    gist: fc.boolean(),
    advanced: fc.boolean(),
    genotype: fc.constantFrom(...genotypes),
    taking: fc.option(fc.record({ mgPerDay: fc.constantFrom<number | 'unparseable'>(400, 600, 800, 'unparseable') }), { nil: undefined }),
    progression: fc.option(fc.record({ date: fc.constant('2026-05-01'), current: fc.boolean() }), { nil: undefined }),
    anc: fc.option(fc.constantFrom(0.5, 0.99, 1, 2), { nil: undefined }),
    platelets: fc.option(fc.constantFrom(20, 49.9, 50, 200), { nil: undefined }),
    bilirubin: liver,
    alt: liver,
    crcl: fc.option(fc.constantFrom(10, 19.9, 20, 39.9, 40, 59.9, 60, 90), { nil: undefined }),
    inducers: fc.option(fc.constant(['rifampin']), { nil: undefined }),
    warfarin: fc.boolean(),
    pregnant: fc.boolean(),
    severeHepaticImpairment: fc.boolean(),
  },
  { requiredKeys: [] },
);

describe('rule and card invariants over generated patients', () => {
  it('every response is valid CDS Hooks with at most one card per rule, and precedence always holds', () => {
    fc.assert(
      fc.property(patient, fc.array(dose, { minLength: 1, maxLength: 3 }), (p, doses) => {
        const orders = doses.map((mg, i) => order({ id: `o${i}`, mgPerDay: mg }));
        const run = runFor(p, orders);
        const fired = ids(run);
        const cards = run.findings.map((f) => findingToCard(f, { serviceTitle: 'Imatinib for GIST: order signing check', highDoseMg: 800 }));
        assertValidCdsResponse({ cards }, bundle(orders.map((o) => o.resource)));

        expect(new Set(fired).size).toBe(fired.length);
        if (p.gist === false) expect(fired).toEqual([]);
        expect(fired.includes('DOSE_ABOVE_MAX') && fired.includes('HIGH_DOSE_WITHOUT_INDICATION')).toBe(false);
        expect(fired.includes('HEPATOTOXICITY_HOLD') && fired.includes('HEPATIC_IMPAIRMENT')).toBe(false);
        if (fired.includes('PDGFRA_D842V_RESISTANT') || fired.includes('WT_SDH_NF1_LOW_BENEFIT')) {
          expect(fired).not.toContain('EXON9_HIGH_DOSE');
          expect(fired).not.toContain('PROGRESSION_ESCALATE');
        }
        if (doses.includes('unparseable')) {
          for (const id of ['EXON9_HIGH_DOSE', 'PROGRESSION_ESCALATE', 'HIGH_DOSE_WITHOUT_INDICATION', 'DOSE_ABOVE_MAX']) expect(fired).not.toContain(id);
        }
        if (p.genotype === 'untested') {
          for (const id of ['EXON9_HIGH_DOSE', 'PDGFRA_D842V_RESISTANT', 'WT_SDH_NF1_LOW_BENEFIT']) expect(fired).not.toContain(id);
        }
        const crcl = typeof p.crcl === 'number' ? p.crcl : undefined;
        const unsafe = (crcl !== undefined && crcl < 60) || ['HEPATIC_IMPAIRMENT', 'HEMATOLOGIC_HOLD', 'HEPATOTOXICITY_HOLD', 'PREGNANCY'].some((id) => fired.includes(id));
        const increases = run.findings.filter((x) => x.ruleId === 'EXON9_HIGH_DOSE' || x.ruleId === 'PROGRESSION_ESCALATE');
        for (const f of increases) {
          if (unsafe) {
            expect(f.indicator).toBe('info');
            expect(suggested(f)).toBeUndefined();
            expect(f.withheldBecause?.length).toBeGreaterThan(0);
          }
        }
        if (!unsafe && increases.length > 0) expect(increases.filter((f) => suggested(f))).toHaveLength(1);
        // 1.1 §4: one safe target per request, never during a hold, never above the renal cap.
        const dosed = run.findings.filter((f) => suggested(f));
        expect(dosed.length).toBeLessThanOrEqual(1);
        const holds = ['HEMATOLOGIC_HOLD', 'HEPATOTOXICITY_HOLD', 'PREGNANCY'].filter((id) => fired.includes(id));
        if (holds.length > 0) expect(dosed).toEqual([]);
        for (const f of run.findings) if (f.suggestion?.kind === 'cancel') expect(holds).toContain(f.ruleId);
        const target = dosed[0] ? suggested(dosed[0]) : undefined;
        if (target && crcl !== undefined) {
          if (crcl < 20) throw new Error('a dose was suggested below CrCl 20');
          if (crcl < 40) expect(target.mgPerDay).toBeLessThanOrEqual(400);
          else if (crcl < 60) expect(target.mgPerDay).toBeLessThanOrEqual(600);
        }
        expect(run.outcomes).toHaveLength(17);
      }),
      { numRuns: 300, seed: 20260601 },
    );
  });
});
