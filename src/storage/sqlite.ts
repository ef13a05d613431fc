// SQLite storage for one VPS that keeps rooms across restarts: unstorage's db0 driver over bun:sqlite.
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { createDatabase } from 'db0';
import bunSqlite from 'db0/connectors/bun-sqlite';
import { createStorage, type Storage } from 'unstorage';
import dbDriver from 'unstorage/drivers/db0';

export async function openSqliteStorage(path: string): Promise<Storage> {
  const file = resolve(path || './data/mayfly.db');
  mkdirSync(dirname(file), { recursive: true });
  const database = createDatabase(bunSqlite({ path: file }));
  await database.exec('PRAGMA journal_mode = WAL');
  await database.exec('PRAGMA synchronous = NORMAL');
  const storage = createStorage({ driver: dbDriver({ database, tableName: 'mayfly' }) });
  const dispose = storage.dispose.bind(storage);
  // Closing the database ends every later query with an error, so it happens last, once.
  storage.dispose = async () => {
    await dispose();
    const db = (await database.getInstance()) as { close?: () => void };
    db.close?.();
  };
  return storage;
}
