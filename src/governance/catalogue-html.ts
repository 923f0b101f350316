/**
 * The public rule catalogue page (GET /rules): an overview, the precedence table, partial data, then one section
 * per rule whose id is the rule id — the anchor every card's source.url points to (/rules#EXON9_HIGH_DOSE) —
 * and one each for VERIFICATION_SUMMARY and DATA_INCOMPLETE. Static HTML in the shared page frame: no
 * JavaScript, no style attributes (the CSP allows only the hashed stylesheet), every text through escapeHtml.
 * Example cards are shown as a CDS client would render them, their Markdown detail converted by a small
 * renderer that knows the few constructs the cards use and escapes everything else.
 */
import type { Card } from '../protocol/cards';
import type { CardExample } from './examples';
import type { CatalogueRule, CatalogueServiceCard, RuleCatalogue } from './catalogue';
import { escapeHtml, renderPage, type Page } from './page';

const CSS = `
.intro { max-width: 900px; }
section.rule { margin-top: 30px; scroll-margin-top: 8px; }
section.rule:target > h2 { background: #fff7d6; }
section.rule h2 a { color: inherit; text-decoration: none; }
dl.facts { display: grid; grid-template-columns: 12em 1fr; gap: 4px 14px; margin: 8px 0 12px; }
dl.facts dt { font-weight: 600; color: #3b4656; }
dl.facts dd { margin: 0; }
ul.evidence li, ul.plain li { margin: 2px 0; }
.cds-card { border: 1px solid #d6dbe3; border-left: 5px solid #10457e; border-radius: 6px; padding: 10px 14px; margin: 8px 0; max-width: 900px; background: #fbfcfe; }
.cds-card.critical { border-left-color: #8a1414; background: #fffafa; color: inherit; }
.cds-card.warning { border-left-color: #b07800; background: #fffdf5; color: inherit; }
.cds-card.info { border-left-color: #10457e; background: #fbfcfe; color: inherit; }
.cds-card-summary { font-weight: 600; margin: 4px 0; }
.cds-card-detail { font-size: 13.5px; }
.cds-card-detail p { margin: 6px 0; }
.cds-card-detail ul { margin: 4px 0 6px; padding-left: 22px; }
.cds-card-part { margin-top: 8px; font-size: 13.5px; }
.cds-suggestion { display: inline-block; border: 1px solid #0b5cad; color: #0b5cad; border-radius: 4px; padding: 1px 8px; font-weight: 600; }
.cds-card-part ul { margin: 4px 0; padding-left: 22px; }
details.card-json { max-width: 900px; margin: 6px 0 0; }
details.card-json pre { background: #f3f5f8; padding: 8px 10px; white-space: pre-wrap; overflow-wrap: anywhere; font: 12px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
details.card-json summary { cursor: pointer; color: #0b5cad; font-size: 13px; }
td code { overflow-wrap: anywhere; }
@media (max-width: 640px) { main { padding: 12px 14px 30px; } dl.facts { grid-template-columns: 1fr; } dl.facts dd { margin-bottom: 6px; } }
`;

const esc = escapeHtml;

/** Prose from the rules may quote a code span (`info`); everything else is text. */
function prose(text: string): string {
  return text.split(/(`[^`]+`)/).map((part) => (/^`[^`]+`$/.test(part) ? `<code>${esc(part.slice(1, -1))}</code>` : esc(part))).join('');
}

