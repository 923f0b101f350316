import crypto from 'node:crypto';
import * as echarts from 'echarts';
import { describeWeeks, sanitizeSvg, weeklyChartSvg } from '../../../src/governance/charts';
import { renderAlertReportPage } from '../../../src/governance/report-html';
import type { AlertReport, RuleFigures } from '../../../src/governance/types';

function figures(ruleId: string, extra: Partial<RuleFigures> = {}): RuleFigures {
  return {
    ruleId,
    title: ruleId,
    cards: 0,
    perHundredEvaluations: null,
    feedback: 0,
    accepted: 0,
    overridden: 0,
    overrideRate: { value: null, low: null, high: null },
    suggestionsAccepted: 0,
    overrideReasons: [],
    medianMinutesToFeedback: null,
    repeatAlerts: 0,
    lastFired: null,
    silent: false,
    ...extra,
  };
}

const WEEKS = ['2026-W01', '2026-W02', '2026-W03'];
const WARFARIN_WEEKS = [12, 1, 2];

function report(extra: Partial<AlertReport> = {}): AlertReport {
  const rules = [
    figures('WARFARIN', {
      title: 'Warfarin with imatinib',
      cards: 15,
      perHundredEvaluations: 7.5,
      feedback: 12,
      accepted: 5,
      overridden: 8,
      overrideRate: { value: 0.6154, low: 0.3553, high: 0.8228 },
      suggestionsAccepted: 5,
      overrideReasons: [
        { code: 'monitored', display: 'Will monitor INR', count: 5 },
        { code: 'uncoded', display: 'No reason given', count: 2 },
        { code: 'benefit', display: 'Benefit outweighs risk', count: 1 },
        { code: 'other', display: 'Other', count: 0 },
      ],
      medianMinutesToFeedback: 4.5,
      repeatAlerts: 3,
      lastFired: '2026-01-14T10:00:00.000Z',
    }),
    figures('PREGNANCY', { title: 'Imatinib in pregnancy', cards: 2, perHundredEvaluations: 1, feedback: 2, overridden: 2, overrideRate: { value: 1, low: 0.3424, high: 1 }, medianMinutesToFeedback: 1, lastFired: '2026-01-02T00:00:00.000Z', silent: true }),
    figures('CYP3A4_INDUCER', { title: 'Strong CYP3A4 inducer with imatinib', perHundredEvaluations: 0 }),
  ];
  const weekly = WEEKS.flatMap((week, i) => [
    { week, ruleId: 'WARFARIN', cards: WARFARIN_WEEKS[i] as number },
    { week, ruleId: 'PREGNANCY', cards: i === 0 ? 2 : 0 },
    { week, ruleId: 'CYP3A4_INDUCER', cards: 0 },
  ]);
  return { from: '2026-01-01', to: '2026-01-18', generatedAt: '2026-01-19T07:30:00.000Z', evaluations: 200, rules, weekly, settings: { silentDays: 14, suppressBelow: 5 }, ...extra };
}

const OPTS = { ruleIndicators: { WARFARIN: 'warning', PREGNANCY: 'critical', CYP3A4_INDUCER: 'warning' }, catalogueUrl: '/rules', serviceIds: ['imatinib-order-sign', 'imatinib-pharmacy-verify'] };

/** The <tr> of a rule in the summary table. */
function row(html: string, ruleId: string): string {
  const start = html.indexOf(`<a href="/rules#${ruleId}"`);
  if (start < 0) throw new Error(`no row for ${ruleId}`);
  return html.slice(html.lastIndexOf('<tr', start), html.indexOf('</tr>', start));
}
function cells(rowHtml: string): string[] {
  return [...rowHtml.matchAll(/<t[dh][^>]*>([\s\S]*?)<\/t[dh]>/g)].map((m) => (m[1] as string).replace(/<[^>]+>/g, '').trim());
}
function svgs(html: string): string[] {
  return html.match(/<svg[\s\S]*?<\/svg>/g) ?? [];
}

