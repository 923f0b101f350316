import crypto from 'node:crypto';
import { clinicalSchema, type ClinicalConfig } from '../../../src/config';
import { RULES } from '../../../src/clinical/rules/catalogue';
import { renderRuleCataloguePage, markdownToHtml } from '../../../src/governance/catalogue-html';
import { buildRuleCatalogue, catalogueJson, thresholdValue, type RuleCatalogue } from '../../../src/governance/catalogue';
import { assertNoEmptyValues } from '../../helpers/assert-cds';
import { CFG } from '../../helpers/facts-factory';

const CHANGED: ClinicalConfig = clinicalSchema.parse({
  ...structuredClone(CFG),
  maxDoseMg: 900,
  hematologic: { ...CFG.hematologic, ancHoldBelow: 1.2, ancResumeAtLeast: 1.8 },
  hepatic: { ...CFG.hepatic, reducedDoseAfterHold: [{ fromMg: 400, toMg: 200 }] },
  renal: { ...CFG.renal, mildBelow: 50 },
});

function ruleOf(catalogue: RuleCatalogue, id: string) {
  const rule = catalogue.rules.find((r) => r.id === id);
  if (!rule) throw new Error(`no ${id} in the catalogue`);
  return rule;
}

/** The HTML of one <section id="…"> … </section>. */
function section(html: string, id: string): string {
  const start = html.indexOf(`<section class="rule" id="${id}">`);
  expect(start).toBeGreaterThanOrEqual(0);
  return html.slice(start, html.indexOf('</section>', start));
}

describe('rule catalogue data (GET /rules.json)', () => {
  const catalogue = buildRuleCatalogue(CFG);

  it('lists every rule, in order, with its configured threshold values', () => {
    expect(catalogue.rules.map((r) => r.id)).toEqual(RULES.map((r) => r.id));
    for (const rule of RULES) {
      const entry = ruleOf(catalogue, rule.id);
      expect(entry).toEqual(
        expect.objectContaining({ title: rule.title, indicator: rule.indicator, trigger: rule.trigger(CFG), summary: rule.catalogueSummary(CFG), suggestion: rule.suggestion(CFG), needsDose: rule.needsDose }),
      );
      expect(entry.thresholds ?? []).toEqual(rule.thresholds.map((t) => ({ key: `clinical.${t.key}`, value: thresholdValue(CFG, t.key), meaning: t.meaning })));
      expect(entry.evidence).toEqual(rule.evidence);
      expect(entry.example).toEqual(expect.objectContaining({ card: expect.objectContaining({ indicator: rule.indicator }) }));
    }
  });

  it('shows the values configured now, not the defaults', () => {
    const changed = catalogueJson(buildRuleCatalogue(CHANGED));
    expect(ruleOf(changed, 'DOSE_ABOVE_MAX').thresholds).toContainEqual(expect.objectContaining({ key: 'clinical.maxDoseMg', value: 900 }));
    expect(ruleOf(changed, 'DOSE_ABOVE_MAX').summary).toMatch(/exceeds 900 mg\/day/);
    expect(ruleOf(changed, 'HEMATOLOGIC_HOLD').thresholds).toContainEqual(expect.objectContaining({ key: 'clinical.hematologic.ancHoldBelow', value: 1.2 }));
    expect(ruleOf(changed, 'HEPATOTOXICITY_HOLD').settings).toEqual([expect.objectContaining({ key: 'clinical.hepatic.reducedDoseAfterHold', value: '400 → 200 mg/day' })]);
    expect(ruleOf(changed, 'RENAL_DOSE_LIMIT').precedence).toContainEqual(expect.stringMatching(/^Below 50 mL\/min/));
    expect(changed.precedence.join('\n')).toMatch(/below 50 mL\/min/);
    expect(ruleOf(catalogue, 'HEPATOTOXICITY_HOLD').settings).toEqual([expect.objectContaining({ value: '400 → 300, 600 → 400, 800 → 600 mg/day' })]);
  });

  it('states each rule’s part in precedence, read from the precedence table', () => {
    expect(ruleOf(catalogue, 'DOSE_ABOVE_MAX').precedence).toEqual([expect.stringMatching(/^Replaces HIGH_DOSE_WITHOUT_INDICATION/)]);
    expect(ruleOf(catalogue, 'HIGH_DOSE_WITHOUT_INDICATION').precedence).toEqual([expect.stringMatching(/^Replaced by DOSE_ABOVE_MAX/)]);
    expect(ruleOf(catalogue, 'EXON9_HIGH_DOSE').precedence).toEqual([expect.stringMatching(/^Silenced by PDGFRA_D842V_RESISTANT or WT_SDH_NF1_LOW_BENEFIT/), expect.stringMatching(/dose increase is withheld/)]);
    expect(ruleOf(catalogue, 'PREGNANCY').precedence).toContainEqual(expect.stringMatching(/Cancel this imatinib order/));
    expect(ruleOf(catalogue, 'HEPATIC_IMPAIRMENT').precedence).toContainEqual(expect.stringMatching(/75% of what the other rules leave/));
    // No relation, no empty list.
    expect(ruleOf(catalogue, 'WARFARIN')).not.toHaveProperty('precedence');
    expect(ruleOf(catalogue, 'WARFARIN')).not.toHaveProperty('thresholds');
  });

  it('has the two cards that are not rules, with their example cards', () => {
    expect(catalogue.specialCards.map((c) => [c.id, c.title])).toEqual([
      ['VERIFICATION_SUMMARY', 'Pharmacy verification summary'],
      ['DATA_INCOMPLETE', 'Some safety checks could not be run'],
    ]);
    for (const c of catalogue.specialCards) expect(c.example).toEqual(expect.objectContaining({ card: expect.objectContaining({ source: expect.objectContaining({ topic: expect.objectContaining({ code: c.id }) }) }) }));
  });

  it('is JSON-clean: no undefined, null or empty values, and survives a JSON round trip', () => {
    const json = catalogueJson(catalogue);
    assertNoEmptyValues(json, []);
    expect(JSON.parse(JSON.stringify(json))).toEqual(json);
    expect(json.codeSystem).toBe('https://imatinib-cds.example.org/CodeSystem/rule');
    expect(json.overrideReasons.map((r) => r.code)).toContain('already-addressed');
  });

  it('is built once per configuration and frozen, since every request shares it', () => {
    expect(buildRuleCatalogue(CFG)).toBe(catalogue);
    expect(buildRuleCatalogue(CHANGED)).not.toBe(catalogue);
    expect(Object.isFrozen(catalogue.rules[0]?.example)).toBe(true);
    expect(() => {
      (catalogue.rules as unknown as unknown[]).push({});
    }).toThrow(TypeError);
  });
});

