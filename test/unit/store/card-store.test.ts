import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { openCardStore } from '../../../src/store/card-store';
import { openReplayStore } from '../../../src/store/replay-store';

function tmpDb(): string {
  return path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cds-store-')), 'store.sqlite');
}

const issued = { cardUuid: 'card-1', serviceId: 'imatinib-order-sign', ruleId: 'PREGNANCY', hookInstance: 'hi-1', patientId: 'patient-secret-id', suggestionUuids: ['s-1'] };
const accepted = { card: 'card-1', outcome: 'accepted' as const, acceptedSuggestions: [{ id: 's-1' }], outcomeTimestamp: '2026-11-27T10:00:00Z' };

describe('card store', () => {
  it('records issued cards with the patient id only as a salted hash', () => {
    const file = tmpDb();
    const store = openCardStore({ path: file });
    store.recordIssued([issued], new Date('2026-11-27T10:00:00Z'));
    store.close();
    const db = new Database(file, { readonly: true });
    const row = db.prepare('SELECT * FROM issued_card').get() as Record<string, string>;
    expect(row).toMatchObject({ card_uuid: 'card-1', service_id: 'imatinib-order-sign', rule_id: 'PREGNANCY', hook_instance: 'hi-1', issued_at: '2026-11-27T10:00:00.000Z' });
    expect(row.patient_hash).toMatch(/^[0-9a-f]{64}$/);
    const everything = JSON.stringify(db.prepare('SELECT * FROM issued_card').all());
    expect(everything).not.toContain('patient-secret-id');
    db.close();
  });

  it('hashes the same patient the same way across restarts (salt kept in the database)', () => {
    const file = tmpDb();
    const first = openCardStore({ path: file });
    first.recordIssued([issued], new Date());
    first.close();
    const second = openCardStore({ path: file });
    second.recordIssued([{ ...issued, cardUuid: 'card-2' }], new Date());
    second.close();
    const db = new Database(file, { readonly: true });
    const hashes = db.prepare('SELECT DISTINCT patient_hash FROM issued_card').all();
    expect(hashes).toHaveLength(1);
    db.close();
  });

  it('stores feedback against the issued card and treats repeats as idempotent', () => {
    const store = openCardStore({ path: ':memory:' });
    store.recordIssued([issued], new Date());
    expect(store.recordFeedback('imatinib-order-sign', [accepted], new Date())).toEqual({ stored: 1, duplicates: 0, unknownCards: 0 });
    // The same item again, with its keys in another order, is a duplicate.
    const reordered = { outcomeTimestamp: '2026-11-27T10:00:00.000Z', acceptedSuggestions: [{ id: 's-1' }], outcome: 'accepted' as const, card: 'card-1' };
    expect(store.recordFeedback('imatinib-order-sign', [reordered, accepted], new Date())).toEqual({ stored: 0, duplicates: 2, unknownCards: 0 });
    store.close();
  });

  it('stores feedback for a card it never issued, flagged as unknown', () => {
    const store = openCardStore({ path: ':memory:' });
    expect(store.recordFeedback('imatinib-order-sign', [{ ...accepted, card: 'stranger' }], new Date())).toEqual({ stored: 1, duplicates: 0, unknownCards: 1 });
    store.close();
  });
});

describe('shared jti replay store', () => {
  it('remembers a jti across two connections (two worker processes share the file)', () => {
    const file = tmpDb();
    let now = 1000;
    const a = openReplayStore(file, () => now);
    const b = openReplayStore(file, () => now);
    expect(a.checkAndRemember('iss|jti-1', 1300)).toBe(true);
    expect(b.checkAndRemember('iss|jti-1', 1300)).toBe(false);
    expect(b.checkAndRemember('iss|jti-2', 1300)).toBe(true);
    now = 1400; // the first token has expired: its jti may be seen again on a new, valid token
    expect(a.checkAndRemember('iss|jti-1', 1700)).toBe(true);
    expect(b.checkAndRemember('iss|jti-1', 1700)).toBe(false);
    a.close();
    b.close();
  });
});
