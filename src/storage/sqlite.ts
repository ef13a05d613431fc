// SQLite storage for one VPS that keeps rooms across restarts: unstorage's db0 driver over bun:sqlite.
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { createDatabase } from 'db0';
import bunSqlite from 'db0/connectors/bun-sqlite';
import { createStorage, type Storage } from 'unstorage';
import dbDriver from 'unstorage/drivers/db0';

/** Storage that can wipe what was deleted from its files (see Kv.scrub). */
export type SqliteStorage = Storage & { scrub(): Promise<void> };

export async function openSqliteStorage(path: string): Promise<SqliteStorage> {
  const file = resolve(path || './data/mayfly.db');
  mkdirSync(dirname(file), { recursive: true });
  const database = createDatabase(bunSqlite({ path: file }));
  await database.exec('PRAGMA journal_mode = WAL');
  await database.exec('PRAGMA synchronous = NORMAL');
  // Deleted rows are overwritten with zeros, not left in freed pages for anyone who reads the file.
  await database.exec('PRAGMA secure_delete = ON');
  const storage = createStorage({ driver: dbDriver({ database, tableName: 'mayfly' }) }) as SqliteStorage;
  // The WAL still holds the pages as they were before a delete until a checkpoint copies the new ones
  // into the database; TRUNCATE then empties the WAL file. Cheap: the WAL holds only recent writes.
  storage.scrub = async () => {
    await database.exec('PRAGMA wal_checkpoint(TRUNCATE)');
  };
  const dispose = storage.dispose.bind(storage);
  // Closing the database ends every later query with an error, so it happens last, once.
  storage.dispose = async () => {
    await dispose();
    const db = (await database.getInstance()) as { close?: () => void };
    db.close?.();
  };
  return storage;
}
