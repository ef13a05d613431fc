// The room sockets: /live streams HTML fragments to htmx, /ws speaks the JSON protocol (docs/websocket.md).
import type { WebSocketHandler } from 'bun';
import { type Context, Hono } from 'hono';
import { disposableCatchUp, readDisposableFrame } from '../dialects/disposable-wire.ts';
import type { Deps } from '../deps.ts';
import { errorEvent, historyEvent } from '../realtime/events.ts';
import { CLOSE, type Socket, type SocketData, type SocketKind } from '../realtime/hub.ts';
import { RoomError } from '../rooms/errors.ts';
import { type ClientFrame, LIMITS, parseClientFrame, plainMessageContent, Username } from '../rooms/schema.ts';
import { type Actor, hashToken, type Member } from '../rooms/service.ts';
import { StorageBusyError, StorageTimeoutError } from '../storage/store.ts';
import { messageJson } from './present.ts';
import { renderCatchUp, renderError } from '../views/fragments.tsx';
import type { AppEnv } from './env.ts';
import { clientAddress, memberToken, siteOrigin } from './http.ts';

const CLOSE_FOR: Partial<Record<RoomError['code'], number>> = {
  not_found: CLOSE.notFound,
  unauthorized: CLOSE.unauthenticated,
  room_full: CLOSE.full,
  name_taken: CLOSE.full,
  name_reserved: CLOSE.forbidden,
  name_banned: CLOSE.forbidden,
  room_locked: CLOSE.locked,
  pending_approval: CLOSE.forbidden,
  join_denied: CLOSE.forbidden,
  request_expired: CLOSE.forbidden,
  rate_limited: CLOSE.tooMany,
};

/**
 * Upgrade routes: authenticate first, then upgrade; refusals become close codes once open. Nothing is
 * claimed before the socket is really open (a failed upgrade takes no seat and announces nothing).
 */
export function socketRoutes() {
  const app = new Hono<AppEnv>();
  for (const kind of ['live', 'ws'] as const) {
    app.get(`/rooms/:id/${kind}`, (c) =>
      upgradeSocket(c, kind, c.req.param('id'), {
        token: memberToken(c, { query: kind === 'ws' }),
        username: c.req.query('username') ?? c.req.query('display_name'),
      }),
    );
  }
  return app;
}

/**
 * Who a socket is, as its route found out: a member's token; for /ws a guest's name; a signed-in account
 * (the Chatterbox lounge) with the token derived for it; or a refusal already decided (sent as a close
 * code once open). onClose: the dialect's bookkeeping when the socket closes.
 */
export type SocketAdmission = {
  token: string | null;
  username?: string;
  account?: { username: string; token: string };
  reject?: { code: number; reason: string };
  onClose?: () => void;
};

/**
 * Upgrades a request to a room socket of `kind`: every socket route (mayfly's and the dialects') comes
 * through here, so the origin check, admission, socket caps and close codes are the same for all.
 */
export async function upgradeSocket(c: Context<AppEnv>, kind: SocketKind, roomId: string, who: SocketAdmission): Promise<Response> {
  const server = c.env;
  const refused = notAnUpgrade(c);
  if (refused) return refused;
  const data = await admit(c.var.deps, kind, roomId, { ...who, since: c.req.query('since'), address: clientAddress(c) });
  if (who.onClose) data.onClose = who.onClose;
  const { socketCaps } = c.var.deps;
  if (!data.reject) {
    if (!socketCaps.take(data.address, data.roomId, data.tokenHash || null)) {
      data.reject = { code: CLOSE.tooMany, reason: 'too many sockets' };
    } else {
      data.capped = true;
    }
  }
  if (server.upgrade(c.req.raw, { data })) return new Response(null);
  if (data.capped) socketCaps.give(data.address, data.roomId, data.tokenHash || null);
  return c.json({ error: { code: 'upgrade_failed', message: 'WebSocket upgrade failed.' } }, 400);
}