describe('renderAlertReportPage', () => {
  const page = renderAlertReportPage(report(), OPTS);

  it('opens with the period, the service and the evaluations', () => {
    expect(page.html).toContain('2026-01-01 – 2026-01-18');
    expect(page.html).toContain('18 days, UTC');
    expect(page.html).toContain('<strong>all services</strong>service');
    expect(page.html).toContain('<strong>200</strong>evaluations');
    expect(page.html).toContain('<strong>17</strong>cards issued');
    expect(page.html).toContain('How to read this report');
    expect(page.html).toMatch(/Wilson score/);
  });

  it('has one summary row per rule with its link, badge and figures', () => {
    expect(cells(row(page.html, 'WARFARIN'))).toEqual([
      'WARFARIN warningWarfarin with imatinib',
      '15',
      '7.5',
      '80% (12)',
      '5',
      '8',
      '62% (36–82%)',
      '5',
      // Top three reasons only; 2 and 1 are shown as <5.
      'Will monitor INR 5No reason given &lt;5Benefit outweighs risk &lt;5and 1 other reason',
      '4.5',
      '&lt;5',
      '2026-01-14',
    ]);
    expect(page.html).toContain('<span class="badge critical">critical</span>');
  });

  it('shows 1 … N−1 as <N, 0 as 0, and no rate built on a suppressed count', () => {
    const c = cells(row(page.html, 'PREGNANCY'));
    expect(c.slice(1, 8)).toEqual(['&lt;5', '—†', '—†', '0', '&lt;5', '—†', '0']);
    expect(c[9]).toBe('—†');
    expect(cells(row(page.html, 'CYP3A4_INDUCER')).slice(1, 8)).toEqual(['0', '0.0', '—', '0', '0', '—', '0']);
  });

  it('flags a silent rule', () => {
    expect(row(page.html, 'PREGNANCY')).toContain('<span class="badge flag">silent 14+ days</span>');
    expect(row(page.html, 'WARFARIN')).not.toContain('silent');
  });

  it('shows every count exactly with suppressBelow 1', () => {
    const exact = renderAlertReportPage(report({ settings: { silentDays: 14, suppressBelow: 1 } }), OPTS).html;
    expect(cells(row(exact, 'PREGNANCY')).slice(1, 8)).toEqual(['2', '1.0', '100% (2)', '0', '2', '100% (34–100%)', '0']);
    expect(exact).not.toContain('&lt;1');
  });

  it('suppresses small evaluations counts too', () => {
    const small = renderAlertReportPage(report({ evaluations: 3 }), OPTS).html;
    expect(small).toContain('<strong>&lt;5</strong>evaluations');
    expect(small).toContain('· &lt;5 evaluations</p>');
  });

  it('links other periods and services as plain query strings, and none when navigation is off', () => {
    expect(page.html).toContain('<a href="?from=2025-12-21&amp;to=2026-01-19">Last 30 days</a>');
    expect(page.html).toContain('<a href="?from=2025-01-20&amp;to=2026-01-19">Last 365 days</a>');
    expect(page.html).toContain('<strong aria-current="page">All services</strong>');
    expect(page.html).toContain('<a href="?from=2026-01-01&amp;to=2026-01-18&amp;service=imatinib-order-sign">imatinib-order-sign</a>');
    const service = renderAlertReportPage(report({ service: 'imatinib-order-sign' }), OPTS).html;
    expect(service).toContain('<a href="?from=2025-12-21&amp;to=2026-01-19&amp;service=imatinib-order-sign">Last 30 days</a>');
    expect(renderAlertReportPage(report(), { ...OPTS, navigation: false }).html).not.toContain('?from=');
    expect(page.html).not.toContain('<form');
  });

  it('draws a weekly chart for each rule that fired, and lists the others', () => {
    expect(svgs(page.html)).toHaveLength(2);
    expect(page.html).toContain('id="weekly-WARFARIN"');
    expect(page.html).toContain('id="weekly-PREGNANCY"');
    expect(page.html).not.toContain('id="weekly-CYP3A4_INDUCER"');
    expect(page.html).toMatch(/No cards in the period:<\/strong> <code>CYP3A4_INDUCER<\/code>/);
  });

  it('escapes everything that comes from data', () => {
    const hostile = report();
    hostile.rules[0] = { ...(hostile.rules[0] as RuleFigures), title: '<script>alert(1)</script>', overrideReasons: [{ code: 'x"><img src=x onerror=alert(1)>', display: '<b onmouseover=alert(1)>', count: 9 }] };
    const html = renderAlertReportPage(hostile, { ...OPTS, ruleIndicators: { WARFARIN: '"><script>' } }).html;
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<img/i);
    expect(html).not.toMatch(/<b /);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('<span class="badge">&quot;&gt;&lt;script&gt;</span>');
  });

  it('is allowed by its own Content-Security-Policy: one hashed <style>, no style attributes, scripts or handlers', () => {
    const styles = page.html.match(/<style>([\s\S]*?)<\/style>/g) ?? [];
    expect(styles).toHaveLength(1);
    const css = (styles[0] as string).slice('<style>'.length, -'</style>'.length);
    const hash = crypto.createHash('sha256').update(css, 'utf8').digest('base64');
    expect(page.contentSecurityPolicy).toContain(`style-src 'sha256-${hash}'`);
    expect(page.html.match(/<style/g)).toHaveLength(1);
    expect(page.html).not.toMatch(/\sstyle\s*=/i);
    expect(page.html).not.toMatch(/<script/i);
    expect(page.html).not.toMatch(/\son[a-z]+\s*=/i);
    expect(page.html).not.toMatch(/javascript:/i);
  });
});

