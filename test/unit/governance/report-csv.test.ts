import { CSV_COLUMNS, csvField, renderAlertReportCsv } from '../../../src/governance/report-csv';
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

const REPORT: AlertReport = {
  from: '2026-01-01',
  to: '2026-03-31',
  generatedAt: '2026-04-02T08:00:00.000Z',
  evaluations: 200,
  rules: [
    figures('WARFARIN', {
      title: 'Warfarin with imatinib',
      cards: 40,
      perHundredEvaluations: 20,
      feedback: 12,
      accepted: 2,
      overridden: 10,
      overrideRate: { value: 0.8333, low: 0.5519, high: 0.953 },
      suggestionsAccepted: 2,
      overrideReasons: [
        { code: 'monitored', display: 'Will monitor INR', count: 7 },
        { code: 'uncoded', display: 'No reason given', count: 3 },
      ],
      medianMinutesToFeedback: 3.5,
      repeatAlerts: 6,
      lastFired: '2026-03-30T10:00:00.000Z',
    }),
    figures('PREGNANCY', { title: 'Imatinib in pregnancy', cards: 3, perHundredEvaluations: 1.5, feedback: 3, accepted: 0, overridden: 3, overrideRate: { value: 1, low: 0.4385, high: 1 }, medianMinutesToFeedback: 2, lastFired: '2026-01-10T00:00:00.000Z', silent: true }),
    figures('CYP3A4_INDUCER', { title: 'Strong CYP3A4 inducer with imatinib', perHundredEvaluations: 0 }),
    figures('DATA_INCOMPLETE', { cards: 10, perHundredEvaluations: 5, feedback: 10, accepted: 10, overrideRate: { value: 0, low: 0, high: 0.2775 }, medianMinutesToFeedback: 1, lastFired: '2026-03-01T00:00:00.000Z' }),
  ],
  weekly: [],
  settings: { silentDays: 14, suppressBelow: 5 },
};

/** A minimal RFC 4180 reader for the assertions (quoted fields, doubled quotes, CRLF records). */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      record.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      i++;
    } else field += c;
  }
  if (field !== '' || record.length > 0) throw new Error('last record not terminated by CRLF');
  return records;
}

function byRule(csv: string): Map<string, Record<string, string>> {
  const [header, ...rows] = parseCsv(csv);
  return new Map(rows.map((r) => [r[5] as string, Object.fromEntries((header as string[]).map((h, i) => [h, r[i] as string]))]));
}

describe('renderAlertReportCsv', () => {
  it('is one table: the header row first, one CRLF-terminated row per rule, every row as wide as the header', () => {
    const csv = renderAlertReportCsv(REPORT, { suppressBelow: 5 });
    expect(csv.startsWith('from,to,service,generatedAt,evaluations,ruleId,title,cards,')).toBe(true);
    expect(csv.endsWith('\r\n')).toBe(true);
    expect(csv.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
    const records = parseCsv(csv);
    expect(records).toHaveLength(1 + REPORT.rules.length);
    expect(records[0]).toEqual([...CSV_COLUMNS]);
    for (const r of records) expect(r).toHaveLength(CSV_COLUMNS.length);
    expect(records.slice(1).map((r) => r[5])).toEqual(['WARFARIN', 'PREGNANCY', 'CYP3A4_INDUCER', 'DATA_INCOMPLETE']);
  });

  it('writes the figures of a rule with enough counts exactly, reasons as "code: n; code: n"', () => {
    expect(byRule(renderAlertReportCsv(REPORT, { suppressBelow: 5 })).get('WARFARIN')).toEqual({
      from: '2026-01-01',
      to: '2026-03-31',
      service: '',
      generatedAt: '2026-04-02T08:00:00.000Z',
      evaluations: '200',
      ruleId: 'WARFARIN',
      title: 'Warfarin with imatinib',
      cards: '40',
      perHundredEvaluations: '20',
      feedback: '12',
      accepted: '<5',
      overridden: '10',
      // accepted is shown as <5, and the rate would give it back: suppressed.
      overrideRate: 'suppressed',
      overrideRateLow: 'suppressed',
      overrideRateHigh: 'suppressed',
      suggestionsAccepted: '<5',
      overrideReasons: 'monitored: 7; uncoded: <5',
      medianMinutesToFeedback: '3.5',
      repeatAlerts: '6',
      lastFired: '2026-03-30T10:00:00.000Z',
      silent: 'false',
    });
  });

  it('suppresses small counts and the rates built on them; empty where there is nothing to compute', () => {
    const rows = byRule(renderAlertReportCsv(REPORT, { suppressBelow: 5 }));
    expect(rows.get('PREGNANCY')).toMatchObject({
      cards: '<5',
      perHundredEvaluations: 'suppressed',
      feedback: '<5',
      accepted: '0',
      overridden: '<5',
      overrideRate: 'suppressed',
      medianMinutesToFeedback: 'suppressed',
      silent: 'true',
    });
    expect(rows.get('CYP3A4_INDUCER')).toMatchObject({ cards: '0', perHundredEvaluations: '0', overrideRate: '', overrideRateLow: '', medianMinutesToFeedback: '', lastFired: '', overrideReasons: '' });
    expect(rows.get('DATA_INCOMPLETE')).toMatchObject({ cards: '10', overrideRate: '0', overrideRateLow: '0', overrideRateHigh: '0.2775', medianMinutesToFeedback: '1' });
  });

  it('shows every count with suppressBelow 1', () => {
    const rows = byRule(renderAlertReportCsv(REPORT, { suppressBelow: 1 }));
    expect(rows.get('PREGNANCY')).toMatchObject({ cards: '3', overridden: '3', overrideRate: '1', overrideRateLow: '0.4385', perHundredEvaluations: '1.5' });
    expect(rows.get('WARFARIN')).toMatchObject({ accepted: '2', overrideRate: '0.8333', overrideReasons: 'monitored: 7; uncoded: 3' });
  });

  it('names the service on every row of a service report', () => {
    const rows = byRule(renderAlertReportCsv({ ...REPORT, service: 'imatinib-order-sign' }, { suppressBelow: 5 }));
    expect([...rows.values()].every((r) => r.service === 'imatinib-order-sign')).toBe(true);
  });

  it('quotes and neutralises hostile text from titles and reason codes', () => {
    const hostile: AlertReport = {
      ...REPORT,
      rules: [figures('X', { title: '=HYPERLINK("http://evil","click"), now', overrideReasons: [{ code: '@SUM(A1)', display: 'x', count: 9 }] })],
    };
    const csv = renderAlertReportCsv(hostile, { suppressBelow: 5 });
    expect(csv).toContain(`"'=HYPERLINK(""http://evil"",""click""), now"`);
    const row = byRule(csv).get('X');
    expect(row?.title).toBe(`'=HYPERLINK("http://evil","click"), now`);
    expect(row?.overrideReasons).toBe("'@SUM(A1): 9");
  });
});

describe('csvField', () => {
  it.each([
    ['plain', 'plain'],
    ['', ''],
    ['a,b', '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ['two\nlines', '"two\nlines"'],
    ['cr\rhere', '"cr\rhere"'],
    ['=1+1', "'=1+1"],
    ['+1', "'+1"],
    ['-1', "'-1"],
    ['@cmd', "'@cmd"],
    ['\tx', "'\tx"],
    ['\rx', `"'\rx"`],
    ['=a,b', `"'=a,b"`],
    ['<5', '<5'],
    ['0.25', '0.25'],
  ])('%j → %j', (input, output) => {
    expect(csvField(input)).toBe(output);
  });
});