/** The answer to a request a socket route refuses before any upgrade: not a WebSocket (426), or from another site (403). */
export function notAnUpgrade(c: Context<AppEnv>): Response | null {
  if (c.req.header('upgrade')?.toLowerCase() !== 'websocket') {
    return c.json({ error: { code: 'upgrade_required', message: 'This URL is a WebSocket.' } }, 426);
  }
  const origin = c.req.header('origin');
  if (origin && origin !== siteOrigin(c)) {
    return c.json({ error: { code: 'forbidden_origin', message: 'WebSocket connections from other sites are refused.' } }, 403);
  }
  return null;
}

/** The close code a socket gets for a refusal of the room service's. */
export const closeCodeFor = (err: RoomError): number => CLOSE_FOR[err.code] ?? CLOSE.forbidden;

/** Decides who may connect, claiming nothing: the seat is taken in `open`. */
async function admit(
  deps: Deps,
  kind: SocketKind,
  roomId: string,
  q: SocketAdmission & { since?: string; address: string },
): Promise<SocketData> {
  const since = q.since !== undefined && /^\d+$/.test(q.since) ? Number(q.since) : null;
  // The fields an open member socket ends up with, all declared here: one allocation per socket, no
  // out-of-line storage (only the rare ones, set later, take some).
  const data: SocketData = {
    kind,
    roomId,
    address: q.address,
    tokenHash: '',
    identity: null!,
    since,
    pending: null,
    strikes: 0,
    e2e: false,
    capped: false,
    seating: undefined,
    seated: false,
  };
  const reject = (code: number, reason: string) => ({ ...data, reject: { code, reason } });
  if (q.reject) return reject(q.reject.code, q.reject.reason);
  try {
    const room = await deps.rooms.get(roomId); // 4404 when gone; arms this instance's expiry timer
    const holder: Member | null = await deps.rooms.holder(roomId, q.account?.token ?? q.token);
    data.e2e = !!room.e2e;
    data.roomId = room.id; // the room's own string: the one parsed from the URL is dropped
    if (holder && !holder.identity.request) {
      data.tokenHash = holder.tokenHash;
      data.identity = holder.identity;
      return data; // no `admission` for a member: a 13th field would take a larger JSC object per socket
    }
    // A signed-in account not yet in the room it is let into (the lounge): it joins once the socket is open.
    if (q.account && !holder) {
      return { ...data, tokenHash: hashToken(q.account.token), admission: { guest: false, account: q.account } };
    }
    // Someone who asked to join: not in until the owner approves.
    if (holder) {
      const refusal = deps.rooms.refusalFor(holder);
      return reject(closeCodeFor(refusal), refusal.message);
    }
    if (kind === 'ws' && !room.passwordHash && !q.token) {
      const name = q.username === undefined ? undefined : Username.safeParse(q.username);
      if (name && !name.success) return reject(CLOSE.forbidden, `invalid username: ${name.error.issues[0]?.message}`);
      return { ...data, admission: { guest: true, username: name?.data } };
    }
    return reject(CLOSE.unauthenticated, room.passwordHash ? 'join with the password first' : 'not a member of this room');
  } catch (err) {
    if (err instanceof RoomError) return reject(closeCodeFor(err), err.message);
    deps.log.warn('socket admission failed', { room_id: roomId, error: err instanceof Error ? err.message : String(err) });
    return reject(1011, 'storage unavailable');
  }
}

/**
 * Takes the seat of an open socket: a member's (its lease becomes the socket lease), or a new
 * guest's. Returns a close code and reason when refused.
 */
async function seat(deps: Deps, ws: Socket): Promise<{ code: number; reason: string } | null> {
  const { roomId, admission } = ws.data;
  try {
    if (admission?.guest) {
      const room = await deps.rooms.get(roomId);
      const member = await deps.rooms.joinGuest(room, admission.username, ws.data.address);
      ws.data.tokenHash = member.tokenHash;
      if (ws.data.capped) deps.socketCaps.addMember(roomId, member.tokenHash);
      ws.data.identity = member.identity;
    } else if (admission?.account) {
      const { username, token } = admission.account;
      const member = await deps.rooms.joinAccount(await deps.rooms.get(roomId), username, token, ws.data.address);
      ws.data.identity = member.identity;
      // Joined just now, or by another socket of the account a moment ago: either way this socket holds the seat.
      await deps.rooms.connected(roomId, memberFor(ws));
    } else {
      await deps.rooms.connected(roomId, memberFor(ws));
    }
    return null;
  } catch (err) {
    if (err instanceof RoomError) return { code: closeCodeFor(err), reason: err.message };
    deps.log.warn('socket admission failed', { room_id: roomId, error: err instanceof Error ? err.message : String(err) });
    return { code: 1011, reason: 'storage unavailable' };
  }
}

