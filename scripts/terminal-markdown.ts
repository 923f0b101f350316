/**
 * CDS Hooks card `detail` (CommonMark) rendered for a terminal, for the demo: what a prescriber would read in
 * the EHR, without raw Markdown. Pure functions: the caller decides the width and whether to use ANSI colour.
 *
 * Covers the Markdown the service writes and a little more: paragraphs (soft line breaks joined, hard breaks
 * kept), `-`/`*`/`+` and `1.` list items (nested by indentation) as bullets with a hanging indent, `#` headings,
 * `>` quotes, fenced code, thematic breaks; inline `**strong**`/`__strong__`, `*em*`/`_em_` (never inside
 * a word such as c.1504_1509dup), `code`, [text](url), <url>, and backslash escapes. Control characters in the
 * input (e.g. an ESC smuggled in through patient data) are removed, so the text cannot drive the terminal.
 */

export interface RenderOptions {
  /** Total line width, indent included (default 100). Words longer than a line are not broken. */
  width?: number;
  /** ANSI bold/italic/colour (default false: plain text, for pipes and files). */
  colour?: boolean;
  /** Spaces in front of every line (default 0). */
  indent?: number;
}

export interface WrapOptions {
  width?: number;
  /** Printed before the first line; may contain ANSI codes (they take no width). */
  firstPrefix?: string;
  /** Printed before every further line (the hanging indent). */
  restPrefix?: string;
}

interface Frag {
  text: string;
  bold: boolean;
  italic: boolean;
  code: boolean;
}

const DEFAULT_WIDTH = 100;
/** The narrowest text column wrapping aims for, whatever the indent. */
const MIN_TEXT_WIDTH = 20;
/** Stands for a hard line break inside a paragraph (stripControl turns any in the input into newlines). */
const HARD_BREAK = '\u2028';
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;
const ASCII_PUNCT = /[!-/:-@[-`{-~]/;

/** Text without control characters other than newline (tabs become spaces). */
export function stripControl(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\r\n?|[\u2028\u2029]/g, '\n').replace(/\t/g, '    ').replace(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/g, '');
}

/** Visible width of a string: ANSI codes take none, each code point one column. */
export function visibleWidth(text: string): number {
  return [...text.replace(ANSI, '')].length;
}

// ------------------------------------------------------------------ inline

interface Delim {
  kind: 'delim';
  ch: '*' | '_';
  /** Characters of the run not yet used to open or close emphasis; what is left at the end is literal text. */
  count: number;
  open: boolean;
  close: boolean;
}
type Token = { kind: 'text'; text: string; code?: boolean } | Delim;

const isSpace = (c: string | undefined) => c === undefined || /\s/.test(c);
const isPunct = (c: string | undefined) => c !== undefined && (ASCII_PUNCT.test(c) || /[\p{P}\p{S}]/u.test(c));

// Sticky (matched at lastIndex), so that trying them never copies the rest of the text.
const LINK = /\[((?:[^[\]\\]|\\.)*)\]\(\s*<?([^()\s<>]*)>?(?:\s+"[^"]*")?\s*\)/y;
const AUTOLINK = /<([a-z][a-z0-9+.-]{1,31}:[^\s<>]*|[^\s<>@]+@[^\s<>@]+)>/iy;

/** Tokens: literal text (escapes resolved, code spans, links) and `*`/`_` runs that may open or close emphasis. */
function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let text = '';
  const flush = () => {
    if (text) out.push({ kind: 'text', text });
    text = '';
  };
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (c === '\\' && i + 1 < src.length && ASCII_PUNCT.test(src[i + 1]!)) {
      text += src[i + 1];
      i += 2;
    } else if (c === '`') {
      let n = 1;
      while (src[i + n] === '`') n++;
      const fence = '`'.repeat(n);
      // The closing run has exactly as many backticks as the opening one.
      let end = -1;
      for (let j = src.indexOf('`', i + n); j !== -1; ) {
        let m = 1;
        while (src[j + m] === '`') m++;
        if (m === n) {
          end = j;
          break;
        }
        j = src.indexOf('`', j + m);
      }
      if (end === -1) {
        text += fence;
        i += n;
      } else {
        let body = src.slice(i + n, end).replace(/\n/g, ' ');
        if (body.length > 1 && body.startsWith(' ') && body.endsWith(' ') && body.trim()) body = body.slice(1, -1);
        flush();
        out.push({ kind: 'text', text: body, code: true });
        i = end + n;
      }
    } else if (c === '[') {
      LINK.lastIndex = i;
      const m = LINK.exec(src);
      if (m) {
        flush();
        const label = m[1]!;
        const url = m[2]!;
        out.push(...tokenize(label));
        if (url && label.replace(/\\(.)/g, '$1') !== url) out.push({ kind: 'text', text: ` (${url})` });
        i += m[0].length;
      } else {
        text += c;
        i++;
      }
    } else if (c === '<') {
      AUTOLINK.lastIndex = i;
      const m = AUTOLINK.exec(src);
      if (m) {
        text += m[1];
        i += m[0].length;
      } else {
        text += c;
        i++;
      }
    } else if (c === '*' || c === '_') {
      let n = 1;
      while (src[i + n] === c) n++;
      const before = i === 0 ? undefined : src[i - 1];
      const after = src[i + n];
      const leftFlanking = !isSpace(after) && (!isPunct(after) || isSpace(before) || isPunct(before));
      const rightFlanking = !isSpace(before) && (!isPunct(before) || isSpace(after) || isPunct(after));
      const open = c === '*' ? leftFlanking : leftFlanking && (!rightFlanking || isPunct(before));
      const close = c === '*' ? rightFlanking : rightFlanking && (!leftFlanking || isPunct(after));
      flush();
      out.push({ kind: 'delim', ch: c, count: n, open, close });
      i += n;
    } else {
      text += c;
      i++;
    }
  }
  flush();
  return out;
}

