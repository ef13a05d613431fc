// DisposableChat's sessions (seed 003): a name and the rooms it joined, in the accounts' storage, gone after a while unused.
import type { Storage } from 'unstorage';
import { hashToken } from '../rooms/service.ts';

/** A session as stored (under the hash of its id): its name, the rooms it joined, when it lapses. */
export type DisposableSession = { username: string; rooms: string[]; expiresAt: number };

/** A session id is a random UUID, as DisposableChat's are: a shape none of mayfly's own tokens has. */
const SESSION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isSessionId = (value: string | null | undefined): value is string => !!value && SESSION_ID.test(value);

/** The rooms a session keeps track of, at most (the oldest are forgotten first). */
const MAX_ROOMS = 50;

export class DisposableSessions {
  constructor(
    private storage: Storage,
    /** How long a session lasts without use (DISPOSABLE_SESSION_SECONDS). */
    private seconds: number,
  ) {}

  private key = (id: string) => `disposable:session:${hashToken(id)}`;

  /** A new session for `username` (already checked); its id is the only copy of the secret. */
  async create(username: string): Promise<{ id: string; session: DisposableSession }> {
    const id = crypto.randomUUID();
    return { id, session: await this.save(id, { username, rooms: [], expiresAt: 0 }) };
  }

  /** The live session of an id, or null; one that lapsed is removed on sight. */
  async get(id: string | null | undefined): Promise<DisposableSession | null> {
    if (!isSessionId(id)) return null;
    const session = await this.storage.getItem<DisposableSession>(this.key(id));
    if (!session) return null;
    if (session.expiresAt <= Date.now()) {
      await this.storage.removeItem(this.key(id));
      return null;
    }
    return session;
  }

  /** Stores the session with its lifetime renewed: every use of a session counts as use. */
  async save(id: string, session: DisposableSession): Promise<DisposableSession> {
    const renewed = { ...session, rooms: session.rooms.slice(-MAX_ROOMS), expiresAt: Date.now() + this.seconds * 1000 };
    await this.storage.setItem(this.key(id), renewed, { ttl: this.seconds });
    return renewed;
  }

  /** True for a bearer that is a DisposableChat session id by its shape (mayfly's own tokens never are). */
  owns(bearer: string | null | undefined): boolean {
    return isSessionId(bearer);
  }

  /** Renews a session that is still alive (a socket of it just closed). */
  async touch(id: string): Promise<void> {
    const session = await this.get(id);
    if (session) await this.save(id, session);
  }

  async end(id: string): Promise<void> {
    await this.storage.removeItem(this.key(id));
  }

  /**
   * The session's member token in a room, derived from the session id (an HMAC): the same member on every
   * call, and no room token kept in storage.
   */
  roomToken(id: string, roomId: string): string {
    return new Bun.CryptoHasher('sha256', id).update(`room:${roomId}`).digest('base64url');
  }
}
