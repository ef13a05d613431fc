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
  /** sha256 of the API owner token, or null for rooms created in the browser. */
  ownerTokenHash: string | null;
};

/** Who holds a token in a room: kept from join until leave (or the room's end). */
export type Identity = {
  memberId: string;
  username: string;
  owner: boolean;
  verified: boolean;
  /** WebSocket guests of passwordless rooms: forgotten as soon as their socket closes. */
  guest: boolean;
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

export type SeatClaim = { ok: true; fresh: boolean; users: string[] } | { ok: false; reason: 'full' | 'taken' | 'gone' | 'unknown' };
