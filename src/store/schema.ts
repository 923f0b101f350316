/**
 * The one schema of the record store, as data, and its versioned migrations rendered for each engine. SQLite
 * and PostgreSQL are created from the same definitions, so they cannot drift apart by hand; a conformance test
 * reads both real schemas back and compares them with these definitions.
 *
 * Types: `text`, `int` (counts and flags: INTEGER in both), `time` (a point in time: ISO-8601 text in SQLite,
 * timestamptz in PostgreSQL), `serial` (a row id).
 */

export type Dialect = 'sqlite' | 'postgres';
export type ColumnType = 'text' | 'int' | 'time' | 'serial';

export interface Column {
  name: string;
  type: ColumnType;
  nullable?: boolean;
  primaryKey?: boolean;
  unique?: boolean;
}

export interface Table {
  name: string;
  columns: Column[];
}

export interface Index {
  name: string;
  table: string;
  columns: string[];
}

export type Step = { createTable: Table } | { addColumn: { table: string; column: Column } } | { createIndex: Index };

export interface Migration {
  version: number;
  name: string;
  steps: Step[];
}

const text = (name: string, o: Partial<Column> = {}): Column => ({ name, type: 'text', ...o });
const int = (name: string, o: Partial<Column> = {}): Column => ({ name, type: 'int', ...o });
const time = (name: string, o: Partial<Column> = {}): Column => ({ name, type: 'time', ...o });

/**
 * Version 1 is the schema the service shipped before migrations existed (SQLite files created by it already
 * hold these tables: IF NOT EXISTS keeps them). Later versions only add.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'cards and feedback',
    steps: [
      { createTable: { name: 'meta', columns: [text('key', { primaryKey: true }), text('value')] } },
      {
        createTable: {
          name: 'issued_card',
          columns: [
            text('card_uuid', { primaryKey: true }),
            text('service_id'),
            text('rule_id'),
            text('hook_instance'),
            text('patient_hash'),
            text('suggestion_uuids'),
            time('issued_at'),
          ],
        },
      },
      {
        createTable: {
          name: 'feedback',
          columns: [
            { name: 'id', type: 'serial', primaryKey: true },
            text('fingerprint', { unique: true }),
            text('service_id'),
            text('card_uuid'),
            int('card_known'),
            text('outcome'),
            text('accepted_suggestions', { nullable: true }),
            text('override_system', { nullable: true }),
            text('override_code', { nullable: true }),
            text('override_display', { nullable: true }),
            text('user_comment', { nullable: true }),
            time('outcome_timestamp'),
            time('received_at'),
          ],
        },
      },
      { createIndex: { name: 'feedback_card', table: 'feedback', columns: ['card_uuid'] } },
    ],
  },
  {
    version: 2,
    name: 'evaluations (the denominator of alert analytics) and card indicators',
    steps: [
      {
        createTable: {
          name: 'evaluation',
          columns: [
            text('evaluation_id', { primaryKey: true }),
            text('service_id'),
            text('rule_set_version'),
            text('hook_instance'),
            text('patient_hash'),
            int('order_count'),
            int('card_count'),
            time('evaluated_at'),
          ],
        },
      },
      { addColumn: { table: 'issued_card', column: text('evaluation_id', { nullable: true }) } },
      { addColumn: { table: 'issued_card', column: text('indicator', { nullable: true }) } },
      { createIndex: { name: 'evaluation_time', table: 'evaluation', columns: ['evaluated_at'] } },
      { createIndex: { name: 'issued_card_time', table: 'issued_card', columns: ['issued_at'] } },
      { createIndex: { name: 'issued_card_evaluation', table: 'issued_card', columns: ['evaluation_id'] } },
    ],
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;

function columnSql(c: Column, dialect: Dialect): string {
  if (c.type === 'serial') return dialect === 'postgres' ? `${c.name} BIGSERIAL PRIMARY KEY` : `${c.name} INTEGER PRIMARY KEY`;
  const type = c.type === 'int' ? 'INTEGER' : c.type === 'time' && dialect === 'postgres' ? 'TIMESTAMPTZ' : 'TEXT';
  const parts = [c.name, type];
  if (c.primaryKey) parts.push('PRIMARY KEY');
  else if (!c.nullable) parts.push('NOT NULL');
  if (c.unique) parts.push('UNIQUE');
  return parts.join(' ');
}

/** The SQL statements of one migration, for one engine. */
export function migrationSql(m: Migration, dialect: Dialect): string[] {
  return m.steps.map((step) => {
    if ('createTable' in step) {
      const t = step.createTable;
      return `CREATE TABLE IF NOT EXISTS ${t.name} (${t.columns.map((c) => columnSql(c, dialect)).join(', ')})`;
    }
    if ('addColumn' in step) return `ALTER TABLE ${step.addColumn.table} ADD COLUMN ${columnSql(step.addColumn.column, dialect)}`;
    const i = step.createIndex;
    return `CREATE INDEX IF NOT EXISTS ${i.name} ON ${i.table}(${i.columns.join(', ')})`;
  });
}

/** Every table with its columns after all migrations (what the conformance test compares the real schemas to). */
export function finalTables(): Map<string, Column[]> {
  const tables = new Map<string, Column[]>();
  for (const m of MIGRATIONS) {
    for (const step of m.steps) {
      if ('createTable' in step) tables.set(step.createTable.name, [...step.createTable.columns]);
      else if ('addColumn' in step) tables.get(step.addColumn.table)?.push(step.addColumn.column);
    }
  }
  return tables;
}