/** Inline Markdown → styled fragments (a simplified CommonMark delimiter algorithm, linear in the input). */
function parseInline(src: string): Frag[] {
  const tokens = tokenize(src);
  // Style depth changes per token index: a matched pair styles the tokens strictly between opener and closer.
  const bold = new Array<number>(tokens.length + 1).fill(0);
  const italic = new Array<number>(tokens.length + 1).fill(0);
  const openers: Record<'*' | '_', number[]> = { '*': [], _: [] };
  tokens.forEach((t, idx) => {
    if (t.kind !== 'delim') return;
    const own = openers[t.ch];
    const other = openers[t.ch === '*' ? '_' : '*'];
    while (t.close && t.count > 0 && own.length > 0) {
      const at = own[own.length - 1]!;
      const opener = tokens[at] as Delim;
      // Openers of the other kind inside the matched span can no longer be matched.
      while (other.length > 0 && other[other.length - 1]! > at) other.pop();
      const use = opener.count >= 2 && t.count >= 2 ? 2 : 1;
      const depth = use === 2 ? bold : italic;
      depth[at + 1]! += 1;
      depth[idx]! -= 1;
      opener.count -= use;
      t.count -= use;
      if (opener.count === 0) own.pop();
    }
    if (t.open && t.count > 0) own.push(idx);
  });
  const frags: Frag[] = [];
  let b = 0;
  let it = 0;
  tokens.forEach((t, idx) => {
    b += bold[idx]!;
    it += italic[idx]!;
    // Unused delimiter characters stay literal; an opener's leftover lies outside the span it opened.
    const text = t.kind === 'text' ? t.text : t.ch.repeat(t.count);
    if (text) frags.push({ text, bold: b > 0, italic: it > 0, code: t.kind === 'text' && t.code === true });
  });
  return frags;
}

// ------------------------------------------------------------------ wrapping

function paint(f: Frag, colour: boolean): string {
  if (!colour || (!f.bold && !f.italic && !f.code)) return f.text;
  const on = `${f.bold ? '\u001b[1m' : ''}${f.italic ? '\u001b[3m' : ''}${f.code ? '\u001b[36m' : ''}`;
  const off = `${f.code ? '\u001b[39m' : ''}${f.italic ? '\u001b[23m' : ''}${f.bold ? '\u001b[22m' : ''}`;
  return `${on}${f.text}${off}`;
}

