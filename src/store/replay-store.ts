/**
 * A jti replay cache shared by every worker process: SQLite with WAL lets several processes insert
 * concurrently, and INSERT OR IGNORE makes "check and remember" one atomic step. Used when the service runs
 * on more than one process (server.workers / WEB_CONCURRENCY > 1); one process uses the in-memory cache.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

export interface SharedReplayCache {
  /** true when key was not seen before (and is now remembered until expiresAtSec); false on a replay. */
  checkAndRemember(key: string, expiresAtSec: number): boolean;
  close(): void;
}
// Synchronous (better-sqlite3) and so also a ReplayCache (src/auth/replayCache.ts), which may be either.

export function openReplayStore(file: string, nowSec: () => number = () => Math.floor(Date.now() / 1000)): SharedReplayCache {
  if (file !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  // Busy timeout first: two workers opening a new file at once must wait for each other, not fail.
  const db = new Database(file, { timeout: 10_000 });
  db.pragma('busy_timeout = 10000');
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec('CREATE TABLE IF NOT EXISTS seen_jti (key TEXT PRIMARY KEY, expires_at INTEGER NOT NULL) WITHOUT ROWID');
  const insert = db.prepare('INSERT OR IGNORE INTO seen_jti(key, expires_at) VALUES (?, ?)');
  const takeOver = db.prepare('UPDATE seen_jti SET expires_at = ? WHERE key = ? AND expires_at < ?');
  const purge = db.prepare('DELETE FROM seen_jti WHERE expires_at < ?');
  let calls = 0;
  return {
    checkAndRemember(key, expiresAtSec) {
      const now = nowSec();
      if (++calls % 1000 === 0) purge.run(now);
      if (insert.run(key, expiresAtSec).changes === 1) return true;
      // A remembered jti whose token has expired may be reused only by a token that is itself still valid.
      return takeOver.run(expiresAtSec, key, now).changes === 1;
    },
    close: () => db.close(),
  };
}
