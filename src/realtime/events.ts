// Room events: what the broker carries between instances and what JSON clients receive.
import type { Message } from '../rooms/types.ts';

type Base = { room_id: string; timestamp: string };

export type MessageEvent = Base & { type: 'message' } & Omit<Message, 'memberId'> & { member_id: string };
export type PresenceEvent = Base & { type: 'user_joined' | 'user_left'; username: string; users: string[] };
export type TypingEvent = Base & { type: 'typing'; username: string; member_id: string };
export type EndEvent = Base & { type: 'room_expired' | 'room_destroyed' };

// The owner's controls, told to everyone in the room.
/** A member was removed by the owner (their sockets close with 4403); users: who is here now. */
export type KickEvent = Base & { type: 'user_kicked'; username: string; users: string[] };
export type LockEvent = Base & { type: 'room_locked' | 'room_unlocked' };
export type ApprovalEvent = Base & { type: 'approval_changed'; approve_joins: boolean };
export type ExtendEvent = Base & { type: 'room_extended'; expires_at: string };
/**
 * reason: the owner handed the room over; or left it (to the member present longest); or nobody owned it
 * (the owner had left with nobody else here) and this is the first to join since.
 */
export type OwnerEvent = Base & {
  type: 'owner_changed';
  username: string;
  member_id: string;
  previous: string | null;
  reason: 'handed_over' | 'owner_left' | 'unowned';
};

// Sent only to the owner's sockets.
/** Someone asks to join (rooms that ask the owner); expires_at: when the request lapses unanswered. */
export type JoinRequestEvent = Base & { type: 'join_request'; request_id: string; username: string; expires_at: string };
/** A request was answered (by this or another of the owner's pages), or withdrawn by its asker: it leaves the list. */
export type JoinRequestClosedEvent = Base & {
  type: 'join_request_closed';
  request_id: string;
  username: string;
  status: 'approved' | 'denied' | 'withdrawn';
};

export type OwnerOnlyEvent = JoinRequestEvent | JoinRequestClosedEvent;

export type RoomEvent =
  | MessageEvent
  | PresenceEvent
  | TypingEvent
  | EndEvent
  | KickEvent
  | LockEvent
  | ApprovalEvent
  | ExtendEvent
  | OwnerEvent
  | OwnerOnlyEvent;

/** Events that go to the owner's sockets only. */
export const isOwnerOnly = (event: { type: string }): event is OwnerOnlyEvent =>
  event.type === 'join_request' || event.type === 'join_request_closed';

/**
 * Internal, between instances only (never sent to a client): a member's presence ended (they left,
 * or were removed), so every instance closes that member's sockets.
 */
export type MemberRemovedEvent = { type: 'member_removed'; room_id: string; member_id: string; reason: RemovalReason };
export type RemovalReason = 'left' | 'kicked';

/** What the broker carries: the room events clients get, and the internal ones the hub acts on. */
export type BrokerEvent = RoomEvent | MemberRemovedEvent;

export type HistoryEvent = Base & {
  type: 'history';
  users: string[];
  messages: Array<Omit<MessageEvent, 'room_id' | 'timestamp' | 'type'> & { type: 'message'; room_id: string; timestamp: string }>;
};
export type ErrorEvent = Base & { type: 'error'; code: string; message: string };

const now = () => new Date().toISOString();

export function messageEvent(roomId: string, m: Message): MessageEvent {
  return {
    type: 'message',
    room_id: roomId,
    id: m.id,
    seq: m.seq,
    username: m.username,
    member_id: m.memberId,
    content: m.content,
    verified: m.verified,
    timestamp: m.timestamp,
  };
}

/** A stored message event (JSON) back as a Message. */
export function messageFromEventJson(json: string): Message {
  const e = JSON.parse(json) as MessageEvent;
  return {
    seq: e.seq,
    id: e.id,
    username: e.username,
    memberId: e.member_id,
    content: e.content,
    timestamp: e.timestamp,
    verified: e.verified,
  };
}

// What JSON.stringify escapes in a string: quote, backslash, control characters, (lone) surrogates.
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;
/** A string as JSON: most need no escaping, and skipping JSON.stringify for those is much cheaper. */
const q = (s: string): string => (NEEDS_ESCAPE.test(s) ? JSON.stringify(s) : `"${s}"`);

/**
 * A message event without its seq, as JSON: the Redis store's script splices the seq in as it
 * appends. Written out directly (the same keys and order as JSON.stringify of messageEvent minus
 * seq): it runs once per message. Room, message and member ids (nanoid and counter alphabets) and
 * the ISO timestamp are mayfly's own and never need escaping; names and content may.
 */
export function messageEventJsonWithoutSeq(roomId: string, m: Omit<Message, 'seq'>): string {
  return `{"type":"message","room_id":"${roomId}","id":"${m.id}","username":${q(m.username)},"member_id":"${m.memberId}","content":${q(m.content)},"verified":${m.verified === true},"timestamp":"${m.timestamp}"}`;
}

export function presenceEvent(roomId: string, type: PresenceEvent['type'], username: string, users: string[]): PresenceEvent {
  return { type, room_id: roomId, timestamp: now(), username, users };
}

export function typingEvent(roomId: string, username: string, memberId: string): TypingEvent {
  return { type: 'typing', room_id: roomId, timestamp: now(), username, member_id: memberId };
}

export function endEvent(roomId: string, type: EndEvent['type']): EndEvent {
  return { type, room_id: roomId, timestamp: now() };
}

/** One of the owner's controls as an event (everything but `type` is the event's own fields). */
export function ownerEvent<E extends KickEvent | LockEvent | ApprovalEvent | ExtendEvent | OwnerEvent | OwnerOnlyEvent>(
  roomId: string,
  event: Omit<E, 'room_id' | 'timestamp'>,
): E {
  return { ...event, room_id: roomId, timestamp: now() } as E;
}

export function memberRemovedEvent(roomId: string, memberId: string, reason: RemovalReason): MemberRemovedEvent {
  return { type: 'member_removed', room_id: roomId, member_id: memberId, reason };
}

export function historyEvent(roomId: string, messages: Message[], users: string[]): HistoryEvent {
  return { type: 'history', room_id: roomId, timestamp: now(), users, messages: messages.map((m) => messageEvent(roomId, m)) };
}

export function errorEvent(roomId: string, code: string, message: string): ErrorEvent {
  return { type: 'error', room_id: roomId, timestamp: now(), code, message };
}

// The JSON an event arrived as (from Redis): /ws sockets get it as is, with no second stringify.
const wire = new WeakMap<BrokerEvent, string>();
export function withWireJson(event: BrokerEvent, json: string): BrokerEvent {
  wire.set(event, json);
  return event;
}
/** The /ws frame for an event: the JSON it arrived as, else a fresh stringify. */
export const eventJson = (event: RoomEvent): string => wire.get(event) ?? JSON.stringify(event);
