// JSON representations of rooms and messages for API clients.
import type { RequestStatus } from '../rooms/service.ts';
import type { Room, Message } from '../rooms/types.ts';
import { messageEvent } from '../realtime/events.ts';
import { wsOrigin } from './http.ts';

/** latest: the latest the owner can extend the room to (shown to members). */
export function roomJson(room: Room, origin: string, users: string[] | null, latest?: number) {
  const base = {
    room_id: room.id,
    password_protected: !!room.passwordHash,
    locked: !!room.locked,
    approve_joins: !!room.approveJoins,
    // End-to-end encrypted: `name` and every message's content are envelopes (docs/api.md).
    e2e: !!room.e2e,
    expires_at: new Date(room.expiresAt).toISOString(),
    expires_in_seconds: Math.max(0, Math.round((room.expiresAt - Date.now()) / 1000)),
    url: `${origin}/rooms/${room.id}`,
    ws_url: `${wsOrigin(origin)}/rooms/${room.id}/ws`,
  };
  // A password room shows nothing more to someone who has not joined it.
  if (users === null) return base;
  return {
    ...base,
    name: room.name,
    // Empty once the owner left with nobody else here (the next to join becomes the owner).
    owner_name: room.ownerName || null,
    created_at: new Date(room.createdAt).toISOString(),
    max_users: room.maxUsers,
    idle_seconds: room.idleSeconds,
    ...(latest ? { max_expires_at: new Date(latest).toISOString() } : {}),
    users,
    user_count: users.length,
  };
}

export const messageJson = (roomId: string, m: Message) => messageEvent(roomId, m);

/** A request to join as JSON. */
export function requestJson(roomId: string, r: RequestStatus, origin?: string) {
  return {
    request_id: r.requestId,
    room_id: roomId,
    username: r.username,
    status: r.status,
    expires_at: new Date(r.until).toISOString(),
    ...(origin ? { status_url: `${origin}/rooms/${roomId}/requests/${r.requestId}` } : {}),
  };
}
