// Optional accounts and their login sessions, kept through the same unstorage backend as rooms.
import type { Storage } from 'unstorage';
import { nameKey } from '../rooms/names.ts';

export type Account = { username: string; passwordHash: string; createdAt: number };
export type Session = { username: string; expiresAt: number };

/** Writes a key only if it does not exist yet; true when this caller wrote it. */
export type ClaimKey = (key: string, value: unknown) => Promise<boolean>;

/** Accounts are keyed by nameKey, so a lookalike of a registered name finds (and is refused by) it. */
const fold = (username: string) => encodeURIComponent(nameKey(username));
const keys = {
  account: (username: string) => `account:${fold(username)}`,
  sessions: (username: string) => `account:${fold(username)}:sessions`,
  session: (tokenHash: string) => `session:${tokenHash}`,
  /** Where accounts registered before names were keyed by nameKey live (lower case only). */
  legacy: (username: string) => `account:${encodeURIComponent(username.toLowerCase())}`,
};

export class AccountStore {
  constructor(
    private storage: Storage,
    private claimKey: ClaimKey,
  ) {}

  /** False when the name or a lookalike of it is taken (same nameKey); atomic across instances. */
  register(account: Account): Promise<boolean> {
    return this.claimKey(keys.account(account.username), account);
  }

  async get(username: string): Promise<Account | null> {
    const account = await this.storage.getItem<Account>(keys.account(username));
    if (account) return account;
    const legacy = keys.legacy(username);
    return legacy === keys.account(username) ? null : ((await this.storage.getItem<Account>(legacy)) ?? null);
  }

  async exists(username: string): Promise<boolean> {
    if (await this.storage.hasItem(keys.account(username))) return true;
    const legacy = keys.legacy(username);
    return legacy !== keys.account(username) && this.storage.hasItem(legacy);
  }

  async createSession(tokenHash: string, session: Session): Promise<void> {
    const ttl = Math.ceil((session.expiresAt - Date.now()) / 1000);
    await this.storage.setItem(keys.session(tokenHash), session, { ttl });
    const list = (await this.storage.getItem<string[]>(keys.sessions(session.username))) ?? [];
    await this.storage.setItem(keys.sessions(session.username), [...list.slice(-49), tokenHash]);
  }

  /** The live session for a token hash; expired ones are removed on sight. */
  async session(tokenHash: string): Promise<Session | null> {
    const s = await this.storage.getItem<Session>(keys.session(tokenHash));
    if (!s) return null;
    if (s.expiresAt <= Date.now()) {
      await this.storage.removeItem(keys.session(tokenHash));
      return null;
    }
    return s;
  }

  async deleteSession(tokenHash: string): Promise<void> {
    await this.storage.removeItem(keys.session(tokenHash));
  }

  /** Removes the account and every session it had. */
  async delete(username: string): Promise<void> {
    const list = (await this.storage.getItem<string[]>(keys.sessions(username))) ?? [];
    await Promise.all(list.map((t) => this.storage.removeItem(keys.session(t))));
    await this.storage.removeItem(keys.sessions(username));
    await this.storage.removeItem(keys.account(username));
    await this.storage.removeItem(keys.legacy(username));
  }
}

/** ClaimKey for single-process backends (memory, SQLite): check-and-set behind one lock. */
export function localClaim(storage: Storage): ClaimKey {
  let chain: Promise<unknown> = Promise.resolve();
  return (key, value) => {
    const run = chain.then(async () => {
      if (await storage.hasItem(key)) return false;
      await storage.setItem(key, value as string);
      return true;
    });
    chain = run.catch(() => {});
    return run;
  };
}