describe('weekly charts (ECharts SSR SVG)', () => {
  const weeks = WEEKS.map((week, i) => ({ week, cards: WARFARIN_WEEKS[i] as number }));
  const svg = weeklyChartSvg({ label: 'Cards per week for WARFARIN', weeks, suppressBelow: 5, idPrefix: 'c0-' });

  it('is an accessible image: role, aria-label and <title> describing the series (suppressed)', () => {
    expect(svg.startsWith('<svg role="img" aria-label="Cards per week for WARFARIN: 3 weeks from 2026-W01 to 2026-W03: 15 cards in 3 weeks; the most in 2026-W01 (12)."')).toBe(true);
    expect(svg).toContain('<title>Cards per week for WARFARIN: 3 weeks from 2026-W01 to 2026-W03: 15 cards in 3 weeks; the most in 2026-W01 (12).</title>');
  });

  it('has no style attribute or element, no script, no link, no event handler, no external reference', () => {
    expect(svg).not.toMatch(/style\s*=/i);
    expect(svg).not.toMatch(/<style/i);
    expect(svg).not.toMatch(/<script/i);
    expect(svg).not.toMatch(/href\s*=/i);
    expect(svg).not.toMatch(/\son[a-z]+\s*=/i);
    expect(svg).not.toMatch(/url\((?!#)/i);
    expect(svg).not.toMatch(/class=|ecmeta/);
  });

  it('keeps the look as presentation attributes', () => {
    expect(svg).toMatch(/<text[^>]*font-size="11px"/);
    expect(svg).toMatch(/<path[^>]*fill="#2f6fb0"/);
  });

  it('labels exact weeks with their count and a small week only as <5, drawn grey', () => {
    const texts = [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
    expect(texts).toContain('12');
    expect(texts).toContain('&lt;5');
    expect(texts.filter((t) => t === '&lt;5')).toHaveLength(2);
    expect(texts).not.toContain('1');
    expect(texts).not.toContain('2');
    expect(svg).toMatch(/fill="#b9c2cf"/);
  });

  it('gives the same SVG every time, and disposes every ECharts instance', () => {
    const init = jest.spyOn(echarts, 'init');
    const again = weeklyChartSvg({ label: 'Cards per week for WARFARIN', weeks, suppressBelow: 5, idPrefix: 'c0-' });
    expect(again).toBe(svg);
    expect(init).toHaveBeenCalledTimes(1);
    const instance = init.mock.results[0]?.value as echarts.ECharts;
    expect(instance.isDisposed()).toBe(true);
    init.mockRestore();
  });

  it('describes a series without cards and one with only small weeks', () => {
    expect(describeWeeks([{ week: '2026-W01', cards: 0 }], 5)).toBe('1 week from 2026-W01 to 2026-W01: no cards.');
    expect(describeWeeks([{ week: '2026-W01', cards: 2 }, { week: '2026-W02', cards: 1 }], 5)).toBe('2 weeks from 2026-W01 to 2026-W02: <5 cards in 2 weeks; every week had fewer than 5.');
  });
});

describe('sanitizeSvg', () => {
  const clean = (svg: string) => sanitizeSvg(svg, { idPrefix: 'p-', label: 'L' });

  it('drops scripts, styles, foreign content and links with their content', () => {
    const out = clean(
      '<svg width="10"><script>alert(1)</script><style>.a{fill:red}</style><foreignObject><div>x</div></foreignObject><a href="https://evil"><text>t</text></a><image href="https://evil/x.png"/><text>kept</text></svg>',
    );
    expect(out).toBe('<svg role="img" aria-label="L" width="10"><title>L</title><text>kept</text></svg>');
  });

  it('turns a style attribute into presentation attributes, dropping what is not presentation', () => {
    expect(clean('<svg><text fill="#000" style="font-size:12px; fill: #333; position:fixed; behavior:url(x.htc)">a</text></svg>')).toBe(
      '<svg role="img" aria-label="L"><title>L</title><text fill="#333" font-size="12px">a</text></svg>',
    );
  });

  it('removes event handlers, hrefs, classes and unknown attributes; keeps local references, prefixed', () => {
    const out = clean('<svg onload="alert(1)"><defs><clipPath id="c1"><rect width="5" height="5"/></clipPath></defs><path d="M0 0" clip-path="url(#c1)" onclick="x()" class="k" xlink:href="#a" fill="url(https://evil/#x)"/></svg>');
    expect(out).toBe('<svg role="img" aria-label="L"><title>L</title><defs><clipPath id="p-c1"><rect width="5" height="5"/></clipPath></defs><path d="M0 0" clip-path="url(#p-c1)"/></svg>');
  });

  it('re-escapes text and attribute values', () => {
    expect(clean('<svg><text font-family="&quot;A&quot;, sans">&lt;5 &amp; more</text></svg>')).toBe('<svg role="img" aria-label="L"><title>L</title><text font-family="&quot;A&quot;, sans">&lt;5 &amp; more</text></svg>');
  });

  it('ignores a stray closing tag and comments', () => {
    expect(clean('<svg></style><!-- <script> --><g></g></svg>')).toBe('<svg role="img" aria-label="L"><title>L</title><g></g></svg>');
  });
});
