/**
 * The weekly firing chart of a rule: a bar chart rendered on the server with Apache ECharts' SSR SVG renderer,
 * so the page needs no JavaScript. ECharts writes inline `style="…"` attributes and a `<style>` element (hover
 * effects); the report page's Content-Security-Policy allows only its own hashed stylesheet, so both would be
 * violations. The SVG is therefore rebuilt through an allow-list (sanitizeSvg): known SVG elements and
 * presentation attributes only, `style` turned into presentation attributes, everything else (scripts,
 * <style>, links, event handlers, classes, ECharts metadata) dropped.
 *
 * Small counts: a week whose count is between 1 and suppressBelow − 1 is drawn as a grey bar up to
 * suppressBelow − 1 labelled "<N" (the chart shows that the rule fired, never how often); other weeks are
 * exact. The exact series is in the JSON report.
 */
import type * as Echarts from 'echarts';

/**
 * Apache ECharts is loaded on the first chart, not at start-up: it is about 10 MB of heap (20 MB of RSS) that
 * a service process answering CDS calls never needs, and only the admin report draws charts.
 */
let loaded: typeof Echarts | undefined;
function echarts(): typeof Echarts {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  loaded ??= require('echarts') as typeof Echarts;
  return loaded;
}
import { isSuppressed, shownCount } from './analytics';
import { escapeHtml } from './page';

export interface WeeklyChartInput {
  /** Names the chart for screen readers: "Cards per week of WARFARIN (Warfarin interaction)". */
  label: string;
  weeks: ReadonlyArray<{ week: string; cards: number }>;
  /** Counts from 1 to suppressBelow − 1 are not shown exactly (1 shows every count). */
  suppressBelow: number;
  /** Keeps the ids of several charts on one page apart. */
  idPrefix: string;
  width?: number;
  height?: number;
}

export const BAR_COLOUR = '#2f6fb0';
export const SUPPRESSED_COLOUR = '#b9c2cf';
const AXIS_COLOUR = '#5b6678';
const FONT = 'system-ui, -apple-system, Segoe UI, Roboto, sans-serif';
/** Above this many weeks the bars are too narrow for value labels; the axis carries the scale. */
const MAX_LABELLED_WEEKS = 27;

/** One sentence for screen readers, suppressed like the rest of the page. */
export function describeWeeks(weeks: WeeklyChartInput['weeks'], suppressBelow: number): string {
  if (weeks.length === 0) return 'no weeks';
  const total = weeks.reduce((sum, w) => sum + w.cards, 0);
  const span = `${weeks.length} week${weeks.length === 1 ? '' : 's'} from ${weeks[0]?.week} to ${weeks.at(-1)?.week}`;
  if (total === 0) return `${span}: no cards.`;
  const firing = weeks.filter((w) => w.cards > 0).length;
  const peak = weeks.reduce((best, w) => (w.cards > best.cards ? w : best));
  const peakText = isSuppressed(peak.cards, suppressBelow) ? `every week had fewer than ${suppressBelow}` : `the most in ${peak.week} (${peak.cards})`;
  return `${span}: ${shownCount(total, suppressBelow)} cards in ${firing} week${firing === 1 ? '' : 's'}; ${peakText}.`;
}