/** The inline Markdown the cards write: backslash escapes, **bold**, `code`; anything else is text. */
function inlineMarkdown(text: string): string {
  let out = '';
  let strong = false;
  let i = 0;
  while (i < text.length) {
    const c = text.charAt(i);
    if (c === '\\' && i + 1 < text.length && /[!-/:-@[-`{-~]/.test(text.charAt(i + 1))) {
      out += esc(text.charAt(i + 1));
      i += 2;
    } else if (c === '*' && text.charAt(i + 1) === '*') {
      out += strong ? '</strong>' : '<strong>';
      strong = !strong;
      i += 2;
    } else if (c === '`' && text.indexOf('`', i + 1) > i) {
      const end = text.indexOf('`', i + 1);
      out += `<code>${esc(text.slice(i + 1, end))}</code>`;
      i = end + 1;
    } else {
      out += esc(c);
      i += 1;
    }
  }
  return strong ? `${out}</strong>` : out;
}

/** Card detail Markdown → HTML: paragraphs and "- " lists, the only blocks the cards use; never raw HTML. */
export function markdownToHtml(markdown: string): string {
  const html: string[] = [];
  for (const block of markdown.split(/\n\s*\n/)) {
    let items: string[] = [];
    let lines: string[] = [];
    const flush = (): void => {
      if (lines.length) html.push(`<p>${lines.join('<br>')}</p>`);
      if (items.length) html.push(`<ul>${items.map((i) => `<li>${i}</li>`).join('')}</ul>`);
      lines = [];
      items = [];
    };
    for (const line of block.split('\n')) {
      if (line.trim() === '') continue;
      const item = /^\s*[-*] (.*)$/.exec(line);
      if (item) {
        if (lines.length) flush();
        items.push(inlineMarkdown(item[1] ?? ''));
      } else {
        if (items.length) flush();
        lines.push(inlineMarkdown(line));
      }
    }
    flush();
  }
  return html.join('\n');
}

/** An outside link: absolute https only (anything else is shown as text), opened without referrer or opener. */
function externalLink(url: string, label: string): string {
  if (!/^https:\/\/[^\s"'<>]+$/.test(url)) return esc(label);
  return `<a href="${esc(url)}" target="_blank" rel="noopener noreferrer">${esc(label)}</a>`;
}

function badge(indicator: string): string {
  const cls = ['critical', 'warning', 'info'].includes(indicator) ? indicator : 'info';
  return `<span class="badge ${cls}">${esc(indicator)}</span>`;
}

function cardPreview(card: Card): string {
  const cls = ['critical', 'warning', 'info'].includes(card.indicator) ? card.indicator : 'info';
  const parts = [
    `<div class="cds-card ${cls}">`,
    `<div>${badge(card.indicator)} <span class="small muted">${esc(card.source.label)}${card.source.topic ? ` · ${esc(card.source.topic.code)}` : ''}</span></div>`,
    `<p class="cds-card-summary">${esc(card.summary)}</p>`,
  ];
  if (card.detail) parts.push(`<div class="cds-card-detail">${markdownToHtml(card.detail)}</div>`);
  for (const s of card.suggestions ?? []) {
    const actions = (s.actions ?? []).map((a) => `<li><span class="muted">${esc(a.type)}:</span> ${esc(a.description)}</li>`).join('');
    parts.push(`<div class="cds-card-part"><span class="cds-suggestion">${esc(s.label)}</span>${actions ? `<ul>${actions}</ul>` : ''}</div>`);
  }
  if (card.links?.length) {
    parts.push(`<div class="cds-card-part"><span class="muted">Links:</span> ${card.links.map((l) => externalLink(l.url, l.label)).join(' · ')}</div>`);
  }
  if (card.overrideReasons?.length) {
    parts.push(`<div class="cds-card-part small muted">Override reasons: ${card.overrideReasons.map((r) => esc(r.display ?? r.code)).join(' · ')}</div>`);
  }
  parts.push('</div>');
  return parts.join('\n');
}

function exampleBlock(example: CardExample): string {
  if (!('card' in example)) return `<h3>Example card</h3>\n<p class="muted">No example: ${esc(example.unavailable)}.</p>`;
  return [
    '<h3>Example card</h3>',
    `<p class="small muted">Issued by the engine for a synthetic patient: ${esc(example.scenario)}</p>`,
    cardPreview(example.card),
    `<details class="card-json"><summary>Card JSON</summary><pre>${esc(JSON.stringify(example.card, null, 2))}</pre></details>`,
  ].join('\n');
}

function ruleSection(rule: CatalogueRule): string {
  const id = esc(rule.id);
  const facts = [
    ['Fires when', prose(rule.trigger)],
    ['Card summary', prose(rule.summary)],
    ['Suggestion', prose(rule.suggestion)],
    ['Needs the ordered dose', rule.needsDose ? 'yes: not run when any evaluated order is unparseable' : 'no'],
  ];
  const parts = [
    `<section class="rule" id="${id}">`,
    `<h2><a href="#${id}">${id}</a>: ${esc(rule.title)} ${badge(rule.indicator)}</h2>`,
    `<dl class="facts">${facts.map(([dt, dd]) => `<dt>${esc(dt)}</dt><dd>${dd}</dd>`).join('')}</dl>`,
  ];
  const rows = [
    ...(rule.thresholds ?? []).map((t) => `<tr><td><code>${esc(t.key)}</code></td><td class="num">${esc(t.value)}</td><td>${esc(t.meaning)}</td></tr>`),
    ...(rule.settings ?? []).map((s) => `<tr><td><code>${esc(s.key)}</code></td><td class="num">${esc(s.value)}</td><td>${esc(s.meaning)}</td></tr>`),
  ];
  parts.push('<h3>Thresholds</h3>');
  parts.push(
    rows.length
      ? `<table><thead><tr><th>Configuration key</th><th class="num">Configured value</th><th>Meaning</th></tr></thead><tbody>${rows.join('')}</tbody></table>`
      : '<p class="muted">None.</p>',
  );
  if (rule.precedence?.length) parts.push('<h3>Precedence</h3>', `<ul class="plain">${rule.precedence.map((p) => `<li>${prose(p)}</li>`).join('')}</ul>`);
  parts.push('<h3>Evidence</h3>', `<ul class="evidence">${rule.evidence.map((e) => `<li>${externalLink(e.url, e.label)} <span class="small muted">${esc(e.citation)}</span></li>`).join('')}</ul>`);
  parts.push(exampleBlock(rule.example), '</section>');
  return parts.join('\n');
}

function serviceCardSection(card: CatalogueServiceCard): string {
  const id = esc(card.id);
  return [
    `<section class="rule" id="${id}">`,
    `<h2><a href="#${id}">${id}</a>: ${esc(card.title)} ${badge(card.indicator)}</h2>`,
    `<p class="intro">${prose(card.description)}</p>`,
    exampleBlock(card.example),
    '</section>',
  ].join('\n');
}

function overview(catalogue: RuleCatalogue): string {
  const row = (id: string, indicator: string, title: string) => `<tr><td><a href="#${esc(id)}"><code>${esc(id)}</code></a></td><td>${badge(indicator)}</td><td>${esc(title)}</td></tr>`;
  return [
    '<table><thead><tr><th>Rule</th><th>Indicator</th><th>Title</th></tr></thead><tbody>',
    ...catalogue.rules.map((r) => row(r.id, r.indicator, r.title)),
    '</tbody></table>',
    '<p>Cards that are not rules:</p>',
    '<table><thead><tr><th>Card</th><th>Indicator</th><th>Title</th></tr></thead><tbody>',
    ...catalogue.specialCards.map((c) => row(c.id, c.indicator, c.title)),
    '</tbody></table>',
  ].join('\n');
}

export interface CataloguePageOptions {
  /** Say that the alert analytics key on the rule ids shown here (for sites that run the governance report). */
  analyticsHint?: boolean;
}

export function renderRuleCataloguePage(catalogue: RuleCatalogue, opts: CataloguePageOptions = {}): Page {
  const intro = [
    `<p class="intro">Every card this service issues names its rule in <code>source.topic</code>: the code is the rule ID below, in the code system <code>${esc(catalogue.codeSystem)}</code>, and <code>source.url</code> leads to the rule's section on this page. Thresholds are shown with their configuration key and the value configured on this service. Example cards are issued by the service itself for synthetic patients (codes only, no patient data). The same catalogue as JSON: <a href="rules.json">rules.json</a>.</p>`,
  ];
  if (opts.analyticsHint) {
    intro.push('<p class="intro small muted">Alert analytics (cards issued, feedback, override rates) are recorded per rule ID, the <code>source.topic.code</code> of each card, so the figures of the governance report match the sections of this page.</p>');
  }
  const body = [
    ...intro,
    '<h2 id="overview">Rules</h2>',
    overview(catalogue),
    '<h2 id="precedence">Precedence</h2>',
    `<ol>${catalogue.precedence.map((p) => `<li>${prose(p)}</li>`).join('')}</ol>`,
    '<h2 id="partial-data">Partial data</h2>',
    `<p class="intro">${prose(catalogue.partialData)}</p>`,
    '<h2 id="override-reasons">Override reasons</h2>',
    '<p>Every rule card offers these reasons for overriding it:</p>',
    `<table><thead><tr><th>Code</th><th>Display</th><th>System</th></tr></thead><tbody>${catalogue.overrideReasons
      .map((r) => `<tr><td><code>${esc(r.code)}</code></td><td>${esc(r.display ?? '')}</td><td><code>${esc(r.system)}</code></td></tr>`)
      .join('')}</tbody></table>`,
    ...catalogue.rules.map(ruleSection),
    ...catalogue.specialCards.map(serviceCardSection),
  ].join('\n');
  return renderPage('imatinib-cds rule catalogue', `Imatinib in GIST · rule set ${catalogue.ruleSetVersion} · thresholds as configured on this service`, body, CSS);
}
