/**
 * One safe dose target per request (docs/clinical-rules.md §4, 1.1), from the dose intents of the cards that
 * fired and the caps of PRECEDENCE:
 *  - no dose change at all while a hold or pregnancy card fires (those cards offer to cancel the draft
 *    orders instead), or while kidney function is below the severe threshold;
 *  - otherwise the lowest of the suggesting rules' own targets and the kidney cap, then, when
 *    HEPATIC_IMPAIRMENT fires, its reduction of what the others leave (75%, rounded down to a whole tablet);
 *  - a CrCl with a comparator may fall in several bands: the target is suggested only when every band gives
 *    the same one;
 *  - the target appears once, on the card with the highest indicator among those that would suggest a dose
 *    (ties: rule order); the other dose cards say where it is and why it is lower.
 */
import type { ImatinibOrder } from '../types';
import { RULES_BY_ID } from './catalogue';
import { doseTarget } from './dose-targets';
import { formatMg, formatNumber, formatValue, formatUnit } from './format';
import { hepaticReduction } from './hepatic';
import { renalBands, renalBelow, renalCap, renalName, type RenalBand } from './knowledge';
import { PRECEDENCE } from './precedence';
import { RULE_IDS, type DoseIntent, type DoseTarget, type Finding, type RuleContext, type RuleId } from './types';

export interface DosePlan {
  /** The one dose change of the request. */
  target?: DoseTarget;
  /** The card that carries it. */
  holder?: RuleId;
  /** Why no dose change is suggested although a card wanted one. */
  withheld?: string;
  /** Per dose card: where the change is, why it is lower, or why there is none. */
  notes: Map<RuleId, string>;
  /** Cards that carry "Cancel this imatinib order" instead. */
  cancelOn: RuleId[];
  /** The draft orders that cancelling would delete. */
  cancelOrders: ImatinibOrder[];
}

/** A band's safe dose and what lowered it (the lowest rule target, the kidney cap, the hepatic reduction). */
type Lowering = { by: RuleId; text: string; /** the dose after this step */ mg: number };
type BandResult = { mgPerDay: number; lowered: Lowering[] } | { none: string };

function title(id: RuleId): string {
  return `${RULES_BY_ID[id].title} (${id})`;
}

/** The rule's own target in mg/day, where it has one for this band. */
function ownTarget(intent: DoseIntent, ctx: RuleContext, band: RenalBand): number | undefined {
  if (intent.kind === 'increase' || intent.kind === 'decrease') return intent.mgPerDay;
  if (intent.kind === 'renal-cap') return renalCap(ctx, band);
  return undefined;
}

function planBand(suggesting: Finding[], ctx: RuleContext, band: RenalBand): BandResult {
  const renal = ctx.facts.labs.renal.value;
  if (band === 'severe') return { none: `${renal ? renalName(renal) : 'CrCl'} may be below ${formatNumber(ctx.cfg.renal.severeBelow)} mL/min, where no dose is established` };
  const undecided = suggesting.find((f) => f.dose?.kind === 'undecided');
  if (undecided?.dose?.kind === 'undecided') return { none: undecided.dose.reason };
  const targets = suggesting.flatMap((f) => {
    const mg = f.dose && f.dose.kind !== 'renal-cap' ? ownTarget(f.dose, ctx, band) : undefined;
    return mg === undefined ? [] : [{ id: f.ruleId, mg }];
  });
  const cap = renalCap(ctx, band);
  const hepatic = suggesting.find((f) => f.dose?.kind === 'hepatic-reduction');
  const lowered: Lowering[] = [];
  const lowest = targets.reduce<{ id: RuleId; mg: number } | undefined>((a, t) => (!a || t.mg < a.mg ? t : a), undefined);
  let mg = lowest ? lowest.mg : (ctx.doseMg ?? 0);
  if (lowest) lowered.push({ by: lowest.id, text: `the target of ${lowest.id} (${formatMg(lowest.mg)})`, mg: lowest.mg });
  if (cap !== undefined && cap < mg) {
    mg = cap;
    lowered.push({ by: 'RENAL_DOSE_LIMIT', text: `the kidney-function cap of ${formatMg(cap)}`, mg: cap });
  }
  if (hepatic) {
    const reduced = hepaticReduction(ctx, mg);
    lowered.push({ by: hepatic.ruleId, text: `the ${formatNumber(Math.round((1 - ctx.cfg.hepatic.impairmentDoseFactor) * 100))}% reduction for severe hepatic impairment (${formatMg(mg)} → ${formatMg(reduced)})`, mg: reduced });
    mg = reduced;
  }
  return { mgPerDay: mg, lowered };
}

function sameResult(a: BandResult, b: BandResult): boolean {
  return 'mgPerDay' in a && 'mgPerDay' in b && a.mgPerDay === b.mgPerDay;
}

/** What lowered the target below a card's own, in words ("the kidney-function cap of 400 mg/day"). */
function becauseOf(lowered: readonly Lowering[], except: RuleId, own: number): string {
  return lowered
    .filter((l) => l.by !== except && l.mg < own)
    .map((l) => l.text)
    .join(' and ');
}

