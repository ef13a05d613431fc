// Optional accounts: register, log in and out, delete; a registered name is reserved in every room.
import { nanoid } from 'nanoid';
import { z } from 'zod';
import { hashToken } from '../rooms/service.ts';
import { RoomError } from '../rooms/errors.ts';
import type { Limits } from '../rooms/limits.ts';
import { nameKey } from '../rooms/names.ts';
import { text, Username } from '../rooms/schema.ts';
import type { AccountStore } from '../storage/account-store.ts';

export const RegisterSchema = z.object({
  username: Username,
  password: text().min(8, 'must be at least 8 characters').max(128, 'must be at most 128 characters'),
});
export const LoginSchema = z.object({
  username: text().normalize('NFKC').trim().min(1, 'is required').max(64),
  password: text().min(1, 'is required').max(128),
});

export type AccountErrorCode =
  | 'username_taken'
  | 'invalid_credentials'
  | 'too_many_attempts'
  | 'rate_limited'
  | 'too_many_password_checks'
  | 'busy';

export class AccountError extends Error {
  constructor(
    readonly code: AccountErrorCode,
    readonly status: number,
    message: string,
    /** For refusals by a limit: when a new try can succeed (Retry-After). */
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

export const SESSION_MS = 7 * 24 * 3600 * 1000;
// Verifying against this when the account does not exist takes as long as a real check.
const DUMMY_HASH = Bun.password.hashSync('not-a-real-password', { algorithm: 'argon2id' });

/** Runs argon2 work under the per-address and at-once bounds (the room service's). */
export type PasswordWork = <T>(address: string, work: () => Promise<T>) => Promise<T>;

export class AccountService {
  constructor(
    private store: AccountStore,
    private limits: Limits,
    private passwordWork: PasswordWork,
  ) {}

  /** Password work; the room service's refusals become account errors (same code and status). */
  private async guarded<T>(address: string, work: () => Promise<T>): Promise<T> {
    try {
      return await this.passwordWork(address, work);
    } catch (err) {
      if (err instanceof RoomError && (err.code === 'too_many_password_checks' || err.code === 'busy')) {
        throw new AccountError(err.code, err.status, err.message, err.retryAfterMs);
      }
      throw err;
    }
  }

  async register(username: string, password: string, address: string): Promise<void> {
    const allowed = await this.limits.consume('create', address, address);
    if (!allowed.ok) throw new AccountError('rate_limited', 429, 'Too many requests; wait a minute.', allowed.retryAfterMs);
    const passwordHash = await this.guarded(address, () => Bun.password.hash(password, { algorithm: 'argon2id' }));
    const created = await this.store.register({ username, passwordHash, createdAt: Date.now() });
    if (!created) throw new AccountError('username_taken', 409, 'That name is already registered.');
  }

  /** A session token; one generic error for any wrong credentials. */
  async login(username: string, password: string, address: string): Promise<{ token: string; username: string }> {
    const key = `${address}|${nameKey(username)}`;
    const allowed = await this.limits.check('login', key);
    if (!allowed.ok) throw new AccountError('too_many_attempts', 429, 'Too many login attempts; wait a minute.', allowed.retryAfterMs);
    const account = await this.store.get(username);
    const ok = await this.guarded(address, () => Bun.password.verify(password, account?.passwordHash ?? DUMMY_HASH));
    if (!account || !ok) {
      await this.limits.consume('login', key);
      throw new AccountError('invalid_credentials', 401, 'Wrong username or password.');
    }
    const token = nanoid(32);
    await this.store.createSession(hashToken(token), { username: account.username, expiresAt: Date.now() + SESSION_MS });
    return { token, username: account.username };
  }

  /** The account name a session token belongs to, or null. */
  async whoami(token: string | null | undefined): Promise<string | null> {
    if (!token) return null;
    const session = await this.store.session(hashToken(token));
    if (!session) return null;
    // A deleted account's sessions die with it even if one was missed.
    return (await this.store.exists(session.username)) ? session.username : null;
  }

  async logout(token: string): Promise<void> {
    await this.store.deleteSession(hashToken(token));
  }

  async deleteAccount(username: string): Promise<void> {
    await this.store.delete(username);
  }

  isReserved(username: string): Promise<boolean> {
    return this.store.exists(username);
  }
}
