import { clinicalSchema, type ClinicalConfig } from '../../../src/config';
import { RULES } from '../../../src/clinical/rules/catalogue';
import { buildExamples, EXAMPLE_CODES, EXAMPLE_PATIENT, runExamples, type ExampleCode, type ExampleRun } from '../../../src/governance/examples';
import { assertValidCard } from '../../helpers/assert-cds';
import { CFG } from '../../helpers/facts-factory';

/** A configuration a site might run: validated like config/*.json, so only consistent combinations. */
function configWith(overrides: (c: ClinicalConfig) => ClinicalConfig): ClinicalConfig {
  return clinicalSchema.parse(overrides(structuredClone(CFG)));
}

const CHANGED = configWith((c) => ({
  ...c,
  maxDoseMg: 900,
  hematologic: { ...c.hematologic, ancHoldBelow: 1.2, plateletsHoldBelow: 60, ancResumeAtLeast: 1.8, plateletsResumeAtLeast: 100 },
  hepatic: { ...c.hepatic, transaminaseUlnMultiple: 4, bilirubinUlnMultiple: 2.5 },
  renal: { ...c.renal, mildBelow: 50, mildCapMg: 500 },
}));

function runOf(runs: Record<ExampleCode, ExampleRun | undefined>, code: ExampleCode): ExampleRun {
  const run = runs[code];
  if (!run) throw new Error(`no example for ${code}`);
  return run;
}

describe.each([
  ['the shipped configuration', CFG],
  ['a configuration with changed thresholds', CHANGED],
])('example cards under %s', (_name, cfg) => {
  const runs = runExamples(cfg);

  it('has, for every rule, a card the engine issued with the rule id as topic code and the rule indicator', () => {
    for (const rule of RULES) {
      const { card } = runOf(runs, rule.id);
      expect(card.source.topic).toEqual(expect.objectContaining({ code: rule.id, display: rule.title }));
      expect(card.indicator).toBe(rule.indicator);
      expect(card.source.label).toMatch(/^imatinib-cds \(example\)/);
    }
  });

  it('has the pharmacy verification summary and the DATA_INCOMPLETE card', () => {
    expect(runOf(runs, 'VERIFICATION_SUMMARY').verificationSummary).toBe(true);
    expect(runOf(runs, 'VERIFICATION_SUMMARY').card.detail).toMatch(/\*\*Checks\*\*/);
    expect(runOf(runs, 'DATA_INCOMPLETE').verificationSummary).toBe(false);
    expect(runOf(runs, 'DATA_INCOMPLETE').card.summary).toBe('Some imatinib safety checks could not be run: no data from the EHR for labs.');
    expect(runOf(runs, 'DATA_INCOMPLETE').request.missing?.map((m) => m.key)).toEqual(['labs']);
  });

  it('issues valid CDS Hooks cards whose suggestions act on the example draft order', () => {
    for (const code of EXAMPLE_CODES) {
      const { card, request } = runOf(runs, code);
      assertValidCard(card, request.draftOrders);
    }
  });

  it('uses only the synthetic example patient', () => {
    for (const code of EXAMPLE_CODES) {
      const { request } = runOf(runs, code);
      const subjects = [...request.patientResources, ...request.orders].map((r) => (r as { subject?: { reference?: string } }).subject?.reference);
      expect(new Set(subjects)).toEqual(new Set([EXAMPLE_PATIENT]));
    }
  });

  it('gives every card and suggestion its own stable uuid', () => {
    const uuids = EXAMPLE_CODES.flatMap((code) => {
      const { card } = runOf(runs, code);
      return [card.uuid, ...(card.suggestions ?? []).map((s) => s.uuid)];
    });
    expect(new Set(uuids).size).toBe(uuids.length);
    expect(buildExamples(cfg)).toEqual(buildExamples(cfg));
  });
});

describe('example cards follow the configured values', () => {
  const runs = runExamples(CHANGED);

  it('shows the configured maximum dose', () => {
    expect(runOf(runs, 'DOSE_ABOVE_MAX').card.summary).toBe('Imatinib dose exceeds 900 mg/day, the maximum for GIST; experience above 900 mg is limited.');
    expect(runOf(runs, 'DOSE_ABOVE_MAX').scenario).toMatch(/400 mg three times daily \(1200 mg\/day\)/);
  });

  it('builds the blood counts from the configured hold thresholds', () => {
    const { card, scenario } = runOf(runs, 'HEMATOLOGIC_HOLD');
    expect(card.summary).toBe('ANC 0.96 ×10⁹/L: hold imatinib until ANC ≥ 1.8 and platelets ≥ 100, then resume.');
    expect(card.detail).toMatch(/ANC 0\.96 ×10⁹\/L \(below 1\.2\)/);
    expect(scenario).toMatch(/hold below 1\.2/);
  });

  it('builds the liver values and the kidney band from the configured multiples and limits', () => {
    expect(runOf(runs, 'HEPATOTOXICITY_HOLD').card.summary).toMatch(/^ALT 5× ULN: withhold/);
    expect(runOf(runs, 'HEPATIC_IMPAIRMENT').card.detail).toMatch(/threshold 2\.5×/);
    const renal = runOf(runs, 'RENAL_DOSE_LIMIT').card;
    expect(renal.summary).toBe('Reduced kidney function (CrCl 45 mL/min): imatinib above 500 mg/day is not recommended.');
    expect(renal.suggestions?.[0]?.label).toBe('Change to 500 mg once daily');
  });

  it('says so, instead of inventing a card, when the configuration leaves a rule nothing to fire on', () => {
    // Standard = high = maximum: no dose is above the standard and within the maximum; no ANC is below 0.
    const flat = configWith((c) => ({
      ...c,
      standardDoseMg: 400,
      highDoseMg: 400,
      maxDoseMg: 400,
      hematologic: { ...c.hematologic, ancHoldBelow: 0, recurrenceResumeDoseMg: 300, highDoseResumeDoseMg: 300 },
      renal: { ...c.renal, mildCapMg: 400, moderateCapMg: 300 },
    }));
    const examples = buildExamples(flat);
    expect(examples.HIGH_DOSE_WITHOUT_INDICATION).toEqual({ unavailable: expect.stringMatching(/configured values/) });
    const others = EXAMPLE_CODES.filter((code) => code !== 'HIGH_DOSE_WITHOUT_INDICATION');
    for (const code of others) expect(examples[code]).toEqual(expect.objectContaining({ card: expect.objectContaining({ source: expect.objectContaining({ topic: expect.objectContaining({ code }) }) }) }));
    // The fallbacks: platelets when no ANC can be below the threshold; the moderate kidney band when the mild cap is the maximum.
    expect(examples.HEMATOLOGIC_HOLD).toEqual(expect.objectContaining({ scenario: expect.stringMatching(/^.*platelets 40 ×10⁹\/L/) }));
    expect(examples.RENAL_DOSE_LIMIT).toEqual(expect.objectContaining({ scenario: expect.stringMatching(/CrCl 30 mL\/min/) }));
  });
});