/**
 * What a person reads on the page (/live) for a refusal, in place of the protocol's wording; codes not
 * listed keep their message, which is already plain language (ERRORS, the storage notices).
 */
const LIVE_WORDS: Record<string, string> = {
  binary_not_supported: 'That could not be sent. Reload the page and try again.',
  invalid_json: 'That could not be sent. Reload the page and try again.',
  invalid_frame: 'That could not be sent. Reload the page and try again.',
  too_many_messages: 'You are sending messages too fast; wait a moment.',
  rate_limited: 'You are sending too fast; wait a moment.',
  unauthorized: 'You are no longer in this room. Reload the page to join again.',
};

/** Why a message was refused by the Content rules, in words for the page. */
function contentWords(issue: { code?: string; path: PropertyKey[] } | undefined): string {
  if (issue?.path[0] !== 'content') return LIVE_WORDS.invalid_frame!;
  if (issue.code === 'too_small') return 'Write something before sending.';
  if (issue.code === 'too_big') return `That message is too long (at most ${LIMITS.content} characters).`;
  if (issue.code === 'invalid_type') return LIVE_WORDS.invalid_frame!;
  return 'That message contains characters that cannot be sent (control characters or broken text).';
}

/** An owner's control frame, done through the room service (which checks ownership). */
async function ownerFrame(deps: Deps, roomId: string, by: Actor, f: Exclude<ClientFrame, { type: 'message' | 'typing' }>): Promise<void> {
  const { rooms } = deps;
  switch (f.type) {
    case 'kick':
      return void (await rooms.kick(roomId, by, f.username));
    case 'lock':
    case 'unlock':
      return rooms.setLocked(roomId, by, f.type === 'lock');
    case 'approval':
      return rooms.setApproval(roomId, by, f.approve_joins);
    case 'extend':
      return void (await rooms.extend(roomId, by, f.seconds));
    case 'owner':
      return void (await rooms.handOver(roomId, by, f.username));
    case 'approve':
    case 'deny':
      return void (await rooms.decide(roomId, by, f.request_id, f.type === 'approve'));
  }
}

/** Why a message in an encrypted room was refused, for the page: it was not sealed (or not sealed right). */
const E2E_WORDS =
  'That message was not encrypted with the room key, so it was not sent. Open the full link (ending in #k=…) and try again.';

/** How often, at most, a socket is told of messages refused because storage is busy. */
export const BUSY_NOTICE_MS = 5000;

/** The socket's member, made once per socket (not per frame), on its first frame. */
const memberOf = (ws: Socket): Member => (ws.data.member ??= memberFor(ws));

/** The socket's member for a call of its own (opening, closing): not kept, so an idle socket holds none. */
const memberFor = (ws: Socket): Member => ws.data.member ?? { token: '', tokenHash: ws.data.tokenHash, identity: ws.data.identity };