/** Greedy word wrap of styled fragments; styles are closed at every line end, so a line never bleeds colour. */
function wrapFrags(frags: Frag[], width: number, firstPrefix: string, restPrefix: string, colour: boolean): string[] {
  type Word = { parts: Frag[]; width: number } | 'break';
  const words: Word[] = [];
  let current: Frag[] = [];
  const endWord = () => {
    if (current.length > 0) words.push({ parts: current, width: current.reduce((n, p) => n + [...p.text].length, 0) });
    current = [];
  };
  for (const f of frags) {
    // Only ASCII spaces break lines: a no-break or thin space inside "400 mg" stays unbroken.
    for (const piece of f.text.split(/([ \n\u2028]+)/)) {
      if (piece === '') continue;
      if (/^[ \n\u2028]+$/.test(piece)) {
        endWord();
        for (const ch of piece) if (ch === HARD_BREAK) words.push('break');
      } else current.push({ ...f, text: piece });
    }
  }
  endWord();
  // A lone dash stays at the end of the line before it: a line starting "- " would read as a list item.
  const glued: Word[] = [];
  for (const w of words) {
    const prev = glued[glued.length - 1];
    if (w !== 'break' && prev && prev !== 'break' && w.parts.length === 1 && /^[-–—]$/.test(w.parts[0]!.text)) {
      prev.parts.push({ ...w.parts[0]!, text: ` ${w.parts[0]!.text}` });
      prev.width += 2;
    } else glued.push(w);
  }
  const lines: string[] = [];
  let prefix = '';
  let parts: Frag[] = [];
  let used = 0;
  let limit = 0;
  const same = (a: Frag | undefined, b: Frag | undefined) => !!a && !!b && a.bold === b.bold && a.italic === b.italic && a.code === b.code;
  const finish = () => {
    // Neighbouring fragments of one style are painted together: one escape sequence per styled stretch.
    const merged: Frag[] = [];
    for (const p of parts) {
      const prev = merged[merged.length - 1];
      if (prev && same(prev, p)) prev.text += p.text;
      else merged.push({ ...p });
    }
    lines.push(`${prefix}${merged.map((p) => paint(p, colour)).join('')}`.trimEnd());
  };
  const start = (p: string) => {
    prefix = p;
    parts = [];
    used = visibleWidth(p);
    // However deep the indent, leave a usable text column.
    limit = Math.max(width, used + MIN_TEXT_WIDTH);
  };
  start(firstPrefix);
  for (const w of glued) {
    if (w === 'break' || (parts.length > 0 && used + 1 + w.width > limit)) {
      finish();
      start(restPrefix);
      if (w === 'break') continue;
    }
    if (parts.length > 0) {
      const last = parts[parts.length - 1]!;
      const space: Frag = same(last, w.parts[0]) ? { ...last, text: ' ' } : { text: ' ', bold: false, italic: false, code: false };
      parts.push(space);
      used += 1;
    }
    parts.push(...w.parts);
    used += w.width;
  }
  finish();
  return lines;
}

/**
 * Plain text (no Markdown: e.g. a card summary or a link label) wrapped at `width` with a hanging indent:
 * the first line starts with firstPrefix, the others with restPrefix.
 */
export function wrapText(text: string, opts: WrapOptions = {}): string {
  const frags: Frag[] = [{ text: stripControl(text).replace(/\n/g, ' '), bold: false, italic: false, code: false }];
  return wrapFrags(frags, opts.width ?? DEFAULT_WIDTH, opts.firstPrefix ?? '', opts.restPrefix ?? '', false).join('\n');
}

// ------------------------------------------------------------------ blocks

type Block =
  | { type: 'para'; lines: string[]; level: number; quote: boolean; gap: boolean }
  | { type: 'item'; marker: string; lines: string[]; level: number; gap: boolean }
  | { type: 'heading'; text: string; gap: boolean }
  | { type: 'code'; lines: string[]; gap: boolean }
  | { type: 'rule'; gap: boolean };

