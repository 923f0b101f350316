import fs from 'node:fs';
import { RULES, RULES_BY_ID } from '../../../../src/clinical/rules/catalogue';
import { RULE_IDS } from '../../../../src/clinical/rules/types';
import { CATALOGUE_FILE, renderRuleCatalogue } from '../../../../scripts/rule-catalogue';
import { thresholdValue } from '../../../../src/governance/catalogue';
import { CFG } from '../../../helpers/facts-factory';

describe('rule catalogue', () => {
  it('has every rule of docs/clinical-rules.md §4 exactly once, in order', () => {
    expect(RULES.map((r) => r.id)).toEqual([...RULE_IDS]);
    expect(Object.keys(RULES_BY_ID)).toHaveLength(17);
  });

  it('declares only thresholds that exist as numbers in the clinical configuration', () => {
    for (const rule of RULES) for (const t of rule.thresholds) expect(typeof thresholdValue(CFG, t.key)).toBe('number');
  });

  it('gives every rule evidence with an absolute https link and a short citation', () => {
    for (const rule of RULES) {
      expect(rule.evidence.length).toBeGreaterThan(0);
      for (const e of rule.evidence) {
        expect(e.url).toMatch(/^https:\/\/(doi\.org\/10\.|dailymed\.nlm\.nih\.gov\/|www\.ema\.europa\.eu\/)/);
        expect(e.citation.length).toBeGreaterThan(0);
      }
    }
  });

  it('keeps every summary template under 140 characters', () => {
    for (const rule of RULES) expect(rule.catalogueSummary(CFG).length).toBeLessThan(140);
  });

  it('writes the catalogue summaries and triggers from the configured numbers, not hard-coded defaults', () => {
    const cfg = { ...CFG, maxDoseMg: 900, renal: { ...CFG.renal, mildCapMg: 500 } };
    expect(RULES_BY_ID.DOSE_ABOVE_MAX.catalogueSummary(cfg)).toBe('Imatinib dose exceeds 900 mg/day, the maximum for GIST; experience above 900 mg is limited.');
    expect(RULES_BY_ID.DOSE_ABOVE_MAX.trigger(cfg)).toMatch(/above 900 mg\/day/);
    expect(RULES_BY_ID.RENAL_DOSE_LIMIT.trigger(cfg)).toMatch(/dose > 500 mg\/day/);
    expect(renderRuleCatalogue(cfg)).toMatch(/`clinical.maxDoseMg` = 900/);
  });

  // Regenerate after changing a rule: UPDATE_CATALOGUE=1 npx jest test/unit/clinical/rules/catalogue
  // (or: npm run build && node dist/scripts/rule-catalogue.js --write).
  it('matches the committed docs/rule-catalogue.md', () => {
    const generated = renderRuleCatalogue(CFG);
    if (process.env.UPDATE_CATALOGUE === '1') fs.writeFileSync(CATALOGUE_FILE, generated);
    expect(fs.readFileSync(CATALOGUE_FILE, 'utf8')).toBe(generated);
  });
});
