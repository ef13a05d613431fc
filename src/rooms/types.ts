// The room domain's data: what a room, a member's identity, a seat and a message are.

export type Room = {
  id: string;
  name: string;
  ownerName: string;
  createdAt: number; // epoch ms
  expiresAt: number; // epoch ms
  maxUsers: number;
  idleSeconds: number | null;
  passwordHash: string | null;
  /** sha256 of the API owner token; null for rooms created in the browser, and once the room is handed over. */
  ownerTokenHash: string | null;
  /** No new joins (nor join requests) while locked; members keep chatting. */
  locked?: boolean;
  /** Joining asks the owner, who approves or denies each request. */
  approveJoins?: boolean;
  /**
   * End-to-end encrypted: the name and every message are envelopes (src/e2e/envelope.ts) that only
   * holders of the key in the link's fragment can open; the server checks their shape and keeps them as they are.
   */
  e2e?: boolean;
};

/** Who holds a token in a room: kept from join until leave (or the room's end). */
export type Identity = {
  memberId: string;
  username: string;
  owner: boolean;
  verified: boolean;
  /** WebSocket guests of passwordless rooms: forgotten as soon as their socket closes. */
  guest: boolean;
  /**
   * Set while this is a request to join (a room that asks its owner), not yet a member: the token
   * admits nobody until the owner approves (the identity is then stored without it). Denied ones stay
   * to tell the asker; a pending one lapses at `until`.
   */
  request?: JoinRequest;
};

export type JoinRequest = {
  id: string;
  status: 'pending' | 'denied';
  at: number;
  until: number;
  /** The asker's name by nameKey (set by the store: its scripts compare waiting names). */
  fold?: string;
};

/** A seat held by a present member; it lapses at `leaseUntil` unless renewed. */
export type Seat = {
  tokenHash: string;
  memberId: string;
  username: string;
  leaseUntil: number;
};

export type Message = {
  id: string;
  seq: number;
  username: string;
  memberId: string;
  content: string;
  timestamp: string; // ISO 8601
  verified: boolean;
};

export type MessageDraft = Omit<Message, 'seq'>;

/**
 * What taking a seat came to. Refusals: full, taken (the name), gone (the room), unknown (no such member),
 * locked (the room takes nobody new), approval (new people ask the owner first), banned (the owner removed that name),
 * answered (an approval of a request that is no longer waiting: answered meanwhile, maybe elsewhere).
 */
export type SeatClaim =
  | { ok: true; fresh: boolean; users: string[] }
  | { ok: false; reason: 'full' | 'taken' | 'gone' | 'unknown' | 'locked' | 'approval' | 'banned' | 'answered' };
