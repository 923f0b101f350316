/** Daily doses written as orders: how many mg per administration and how often. */
import type { ClinicalConfig } from '../../config';
import { roundDose } from './compare';
import { formatNumber } from './format';
import type { DoseTarget } from './types';

/**
 * The high dose is given as two equal doses (label: 800 mg/day as 400 mg twice daily); lower doses once
 * daily (400 or 600 mg once daily).
 */
export function doseTarget(mgPerDay: number, cfg: ClinicalConfig): DoseTarget {
  const total = roundDose(mgPerDay);
  if (total >= cfg.highDoseMg) {
    const each = roundDose(total / 2);
    const regimen = `${formatNumber(each)} mg twice daily`;
    return { mgPerDay: total, perAdministrationMg: each, timesPerDay: 2, regimen, label: `${regimen} (${formatNumber(total)} mg/day)` };
  }
  const regimen = `${formatNumber(total)} mg once daily`;
  return { mgPerDay: total, perAdministrationMg: total, timesPerDay: 1, regimen, label: regimen };
}

/** 800 mg/day as 400 mg twice daily. */
export function highDoseTarget(cfg: ClinicalConfig): DoseTarget {
  return doseTarget(cfg.highDoseMg, cfg);
}

/** 400 mg once daily. */
export function standardDoseTarget(cfg: ClinicalConfig): DoseTarget {
  return doseTarget(cfg.standardDoseMg, cfg);
}