const ITEM = /^( *)([-*+]|\d{1,9}[.)])(?: +(.*))?$/;
const RULE = /^ {0,3}([-*_])(?: *\1){2,} *$/;
const HEADING = /^ {0,3}(#{1,6})(?:[ ]+(.*?))?(?:[ ]+#+)? *$/;
const FENCE = /^ {0,3}(`{3,}|~{3,})/;
const BULLETS = ['•', '◦', '▪'];

function parseBlocks(markdown: string): Block[] {
  const blocks: Block[] = [];
  const lines = stripControl(markdown).split('\n');
  let gap = false;
  let fence: { marker: string; block: Extract<Block, { type: 'code' }> } | undefined;
  const last = () => blocks[blocks.length - 1];
  for (const raw of lines) {
    if (fence) {
      if (raw.trimStart().startsWith(fence.marker) && raw.trim().replace(/[`~]/g, '') === '') fence = undefined;
      else fence.block.lines.push(raw);
      continue;
    }
    if (raw.trim() === '') {
      gap = blocks.length > 0;
      continue;
    }
    const prev = last();
    const fenceMatch = FENCE.exec(raw);
    const item = ITEM.exec(raw);
    const heading = HEADING.exec(raw);
    if (fenceMatch) {
      const block: Block = { type: 'code', lines: [], gap };
      blocks.push(block);
      fence = { marker: fenceMatch[1]!, block };
    } else if (RULE.test(raw)) {
      blocks.push({ type: 'rule', gap });
    } else if (heading) {
      blocks.push({ type: 'heading', text: heading[2] ?? '', gap });
    } else if (item) {
      blocks.push({ type: 'item', marker: item[2]!, lines: [item[3] ?? ''], level: Math.min(Math.floor(item[1]!.length / 2), 6), gap });
    } else if (/^ {0,3}>/.test(raw)) {
      const text = raw.replace(/^ {0,3}>\s?/, '');
      if (prev?.type === 'para' && prev.quote && !gap) prev.lines.push(text);
      else blocks.push({ type: 'para', lines: [text], level: 1, quote: true, gap });
    } else if (!gap && (prev?.type === 'para' || prev?.type === 'item')) {
      prev.lines.push(raw.trimStart()); // soft line break (lazy continuation)
    } else {
      // After a blank line, text indented under a list item continues that item as a paragraph of its own.
      const indented = /^ {2,}\S/.test(raw) && (prev?.type === 'item' || (prev?.type === 'para' && prev.level > 0 && !prev.quote));
      const level = indented && prev && (prev.type === 'item' || prev.type === 'para') ? prev.level + 1 : 0;
      blocks.push({ type: 'para', lines: [raw.trimStart()], level, quote: false, gap });
    }
    gap = false;
  }
  return blocks;
}

/** Paragraph lines joined: soft breaks become spaces, a trailing backslash or two spaces a hard break. */
function joinLines(lines: string[]): string {
  return lines
    .map((l, i) => {
      if (i === lines.length - 1) return l.trim();
      const hard = / {2,}$/.test(l) || /(^|[^\\])(\\\\)*\\$/.test(l);
      return hard ? `${l.replace(/\\$/, '').trim()}${HARD_BREAK}` : `${l.trim()} `;
    })
    .join('');
}

/**
 * Markdown → terminal text: paragraphs separated by blank lines and wrapped at `width`, list items as
 * indented bullets with a hanging indent, emphasis as ANSI bold/italic when `colour` (else plain), escapes
 * resolved. No Markdown syntax is left in the result except where it was literal text.
 */
export function renderMarkdown(markdown: string, options: RenderOptions = {}): string {
  const width = options.width ?? DEFAULT_WIDTH;
  const colour = options.colour ?? false;
  const base = ' '.repeat(Math.max(0, options.indent ?? 0));
  const out: string[] = [];
  for (const block of parseBlocks(markdown)) {
    if (block.gap && out.length > 0) out.push('');
    switch (block.type) {
      case 'para': {
        const pad = base + '  '.repeat(block.level > 0 && !block.quote ? block.level : 0) + (block.quote ? '│ ' : '');
        out.push(...wrapFrags(parseInline(joinLines(block.lines)), width, pad, pad, colour));
        break;
      }
      case 'item': {
        const marker = /\d/.test(block.marker) ? block.marker.replace(')', '.') : BULLETS[Math.min(block.level, BULLETS.length - 1)]!;
        const first = `${base}${'  '.repeat(block.level + 1)}${marker} `;
        out.push(...wrapFrags(parseInline(joinLines(block.lines)), width, first, ' '.repeat(visibleWidth(first)), colour));
        break;
      }
      case 'heading': {
        const frags = parseInline(block.text).map((f) => ({ ...f, bold: true }));
        out.push(...wrapFrags(frags, width, base, base, colour));
        break;
      }
      case 'code':
        out.push(...block.lines.map((l) => `${base}    ${l}`.trimEnd()));
        break;
      case 'rule':
        out.push(`${base}${'─'.repeat(Math.max(3, Math.min(40, width - base.length)))}`);
        break;
    }
  }
  return out.join('\n');
}