export function socketHandlers(deps: Deps): WebSocketHandler<SocketData> {
  const { hub, rooms, log, config } = deps;

  /** `live`: the words a person reads on the page (/live), where /ws keeps `message`; `refused`: a message was not taken. */
  const sendError = (ws: Socket, code: string, message: string, live?: string, refused = false) => {
    deps.metrics.refused(code);
    if (ws.data.kind !== 'live') ws.send(JSON.stringify(errorEvent(ws.data.roomId, code, message)));
    else ws.send(renderError(live ?? LIVE_WORDS[code] ?? message, refused));
  };

  // Under overload (or while storage is silent), an error frame per refused message would cost a
  // write each and deepen the trouble: a socket hears of its first such message at once, then of the
  // rest at most every BUSY_NOTICE_MS, with their count.
  const NOTICES = {
    storage_busy: (n: number) =>
      `Too many messages are waiting for storage: ${n === 1 ? 'your message was' : `${n} of your messages were`} not sent. Try again in a moment.`,
    storage_unavailable: (n: number) =>
      `Storage did not answer in time: ${n === 1 ? 'your message' : `${n} of your messages`} may not have been sent. What was sent shows up here; try again shortly.`,
  };
  type Notice = keyof typeof NOTICES;
  const tell = (ws: Socket, code: Notice) => {
    const notice = (ws.data.notices ??= {})[code] ?? { at: -Infinity, count: 0 };
    ws.data.notices[code] = { at: performance.now(), count: 0 };
    if (notice.count === 0 || ws.readyState !== 1) return;
    sendError(ws, code, NOTICES[code](notice.count), undefined, true);
  };
  const refuseLater = (ws: Socket, code: Notice) => {
    const notice = ((ws.data.notices ??= {})[code] ??= { at: -Infinity, count: 0 });
    notice.count++;
    const since = performance.now() - notice.at;
    if (since >= BUSY_NOTICE_MS) return tell(ws, code);
    if (notice.count === 1) setTimeout(() => tell(ws, code), BUSY_NOTICE_MS - since); // the rest, together
  };

  /** A frame the room service refused or could not store: the socket is told why (a message's text kept). */
  const refused = (ws: Socket, err: unknown, isMessage: boolean) => {
    if (err instanceof RoomError) {
      sendError(ws, err.code, err.message, undefined, isMessage);
      if (err.code === 'too_many_messages' && ++ws.data.strikes > config.MESSAGE_BURST) hub.close(ws, CLOSE.tooMany, 'too many messages');
      if (err.code === 'not_found') hub.close(ws, CLOSE.gone, 'room gone');
      return;
    }
    if (err instanceof StorageBusyError) return refuseLater(ws, 'storage_busy');
    if (err instanceof StorageTimeoutError) return refuseLater(ws, 'storage_unavailable');
    log.warn('socket frame failed', { room_id: ws.data.roomId, error: err instanceof Error ? err.message : String(err) });
    sendError(ws, 'storage_unavailable', 'Storage is unavailable; your message was not sent. Try again shortly.', undefined, isMessage);
  };

  /** Posts a message from the socket; a refusal is told to it. */
  const post = async (ws: Socket, content: string) => {
    try {
      await rooms.post(ws.data.roomId, memberOf(ws), content, ws.data.address);
      ws.data.strikes = 0;
    } catch (err) {
      refused(ws, err, true);
    }
  };

  /** A seated socket is gone: off the hub, and the seat given up if it was its token's last socket here. */
  const settle = async (ws: Socket) => {
    const { lastForToken } = hub.detach(ws);
    if (!lastForToken) return;
    try {
      await rooms.disconnected(ws.data.roomId, memberFor(ws));
    } catch (err) {
      log.warn('socket close cleanup failed', { room_id: ws.data.roomId, error: err instanceof Error ? err.message : String(err) });
    }
  };

  return {
    maxPayloadLength: config.MAX_FRAME_BYTES,
    idleTimeout: 120,
    sendPings: true,
    backpressureLimit: 1024 * 1024,
    closeOnBackpressureLimit: true,

    async open(ws) {
      if (ws.data.reject) {
        deps.metrics.refused(`close_${ws.data.reject.code}`);
        hub.close(ws, ws.data.reject.code, ws.data.reject.reason);
        return;
      }
      const { roomId, kind, since } = ws.data;
      // Frames that arrive meanwhile wait for the seat (in order), then go out or are dropped.
      const seating = seat(deps, ws);
      ws.data.seating = seating.then((refused) => refused === null);
      const refused = await seating;
      if (refused) {
        ws.data.reject = refused; // nothing to clean up on close
        if (!ws.data.closed) hub.close(ws, refused.code, refused.reason);
        return;
      }
      ws.data.seated = true;
      ws.data.seating = undefined; // seated: frames no longer wait for it
      if (ws.data.closed) {
        // Closed while the seat was being taken: the close handler saw no seat, so it goes here.
        await settle(ws);
        return;
      }
      try {
        await hub.attach(ws);
        if (ws.data.closed) {
          hub.detach(ws); // closed meanwhile: the close handler gave up the seat; the hub must not keep the socket
          return;
        }
        const [history, users, member] = await Promise.all([
          rooms.history(roomId, since !== null ? { afterSeq: since } : {}),
          kind === 'ws' ? rooms.users(roomId) : Promise.resolve([]),
          // The member may have left between taking the seat and the hub listening for that here.
          rooms.isMember(roomId, ws.data.tokenHash),
        ]);
        if (!member) {
          ws.data.removed = true;
          hub.close(ws, CLOSE.removed, 'left the room');
          return;
        }
        const lastSeq = history.length ? history[history.length - 1]!.seq : (since ?? 0);
        if (kind === 'ws') ws.send(JSON.stringify(historyEvent(roomId, history, users)));
        else if (kind === 'disposable') for (const frame of disposableCatchUp(roomId, history)) ws.send(frame);
        else {
          const frame = renderCatchUp(
            history.map((m) => messageJson(roomId, m)),
            !!ws.data.e2e,
          );
          if (frame) ws.send(frame);
        }
        hub.ready(ws, lastSeq);
      } catch (err) {
        log.warn('socket open failed', { room_id: roomId, error: err instanceof Error ? err.message : String(err) });
        hub.close(ws, 1011, 'storage unavailable');
      }
    },

    async message(ws, raw) {
      // Refused, or the member's presence ended (left): the frame is not taken. Early frames wait for the seat.
      if (ws.data.reject || ws.data.removed) return;
      if (!ws.data.seated && !(await ws.data.seating)) return;
      if (ws.data.removed) return;
      const { roomId } = ws.data;
      if (typeof raw !== 'string') return sendError(ws, 'binary_not_supported', 'Send text frames containing JSON.');
      // The common frame, a plain message as API clients write it, is read without JSON.parse.
      const plain = ws.data.kind === 'ws' && !ws.data.e2e ? plainMessageContent(raw) : null;
      if (plain !== null) return post(ws, plain);
      let json: unknown;
      try {
        json = JSON.parse(raw);
      } catch {
        return sendError(ws, 'invalid_json', 'That frame is not valid JSON.');
      }
      if (ws.data.kind === 'disposable') json = readDisposableFrame(json);
      const frame = parseClientFrame(json, ws.data.e2e);
      if (!frame.success) {
        const issue = frame.error.issues[0];
        const what = issue?.path.length
          ? `${issue.path.join('.')}: ${issue.message}`
          : 'expected {"type":"message","content":"…"}, {"type":"typing"}, or one of the owner\'s frames (kick, lock, unlock, extend, owner, approve, deny, approval)';
        const isMessage = (json as { type?: unknown } | null)?.type === 'message';
        const words = !isMessage ? undefined : ws.data.e2e ? E2E_WORDS : contentWords(issue);
        return sendError(ws, 'invalid_frame', `Invalid frame (${what}).`, words, isMessage);
      }
      const isMessage = frame.data.type === 'message';
      try {
        const f = frame.data;
        if (f.type === 'message') return await post(ws, f.content);
        if (f.type === 'typing') {
          const now = performance.now();
          if (ws.data.typingAt !== undefined && now - ws.data.typingAt < 1000) return;
          ws.data.typingAt = now;
          await rooms.typing(roomId, memberOf(ws));
        } else {
          // The owner's controls: done, everyone hears of it as an event; refused, an error frame says why.
          await ownerFrame(deps, roomId, { member: memberOf(ws) }, f);
        }
      } catch (err) {
        refused(ws, err, isMessage);
      }
    },

    async close(ws) {
      ws.data.closed = true;
      ws.data.onClose?.();
      if (ws.data.capped) deps.socketCaps.give(ws.data.address, ws.data.roomId, ws.data.tokenHash || null);
      // Refused, or still taking its seat (then `open` gives it up once taken).
      if (ws.data.reject || !ws.data.seated) return;
      await settle(ws);
    },
  };
}
