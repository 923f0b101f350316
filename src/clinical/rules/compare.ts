/**
 * Threshold comparisons that behave at the boundary. Values come from unit conversion and sums of
 * decimals, so 3.6 / 1.2 must count as exactly 3 (not 3.0000000000000004) before it is compared.
 */

/** Round to 0.001: the resolution §3 fixes for daily doses in mg. */
export function roundDose(mg: number): number {
  return Math.round(mg * 1000) / 1000;
}

/** Round lab values and ratios well below any clinical resolution, to drop floating-point noise. */
function roundMeasure(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

/** value < threshold, with the value's conversion noise removed (ANC 1.0 does not count as below 1.0). */
export function isBelow(value: number, threshold: number): boolean {
  return roundMeasure(value) < threshold;
}

/** value / uln strictly above the multiple (bilirubin exactly 3.0 × ULN does not count as above 3 × ULN). */
export function exceedsUlnMultiple(value: number, uln: number, multiple: number): boolean {
  if (!(uln > 0)) return false;
  return roundMeasure(value / uln) > multiple;
}

/** The ratio to the ULN, for text ("3.2"). */
export function ulnRatio(value: number, uln: number): number {
  return Math.round((value / uln) * 100) / 100;
}