describe('rule catalogue page (GET /rules)', () => {
  const catalogue = buildRuleCatalogue(CFG);
  const page = renderRuleCataloguePage(catalogue);
  const { html } = page;

  it('has one section per rule and per service card, the anchor of every card’s source.url', () => {
    for (const id of [...RULES.map((r) => r.id), 'VERIFICATION_SUMMARY', 'DATA_INCOMPLETE']) {
      expect(html.split(`id="${id}"`)).toHaveLength(2);
      expect(html).toContain(`<a href="#${id}"><code>${id}</code></a>`);
      expect(section(html, id)).toMatch(new RegExp(`<h2><a href="#${id}">${id}</a>: `));
      expect(section(html, id)).toContain('<details class="card-json"><summary>Card JSON</summary><pre>');
    }
    const ids = [...html.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('shows each rule’s trigger, thresholds with key and configured value, evidence and example card', () => {
    const s = section(html, 'HEMATOLOGIC_HOLD');
    expect(s).toContain('<span class="badge critical">critical</span>');
    expect(s).toContain('<td><code>clinical.hematologic.ancHoldBelow</code></td><td class="num">1</td>');
    expect(s).toContain('Latest ANC (look-back 30 days) below 1 ×10⁹/L');
    expect(s).toContain('<span class="cds-suggestion">Cancel this imatinib order</span>');
    expect(s).toContain('<p><strong>Why this alert</strong></p>\n<ul><li>ANC 0.8 ×10⁹/L (below 1) on 2026-01-14</li><li>Platelets 210 ×10⁹/L on 2026-01-14</li></ul>');
    expect(section(html, 'HEPATOTOXICITY_HOLD')).toContain('<td><code>clinical.hepatic.reducedDoseAfterHold</code></td><td class="num">400 → 300, 600 → 400, 800 → 600 mg/day</td>');
    expect(section(html, 'WARFARIN')).toContain('<h3>Thresholds</h3>\n<p class="muted">None.</p>');
  });

  it('shows the configured values of a changed configuration', () => {
    const changed = renderRuleCataloguePage(buildRuleCatalogue(CHANGED)).html;
    expect(section(changed, 'DOSE_ABOVE_MAX')).toContain('<td><code>clinical.maxDoseMg</code></td><td class="num">900</td>');
    expect(section(changed, 'DOSE_ABOVE_MAX')).toContain('Imatinib dose exceeds 900 mg/day');
    expect(section(changed, 'HEMATOLOGIC_HOLD')).toContain('<td><code>clinical.hematologic.ancHoldBelow</code></td><td class="num">1.2</td>');
  });

  it('runs no script, uses no style attributes or event handlers, and loads nothing from outside', () => {
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/\sstyle\s*=/i);
    expect(html).not.toMatch(/\son[a-z]+\s*=/i);
    expect(html).not.toMatch(/<(img|iframe|link|object|embed|form)\b/i);
    const css = /<style>([\s\S]*?)<\/style>/.exec(html)?.[1] ?? '';
    const hash = crypto.createHash('sha256').update(css, 'utf8').digest('base64');
    expect(page.contentSecurityPolicy).toBe(`default-src 'none'; style-src 'sha256-${hash}'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`);
  });

  it('links only to its own anchors, its JSON, and https evidence opened without opener or referrer', () => {
    const anchors = [...html.matchAll(/<a ([^>]*)>/g)].map((m) => m[1] ?? '');
    expect(anchors.length).toBeGreaterThan(50);
    for (const attrs of anchors) {
      const href = /href="([^"]*)"/.exec(attrs)?.[1] ?? '';
      if (href.startsWith('#') || href === 'rules.json') continue;
      expect(href).toMatch(/^https:\/\//);
      expect(attrs).toContain('target="_blank" rel="noopener noreferrer"');
    }
    for (const rule of catalogue.rules) for (const e of rule.evidence) expect(section(html, rule.id)).toContain(`href="${e.url.replace(/&/g, '&amp;')}"`);
  });

  it('adds the analytics hint only when asked', () => {
    expect(html).not.toMatch(/governance report/);
    expect(renderRuleCataloguePage(catalogue, { analyticsHint: true }).html).toMatch(/recorded per rule ID/);
  });
});

describe('escaping on the catalogue page', () => {
  // Nothing in the configuration reaches the page as text, so the test crafts a hostile catalogue.
  const base = buildRuleCatalogue(CFG);
  const [first] = base.rules;
  if (!first || !('card' in first.example)) throw new Error('the first rule has no example card');
  const evil = '<script>alert(1)</script>';
  const crafted: RuleCatalogue = {
    ...base,
    precedence: [`${evil} \`<b>\``],
    rules: [
      {
        ...first,
        title: `${evil} & "quoted"`,
        trigger: '<img src=x onerror=alert(1)>',
        thresholds: [{ key: 'clinical.highDoseMg', value: 800, meaning: '"><script>x</script>' }],
        evidence: [{ label: 'bad link', url: 'javascript:alert(1)', citation: '<i>c</i>' }, { label: 'quote', url: 'https://example.org/"onmouseover="x', citation: 'q' }],
        example: {
          scenario: '<b>scenario</b>',
          card: { ...first.example.card, summary: `${evil}`, detail: '**Why** <img src=x onerror=alert(1)>\n- a \\*literal\\* star and `<code>`\n\n<script>x</script>', links: [{ label: '<l>', url: 'javascript:x', type: 'absolute' }] },
        },
      },
    ],
  };
  const { html } = renderRuleCataloguePage(crafted);

  it('escapes every text, including the card detail and JSON', () => {
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<img/i);
    expect(html).not.toMatch(/<(b|i|l)>/);
    expect(html).not.toMatch(/\son[a-z]+\s*=\s*"/i);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quoted&quot;');
    expect(html).toContain('<code>&lt;b&gt;</code>');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
  });

  it('never makes a link of a URL that is not absolute https, nor lets one break out of its attribute', () => {
    expect(html).not.toMatch(/href="javascript:/i);
    expect(html).not.toMatch(/href="https:\/\/example\.org/);
    expect(html).toContain('bad link');
  });

  it('renders the card Markdown it knows (paragraphs, lists, bold, code, escapes) and nothing else', () => {
    expect(markdownToHtml('**Why this alert**\n- ANC 0.8 on 2026-01-14\n- b\n\n**What to do**\n\nHold \\*now\\* and `check`.\nNext line')).toBe(
      '<p><strong>Why this alert</strong></p>\n<ul><li>ANC 0.8 on 2026-01-14</li><li>b</li></ul>\n<p><strong>What to do</strong></p>\n<p>Hold *now* and <code>check</code>.<br>Next line</p>',
    );
    expect(markdownToHtml('Text:\n- one\nafter')).toBe('<p>Text:</p>\n<ul><li>one</li></ul>\n<p>after</p>');
    expect(markdownToHtml('**unclosed <b>')).toBe('<p><strong>unclosed &lt;b&gt;</strong></p>');
    expect(markdownToHtml('\\<script>')).toBe('<p>&lt;script&gt;</p>');
  });
});