function chartOption(input: WeeklyChartInput): Echarts.EChartsCoreOption {
  const { weeks, suppressBelow } = input;
  const labelled = weeks.length <= MAX_LABELLED_WEEKS;
  // '-' is ECharts' "no value": nothing is drawn for the week in that series.
  const exact = weeks.map((w) => (w.cards > 0 && !isSuppressed(w.cards, suppressBelow) ? w.cards : '-'));
  const band = weeks.map((w) => (isSuppressed(w.cards, suppressBelow) ? suppressBelow - 1 : '-'));
  const max = Math.max(...weeks.map((w) => (isSuppressed(w.cards, suppressBelow) ? suppressBelow - 1 : w.cards)), 1);
  return {
    animation: false,
    textStyle: { fontFamily: FONT },
    grid: { left: 40, right: 14, top: 18, bottom: 34 },
    xAxis: {
      type: 'category',
      data: weeks.map((w) => w.week),
      axisTick: { alignWithLabel: true },
      axisLine: { lineStyle: { color: AXIS_COLOUR } },
      axisLabel: { color: AXIS_COLOUR, fontSize: 11, hideOverlap: true },
    },
    yAxis: {
      type: 'value',
      minInterval: 1,
      min: 0,
      max: max < 4 ? 4 : undefined,
      splitNumber: 4,
      axisLabel: { color: AXIS_COLOUR, fontSize: 11 },
      splitLine: { lineStyle: { color: '#e3e7ee' } },
    },
    series: [
      {
        type: 'bar',
        name: 'cards',
        data: exact,
        barMaxWidth: 28,
        itemStyle: { color: BAR_COLOUR },
        label: { show: labelled, position: 'top', fontSize: 11, color: '#1d2430', formatter: (p: { value: unknown }) => String(p.value) },
      },
      {
        // Drawn in the same slot as the exact bar (barGap −100%): a week is either exact or suppressed.
        type: 'bar',
        name: `fewer than ${suppressBelow}`,
        data: band,
        barGap: '-100%',
        barMaxWidth: 28,
        itemStyle: { color: SUPPRESSED_COLOUR },
        label: { show: labelled, position: 'top', fontSize: 11, color: AXIS_COLOUR, formatter: () => `<${suppressBelow}` },
      },
    ],
  };
}

/** The chart as a self-contained, CSP-clean SVG element with role="img", an aria-label and a <title>. */
export function weeklyChartSvg(input: WeeklyChartInput): string {
  const width = input.width ?? 600;
  const height = input.height ?? 190;
  const chart = echarts().init(null, null, { renderer: 'svg', ssr: true, width, height });
  let raw: string;
  try {
    chart.setOption(chartOption(input));
    raw = chart.renderToSVGString();
  } finally {
    // An undisposed SSR instance keeps timers alive and the process from exiting.
    chart.dispose();
  }
  const description = `${input.label}: ${describeWeeks(input.weeks, input.suppressBelow)}`;
  return sanitizeSvg(raw, { idPrefix: input.idPrefix, label: description });
}

// ---- SVG allow-list -------------------------------------------------------------------------------------

const ELEMENTS = new Set(['svg', 'g', 'path', 'rect', 'circle', 'ellipse', 'line', 'polyline', 'polygon', 'text', 'tspan', 'defs', 'clipPath', 'linearGradient', 'radialGradient', 'stop', 'title', 'desc']);

/** Presentation attributes: also the CSS properties a style attribute may turn into. */
const PRESENTATION = new Set([
  'fill', 'fill-opacity', 'fill-rule', 'stroke', 'stroke-width', 'stroke-opacity', 'stroke-linecap', 'stroke-linejoin', 'stroke-miterlimit',
  'stroke-dasharray', 'stroke-dashoffset', 'opacity', 'paint-order', 'font-size', 'font-family', 'font-weight', 'font-style', 'text-anchor',
  'dominant-baseline', 'clip-path', 'stop-color', 'stop-opacity', 'visibility',
]);

const GEOMETRY = new Set([
  'd', 'x', 'y', 'x1', 'y1', 'x2', 'y2', 'dx', 'dy', 'cx', 'cy', 'r', 'rx', 'ry', 'width', 'height', 'viewBox', 'points', 'transform',
  'offset', 'gradientUnits', 'gradientTransform', 'clipPathUnits', 'id', 'xmlns', 'version',
]);