/** A note for a dose card that does not carry the change: where it is, and why it is lower than this card's. */
function elsewhereNote(f: Finding, plan: { holder: RuleId; target: DoseTarget }, lowered: readonly Lowering[], ctx: RuleContext, band: RenalBand): string {
  const own = f.dose ? ownTarget(f.dose, ctx, band) : undefined;
  const where = `The dose change of this request (${plan.target.label}) is offered on the card "${title(plan.holder)}"`;
  if (f.dose?.kind === 'hepatic-reduction') return `${where}; it includes this card's reduction.`;
  if (own !== undefined && own > plan.target.mgPerDay) {
    const because = becauseOf(lowered, f.ruleId, own);
    return `${where}: it is lower than this card's ${formatMg(own)} because of ${because || 'the other limits on that card'}.`;
  }
  return `${where}; it also respects this card's limit.`;
}

export function planDose(findings: Finding[], ctx: RuleContext): DosePlan {
  const plan: DosePlan = { notes: new Map(), cancelOn: [], cancelOrders: [] };
  const holds = findings.filter((f) => PRECEDENCE.withholdDoseChanges.byRules.includes(f.ruleId));
  if (holds.length > 0) {
    plan.cancelOn = holds.map((f) => f.ruleId);
    plan.cancelOrders = ctx.orders.filter((o) => o.resource.status === 'draft');
  }
  const suggesting = findings.filter((f) => f.dose !== undefined).sort((a, b) => RULE_IDS.indexOf(a.ruleId) - RULE_IDS.indexOf(b.ruleId));
  if (suggesting.length === 0) return plan;
  const withhold = (reason: string): DosePlan => {
    plan.withheld = reason;
    for (const f of suggesting) plan.notes.set(f.ruleId, `No dose change is suggested: ${reason}.`);
    return plan;
  };

  if (holds.length > 0) return withhold(`it is withheld while ${holds.map((f) => title(f.ruleId)).join(' and ')} ${holds.length === 1 ? 'fires' : 'fire'}`);
  const renal = ctx.facts.labs.renal.value;
  if (renalBelow(ctx, ctx.cfg.renal.severeBelow) === true && renal) {
    return withhold(`it is withheld because ${renalName(renal)} ${formatValue(renal.value, renal.comparator)} ${formatUnit(renal.unit)} is below ${formatNumber(ctx.cfg.renal.severeBelow)} mL/min, where no dose is established`);
  }

  // Missing kidney data does not block a decrease (as with no recent result); a comparator that spans bands does.
  const bands: RenalBand[] = renal && !ctx.gaps.has('renal') ? renalBands(ctx, renal) : ['none'];
  const results = bands.map((b) => planBand(suggesting, ctx, b));
  const first = results[0] as BandResult;
  if ('none' in first) return withhold(first.none);
  if (!results.every((r) => sameResult(r, first))) {
    const stated = renal ? `${renalName(renal)} ${formatValue(renal.value, renal.comparator)} ${formatUnit(renal.unit)}` : 'the kidney function';
    const options = results.map((r) => ('mgPerDay' in r ? formatMg(r.mgPerDay) : 'no dose')).join(' or ');
    return withhold(`${stated} allows different safe doses (${options}), so none is chosen`);
  }

  const increase = suggesting.some((f) => f.dose?.kind === 'increase');
  const ordered = ctx.doseMg ?? 0;
  const mg = first.mgPerDay;
  if (mg < ctx.cfg.hepatic.impairmentDoseStepMg) return withhold(`the reduced dose (${formatMg(mg)}) is below the smallest tablet`);
  if (increase ? !(mg > ordered) : !(mg < ordered)) {
    // A target that does not move the dose the rule's way is no suggestion.
    for (const f of suggesting) plan.notes.set(f.ruleId, `No dose change is suggested: the safe dose for this patient (${formatMg(mg)}) is not ${increase ? 'above' : 'below'} the ordered ${formatMg(ordered)}.`);
    plan.withheld = `the safe dose (${formatMg(mg)}) is not ${increase ? 'above' : 'below'} the ordered dose`;
    return plan;
  }

  const target = doseTarget(mg, ctx.cfg);
  const holder = [...suggesting].sort((a, b) => {
    const severity = { critical: 0, warning: 1, info: 2 } as const;
    return severity[a.indicator] - severity[b.indicator] || RULE_IDS.indexOf(a.ruleId) - RULE_IDS.indexOf(b.ruleId);
  })[0] as Finding;
  plan.target = target;
  plan.holder = holder.ruleId;
  const band = bands[0] as RenalBand;
  const own = holder.dose ? ownTarget(holder.dose, ctx, band) : undefined;
  if (own !== undefined && own !== mg) {
    plan.notes.set(holder.ruleId, `This card's target of ${formatMg(own)} is lowered to ${formatMg(mg)} by ${becauseOf(first.lowered, holder.ruleId, own)}.`);
  }
  for (const f of suggesting) if (f.ruleId !== holder.ruleId) plan.notes.set(f.ruleId, elsewhereNote(f, { holder: holder.ruleId, target }, first.lowered, ctx, band));
  return plan;
}
