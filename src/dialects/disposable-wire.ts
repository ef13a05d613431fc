// DisposableChat's socket frames (seed 003): mayfly's events rendered as its JSON, its client frames read as mayfly's.
import { eventJson, type RoomEvent } from '../realtime/events.ts';
import { CLOSE } from '../realtime/hub.ts';
import type { Message } from '../rooms/types.ts';

/** A message as DisposableChat shows it: `user` and `message` for mayfly's `username` and `content`; `seq` added. */
export function chatJson(roomId: string, m: Pick<Message, 'id' | 'seq' | 'username' | 'content' | 'timestamp'>) {
  return { id: m.id, type: 'chat' as const, user: m.username, message: m.content, timestamp: m.timestamp, room_id: roomId, seq: m.seq };
}

const notice = (roomId: string, type: 'user_joined' | 'user_left', user: string, message: string, timestamp: string, users: string[]) => ({
  id: crypto.randomUUID(),
  type,
  user,
  message,
  timestamp,
  room_id: roomId,
  users,
});

/**
 * The frame a DisposableChat socket gets for an event (rendered once per event, for every such socket).
 * Events DisposableChat has no word for (the owner's controls, the room's end) go out as mayfly's JSON,
 * which its clients ignore by type.
 */
export function renderDisposable(event: RoomEvent): string | null {
  switch (event.type) {
    case 'message':
      return JSON.stringify(chatJson(event.room_id, event));
    case 'user_joined':
      return JSON.stringify(
        notice(event.room_id, event.type, event.username, `${event.username} has joined`, event.timestamp, event.users),
      );
    case 'user_left':
      return JSON.stringify(notice(event.room_id, event.type, event.username, `${event.username} has left`, event.timestamp, event.users));
    case 'user_kicked':
      return JSON.stringify(
        notice(event.room_id, 'user_left', event.username, `${event.username} was removed by the owner`, event.timestamp, event.users),
      );
    case 'typing':
      return JSON.stringify({ type: 'typing', user: event.username });
    default:
      return eventJson(event);
  }
}

/** What a DisposableChat socket gets on opening: the recent messages, oldest first, as chat frames. */
export function disposableCatchUp(roomId: string, history: Message[]): string[] {
  return history.map((m) => JSON.stringify(chatJson(roomId, m)));
}

/**
 * A DisposableChat client frame in mayfly's terms: `{"type":"chat","message":"…"}` is a message; `typing` is
 * the same in both. Anything else is left as it is (and refused or taken by mayfly's rules).
 */
export function readDisposableFrame(json: unknown): unknown {
  if (json && typeof json === 'object' && (json as { type?: unknown }).type === 'chat') {
    return { type: 'message', content: (json as { message?: unknown }).message };
  }
  return json;
}

/**
 * DisposableChat refuses a connection by closing it with 1008 (policy violation): every refusal and
 * removal of mayfly's (4401, 4403, 4404, 4409, 4423, 4429) closes that way, with mayfly's reason. The
 * room's end (4410) is a normal closure (1000); 1011 and 1012 keep their meaning.
 */
export function disposableCloseCode(code: number): number {
  if (code === CLOSE.gone) return 1000;
  return code >= 4000 && code < 5000 ? 1008 : code;
}
