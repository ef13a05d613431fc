// The room sockets: /live streams HTML fragments to htmx, /ws speaks the JSON protocol (docs/websocket.md).
import type { WebSocketHandler } from 'bun';
import { Hono } from 'hono';
import type { Deps } from '../deps.ts';
import { errorEvent, historyEvent } from '../realtime/events.ts';
import { CLOSE, type Socket, type SocketData, type SocketKind } from '../realtime/hub.ts';
import { RoomError } from '../rooms/errors.ts';
import { parseClientFrame, Username } from '../rooms/schema.ts';
import type { Member } from '../rooms/service.ts';
import { StorageBusyError } from '../storage/store.ts';
import { messageJson } from './present.ts';
import { renderCatchUp, renderError } from '../views/fragments.tsx';
import type { AppEnv } from './env.ts';
import { memberToken, siteOrigin } from './http.ts';

const CLOSE_FOR: Partial<Record<RoomError['code'], number>> = {
  not_found: CLOSE.notFound,
  unauthorized: CLOSE.unauthenticated,
  room_full: CLOSE.full,
  name_taken: CLOSE.full,
  name_reserved: CLOSE.forbidden,
};

/** Upgrade routes: authenticate first, then upgrade; refusals become close codes once open. */
export function socketRoutes() {
  const app = new Hono<AppEnv>();
  for (const kind of ['live', 'ws'] as const) {
    app.get(`/rooms/:id/${kind}`, async (c) => {
      const server = c.env;
      if (c.req.header('upgrade')?.toLowerCase() !== 'websocket') {
        return c.json({ error: { code: 'upgrade_required', message: 'This URL is a WebSocket.' } }, 426);
      }
      const origin = c.req.header('origin');
      if (origin && origin !== siteOrigin(c)) {
        return c.json({ error: { code: 'forbidden_origin', message: 'WebSocket connections from other sites are refused.' } }, 403);
      }
      const data = await admit(c.var.deps, kind, c.req.param('id'), {
        token: memberToken(c, { query: kind === 'ws' }),
        username: c.req.query('username') ?? c.req.query('display_name'),
        since: c.req.query('since'),
      });
      if (server.upgrade(c.req.raw, { data })) return new Response(null);
      return c.json({ error: { code: 'upgrade_failed', message: 'WebSocket upgrade failed.' } }, 400);
    });
  }
  return app;
}

async function admit(
  deps: Deps,
  kind: SocketKind,
  roomId: string,
  q: { token: string | null; username?: string; since?: string },
): Promise<SocketData> {
  const since = q.since !== undefined && /^\d+$/.test(q.since) ? Number(q.since) : null;
  const data: SocketData = { kind, roomId, tokenHash: '', identity: null!, since, pending: null, strikes: 0 };
  const reject = (code: number, reason: string) => ({ ...data, reject: { code, reason } });
  try {
    const room = await deps.rooms.get(roomId); // 4404 when gone; arms this instance's expiry timer
    let member: Member | null = await deps.rooms.authenticate(roomId, q.token);
    if (member) {
      await deps.rooms.present(roomId, member, 'socket');
    } else if (kind === 'ws' && !room.passwordHash && !q.token) {
      const name = q.username === undefined ? undefined : Username.safeParse(q.username);
      if (name && !name.success) return reject(CLOSE.forbidden, `invalid username: ${name.error.issues[0]?.message}`);
      member = await deps.rooms.joinGuest(room, name?.data);
    } else {
      return reject(CLOSE.unauthenticated, room.passwordHash ? 'join with the password first' : 'not a member of this room');
    }
    return { ...data, tokenHash: member.tokenHash, identity: member.identity };
  } catch (err) {
    if (err instanceof RoomError) return reject(CLOSE_FOR[err.code] ?? CLOSE.forbidden, err.message);
    deps.log.warn('socket admission failed', { room_id: roomId, error: err instanceof Error ? err.message : String(err) });
    return reject(1011, 'storage unavailable');
  }
}

/** How often, at most, a socket is told of messages refused because storage is busy. */
export const BUSY_NOTICE_MS = 5000;

/** The socket's member, made once per socket (not per frame). */
const memberOf = (ws: Socket): Member => (ws.data.member ??= { token: '', tokenHash: ws.data.tokenHash, identity: ws.data.identity });

