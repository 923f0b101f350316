/** The demo's Markdown-to-terminal rendering of card detail (scripts/terminal-markdown.ts). */
import { renderMarkdown, stripControl, visibleWidth, wrapText } from '../../../scripts/terminal-markdown';

const BOLD_ON = '\u001b[1m';
const BOLD_OFF = '\u001b[22m';
const ESC = '\u001b';
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f]/;

/** A detail shaped like the engine's cards (src/clinical/cards.ts): sections, facts as a list, escaped data. */
const CARD_DETAIL = [
  '**Why this alert**',
  '- PDGFRA D842V mutation: PDGFRA D842V (NM\\_006206.6:c.2525A\\>T) reported 2025-01-25',
  '- Ordered dose 400 mg/day',
  '',
  '**What to do**',
  '',
  'GIST with PDGFRA exon 18 D842V is considered imatinib-resistant; avapritinib is the therapy of choice. Review whether imatinib should be given and consider sarcoma specialist input.',
  '',
  '**Order:** imatinib 400 MG Oral Tablet',
  '',
  '**Evidence:** Heinrich MC et al. (NAVIGATOR), Lancet Oncol 2020;21:935-46.',
].join('\n');

const words = (s: string) => s.replace(/•/g, ' ').split(/\s+/).filter(Boolean);