const ENTITY = /&(#x[0-9a-f]+|#\d+|amp|lt|gt|quot|apos);/gi;
const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decodeEntities(text: string): string {
  return text.replace(ENTITY, (_m, e: string) => {
    const lower = e.toLowerCase();
    if (lower.startsWith('#x')) return String.fromCodePoint(parseInt(lower.slice(2), 16));
    if (lower.startsWith('#')) return String.fromCodePoint(parseInt(lower.slice(1), 10));
    return NAMED[lower] ?? '';
  });
}

/** Only references to the chart's own definitions (url(#id)) survive; anything else that points out is dropped. */
function safeValue(name: string, value: string, idPrefix: string): string | undefined {
  if (/[<>]|javascript:|expression\s*\(|@import/i.test(value)) return undefined;
  if (/url\s*\(/i.test(value)) {
    const local = /^url\(\s*#([\w.-]+)\s*\)$/.exec(value.trim());
    return local ? `url(#${idPrefix}${local[1]})` : undefined;
  }
  if (name === 'id') return /^[\w.-]+$/.test(value) ? `${idPrefix}${value}` : undefined;
  return value;
}

function styleDeclarations(style: string): Array<[string, string]> {
  return style
    .split(';')
    .map((d) => d.split(':'))
    .filter((parts) => parts.length >= 2)
    .map((parts) => [(parts[0] as string).trim().toLowerCase(), parts.slice(1).join(':').trim()] as [string, string])
    .filter(([prop, value]) => prop !== '' && value !== '');
}

const ATTRIBUTE = /([^\s="'<>/]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'))?/g;

function rebuildTag(name: string, attributeText: string, selfClosing: boolean, idPrefix: string): string {
  const attributes = new Map<string, string>();
  let style: string | undefined;
  for (const m of attributeText.matchAll(ATTRIBUTE)) {
    const attr = m[1] as string;
    const value = decodeEntities(m[2] ?? m[3] ?? '');
    if (attr.toLowerCase() === 'style') style = value;
    else if (PRESENTATION.has(attr) || GEOMETRY.has(attr)) attributes.set(attr, value);
  }
  // CSS in a style attribute wins over presentation attributes, so it replaces them.
  for (const [prop, value] of styleDeclarations(style ?? '')) if (PRESENTATION.has(prop)) attributes.set(prop, value);
  const parts = [name];
  for (const [attr, value] of attributes) {
    const safe = safeValue(attr, value, idPrefix);
    if (safe !== undefined) parts.push(`${attr}="${escapeHtml(safe)}"`);
  }
  return `<${parts.join(' ')}${selfClosing ? '/' : ''}>`;
}

const TOKEN = /<!\[CDATA\[[\s\S]*?\]\]>|<!--[\s\S]*?-->|<\?[\s\S]*?\?>|<!DOCTYPE[^>]*>|<(\/?)([A-Za-z][\w:.-]*)((?:[^>"']|"[^"]*"|'[^']*')*?)(\/?)>|[^<]+|</g;

/**
 * The SVG rebuilt from allowed elements and attributes only, with role="img", an aria-label and a <title>
 * on the root. Elements outside the allow-list are dropped with their content.
 */
export function sanitizeSvg(svg: string, opts: { idPrefix: string; label: string }): string {
  const out: string[] = [];
  let dropDepth = 0;
  let rootSeen = false;
  for (const m of svg.matchAll(TOKEN)) {
    const token = m[0];
    const name = m[2];
    if (name === undefined) {
      // Text, or markup that is never kept (comments, CDATA, processing instructions, a stray "<").
      if (dropDepth === 0 && !token.startsWith('<')) out.push(escapeHtml(decodeEntities(token)));
      continue;
    }
    const closing = m[1] === '/';
    const selfClosing = m[4] === '/';
    if (dropDepth > 0 || !ELEMENTS.has(name)) {
      // Inside a dropped element every tag only moves the depth; a stray closing tag outside one is ignored.
      if (selfClosing) continue;
      if (!closing) dropDepth++;
      else if (dropDepth > 0) dropDepth--;
      continue;
    }
    if (closing) {
      out.push(`</${name}>`);
      continue;
    }
    let tag = rebuildTag(name, m[3] ?? '', selfClosing, opts.idPrefix);
    if (name === 'svg' && !rootSeen) {
      rootSeen = true;
      tag = tag.replace(/^<svg/, `<svg role="img" aria-label="${escapeHtml(opts.label)}"`);
      out.push(tag, `<title>${escapeHtml(opts.label)}</title>`);
      continue;
    }
    out.push(tag);
  }
  // Line breaks between elements carry nothing; dropping them keeps the page compact.
  return out.join('').replace(/>\s+</g, '><');
}