export function socketHandlers(deps: Deps): WebSocketHandler<SocketData> {
  const { hub, rooms, log, config } = deps;

  const sendError = (ws: Socket, code: string, message: string) => {
    if (ws.data.kind === 'ws') ws.send(JSON.stringify(errorEvent(ws.data.roomId, code, message)));
    else ws.send(renderError(message));
  };

  // Under overload, an error frame per refused message would cost a write each and deepen the
  // overload: a socket hears of its first refused message at once, then of the rest at most every
  // BUSY_NOTICE_MS, with their count.
  const tellBusy = (ws: Socket) => {
    const n = ws.data.busyRefused ?? 0;
    ws.data.busyRefused = 0;
    ws.data.busyAt = performance.now();
    if (n === 0 || ws.readyState !== 1) return;
    sendError(
      ws,
      'storage_busy',
      `Too many messages are waiting for storage: ${n === 1 ? 'your message was' : `${n} of your messages were`} not sent. Try again in a moment.`,
    );
  };
  const refuseBusy = (ws: Socket) => {
    ws.data.busyRefused = (ws.data.busyRefused ?? 0) + 1;
    const since = ws.data.busyAt === undefined ? Infinity : performance.now() - ws.data.busyAt;
    if (since >= BUSY_NOTICE_MS) return tellBusy(ws);
    if (ws.data.busyRefused === 1) setTimeout(() => tellBusy(ws), BUSY_NOTICE_MS - since); // the rest, together
  };

  return {
    maxPayloadLength: config.MAX_FRAME_BYTES,
    idleTimeout: 120,
    sendPings: true,
    backpressureLimit: 1024 * 1024,
    closeOnBackpressureLimit: true,

    async open(ws) {
      if (ws.data.reject) {
        ws.close(ws.data.reject.code, ws.data.reject.reason);
        return;
      }
      const { roomId, kind, since } = ws.data;
      try {
        await hub.attach(ws);
        const [history, users] = await Promise.all([
          rooms.history(roomId, since !== null ? { afterSeq: since } : {}),
          kind === 'ws' ? rooms.users(roomId) : Promise.resolve([]),
        ]);
        const lastSeq = history.length ? history[history.length - 1]!.seq : (since ?? 0);
        if (kind === 'ws') ws.send(JSON.stringify(historyEvent(roomId, history, users)));
        else {
          const frame = renderCatchUp(history.map((m) => messageJson(roomId, m)));
          if (frame) ws.send(frame);
        }
        hub.ready(ws, lastSeq);
      } catch (err) {
        log.warn('socket open failed', { room_id: roomId, error: err instanceof Error ? err.message : String(err) });
        ws.close(1011, 'storage unavailable');
      }
    },

    async message(ws, raw) {
      if (ws.data.reject) return;
      const { roomId } = ws.data;
      if (typeof raw !== 'string') return sendError(ws, 'binary_not_supported', 'Send text frames containing JSON.');
      let json: unknown;
      try {
        json = JSON.parse(raw);
      } catch {
        return sendError(ws, 'invalid_json', 'That frame is not valid JSON.');
      }
      const frame = parseClientFrame(json);
      if (!frame.success) {
        const issue = frame.error.issues[0];
        const what = issue?.path.length
          ? `${issue.path.join('.')}: ${issue.message}`
          : 'expected {"type":"message","content":"…"} or {"type":"typing"}';
        return sendError(ws, 'invalid_frame', `Invalid frame (${what}).`);
      }
      try {
        if (frame.data.type === 'message') {
          await rooms.post(roomId, memberOf(ws), frame.data.content);
          ws.data.strikes = 0;
        } else {
          const now = performance.now();
          if (ws.data.typingAt !== undefined && now - ws.data.typingAt < 1000) return;
          ws.data.typingAt = now;
          await rooms.typing(roomId, memberOf(ws));
        }
      } catch (err) {
        if (err instanceof RoomError) {
          sendError(ws, err.code, err.message);
          if (err.code === 'too_many_messages' && ++ws.data.strikes > config.MESSAGE_BURST) ws.close(CLOSE.tooMany, 'too many messages');
          if (err.code === 'not_found') ws.close(CLOSE.gone, 'room gone');
          return;
        }
        if (err instanceof StorageBusyError) return refuseBusy(ws);
        log.warn('socket frame failed', { room_id: roomId, error: err instanceof Error ? err.message : String(err) });
        sendError(ws, 'storage_unavailable', 'Storage is unavailable; your message was not sent. Try again shortly.');
      }
    },

    async close(ws) {
      if (ws.data.reject) return;
      const { lastForToken } = hub.detach(ws);
      if (!lastForToken) return;
      try {
        await rooms.disconnected(ws.data.roomId, memberOf(ws));
      } catch (err) {
        log.warn('socket close cleanup failed', { room_id: ws.data.roomId, error: err instanceof Error ? err.message : String(err) });
      }
    },
  };
}