describe('renderMarkdown', () => {
  it('renders **bold** as ANSI bold when colour is on, and as plain text when it is off', () => {
    expect(renderMarkdown('**Why this alert**', { colour: true })).toBe(`${BOLD_ON}Why this alert${BOLD_OFF}`);
    expect(renderMarkdown('**Order:** imatinib', { colour: true })).toBe(`${BOLD_ON}Order:${BOLD_OFF} imatinib`);
    expect(renderMarkdown('**Order:** imatinib', { colour: false })).toBe('Order: imatinib');
    expect(renderMarkdown('__strong__ and *em* and _em_')).toBe('strong and em and em');
    expect(renderMarkdown('*em*', { colour: true })).toBe('\u001b[3mem\u001b[23m');
  });

  it('uses no escape sequences at all when colour is off (the default: not a TTY)', () => {
    const out = renderMarkdown(`${CARD_DETAIL}\n\n# Heading\n\n\`code\` ***both***`);
    expect(out).not.toContain(ESC);
    expect(renderMarkdown(CARD_DETAIL, { colour: true })).toContain(ESC);
  });

  it('leaves no ** (nor other emphasis markers) from balanced Markdown', () => {
    const out = renderMarkdown(`${CARD_DETAIL}\n\n**a *b* c** ***x*** *a **b** c*`);
    expect(out).not.toContain('**');
    expect(out).not.toMatch(/(^|\s)\*\S/);
    expect(out).toContain('a b c x a b c');
  });

  it('renders "- " list items as indented bullets with a hanging indent', () => {
    expect(renderMarkdown('- one\n- two')).toBe('  • one\n  • two');
    expect(renderMarkdown('* one\n+ two')).toBe('  • one\n  • two');
    expect(renderMarkdown('1. one\n2. two\n   - nested')).toBe('  1. one\n  2. two\n    ◦ nested');
    const item = renderMarkdown(`- ${'word '.repeat(30).trim()}`, { width: 40 });
    const [first, ...rest] = item.split('\n');
    expect(first).toMatch(/^ {2}• word/);
    expect(rest.length).toBeGreaterThan(0);
    for (const line of rest) expect(line).toMatch(/^ {4}word/);
  });

  it('keeps a heading line tight to the list under it and separates paragraphs by one blank line', () => {
    const out = renderMarkdown(CARD_DETAIL, { width: 100 });
    expect(out.split('\n').slice(0, 3)).toEqual([
      'Why this alert',
      '  • PDGFRA D842V mutation: PDGFRA D842V (NM_006206.6:c.2525A>T) reported 2025-01-25',
      '  • Ordered dose 400 mg/day',
    ]);
    expect(out).toContain('\n\nWhat to do\n\nGIST with PDGFRA');
    expect(out).not.toMatch(/\n\n\n/);
    expect(renderMarkdown('one\ntwo\n\n\n\nthree')).toBe('one two\n\nthree');
  });

  it('unescapes backslash escapes', () => {
    expect(renderMarkdown('c.2525A\\>T \\*not emphasis\\* \\[x\\] a\\_b \\`c\\` \\\\ \\| \\<b\\>')).toBe('c.2525A>T *not emphasis* [x] a_b `c` \\ | <b>');
    // A backslash before a letter or digit is a literal backslash.
    expect(renderMarkdown('C:\\temp\\1')).toBe('C:\\temp\\1');
  });

  it('never takes an underscore inside a word for emphasis (HGVS, rule ids)', () => {
    expect(renderMarkdown('NM_000222.3:c.1504_1509dup p.(Ala502_Tyr503dup) EXON9_HIGH_DOSE', { colour: true })).toBe(
      'NM_000222.3:c.1504_1509dup p.(Ala502_Tyr503dup) EXON9_HIGH_DOSE',
    );
  });

  it('renders code spans, links and autolinks without their syntax', () => {
    expect(renderMarkdown('`a*b*` [the label](https://doi.org/10.1/x) <https://example.org>')).toBe('a*b* the label (https://doi.org/10.1/x) https://example.org');
    expect(renderMarkdown('[https://example.org](https://example.org)')).toBe('https://example.org');
  });

  it('wraps at the width, with the indent on every line, and loses no word', () => {
    const out = renderMarkdown(CARD_DETAIL, { width: 50, indent: 11 });
    const lines = out.split('\n');
    for (const line of lines) {
      expect(visibleWidth(line)).toBeLessThanOrEqual(50);
      if (line !== '') expect(line).toMatch(/^ {11}/);
    }
    expect(lines.length).toBeGreaterThan(renderMarkdown(CARD_DETAIL, { width: 200, indent: 11 }).split('\n').length);
    expect(words(out)).toEqual(words(renderMarkdown(CARD_DETAIL, { width: 1000 })));
    // Coloured output wraps at the same places: escape sequences take no width.
    expect(renderMarkdown(CARD_DETAIL, { width: 50, indent: 11, colour: true }).replace(ANSI, '')).toBe(out);
  });

  it('defaults to a width of 100 and never breaks a word longer than the line', () => {
    const long = renderMarkdown('word '.repeat(60));
    expect(Math.max(...long.split('\n').map((l) => l.length))).toBeLessThanOrEqual(100);
    expect(long.split('\n').length).toBe(3);
    const url = `https://doi.org/${'x'.repeat(120)}`;
    expect(renderMarkdown(`see ${url} here`, { width: 40 }).split('\n')).toEqual(['see', url, 'here']);
  });

  it('never starts a line with a lone dash (it would read as a list item)', () => {
    for (let width = 10; width <= 40; width++) {
      const out = renderMarkdown('passed - ordered 400 mg/day — maximum 800 mg/day – per label', { width });
      expect(out).not.toMatch(/^[-–—] /m);
      expect(words(out)).toEqual(words('passed - ordered 400 mg/day — maximum 800 mg/day – per label'));
    }
  });

  it('keeps a usable text column however deep the indent', () => {
    const out = renderMarkdown('alpha beta gamma delta epsilon', { width: 30, indent: 28 });
    expect(out.split('\n')[0]).toBe(`${' '.repeat(28)}alpha beta gamma`);
  });

  it('keeps hard line breaks (two trailing spaces or a trailing backslash)', () => {
    expect(renderMarkdown('one  \ntwo\\\nthree')).toBe('one\ntwo\nthree');
  });

  it('strips control characters, so card text cannot drive the terminal', () => {
    const out = renderMarkdown('**x**\u001b[2J\u0007 y', { colour: false });
    expect(out).not.toMatch(CONTROL);
    expect(out).toBe('x[2J y');
    expect(stripControl('a\tb\r\nc\u009bd')).toBe('a    b\nc' + 'd');
  });

  it('renders quotes, thematic breaks and fenced code without their markers', () => {
    expect(renderMarkdown('> quoted\n> text')).toBe('│ quoted text');
    expect(renderMarkdown('a\n\n---\n\nb', { width: 10 })).toBe('a\n\n──────────\n\nb');
    expect(renderMarkdown('```\nraw **kept**\n```')).toBe('    raw **kept**');
  });

  it('leaves unbalanced markers as the literal text they are', () => {
    expect(renderMarkdown('2 * 3 and **open')).toBe('2 * 3 and **open');
  });

  it('is linear enough for hostile input', () => {
    const started = Date.now();
    for (const s of ['['.repeat(50_000), '*a'.repeat(25_000), '_'.repeat(50_000), '\\'.repeat(50_000), 'x'.repeat(50_000)]) renderMarkdown(s);
    expect(Date.now() - started).toBeLessThan(5000);
  });
});

describe('wrapText', () => {
  it('wraps plain text with a hanging indent under a (possibly coloured) first prefix', () => {
    const out = wrapText('KIT exon 9 GIST: guidelines favour imatinib 800 mg/day [EXON9_HIGH_DOSE]', {
      width: 40,
      firstPrefix: `  \u001b[33mWARNING \u001b[0m `,
      restPrefix: ' '.repeat(11),
    });
    const lines = out.split('\n');
    expect(lines[0]?.startsWith('  \u001b[33mWARNING \u001b[0m KIT exon')).toBe(true);
    for (const line of lines) expect(visibleWidth(line)).toBeLessThanOrEqual(40);
    for (const line of lines.slice(1)) expect(line).toMatch(/^ {11}\S/);
    expect(lines.at(-1)).toContain('[EXON9_HIGH_DOSE]');
  });

  it('does not interpret Markdown and strips control characters', () => {
    expect(wrapText('**not bold** a_b\u001b[31m')).toBe('**not bold** a_b[31m');
  });
});
