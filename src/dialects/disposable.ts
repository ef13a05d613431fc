// The DisposableChat dialect (seed 003, "Live Chat API"): its sessions, room routes and socket, translated onto the room service.
import { type Context, Hono, type Next } from 'hono';
import { RoomError } from '../rooms/errors.ts';
import { createRoomSchema, HistoryQuery, JoinSchema, UsernameBody } from '../rooms/schema.ts';
import type { Room } from '../rooms/types.ts';
import { CLOSE } from '../realtime/hub.ts';
import type { AppEnv } from '../web/env.ts';
import { bearerToken, clientAddress, jsonError, readBody, siteOrigin, validationError, wsOrigin } from '../web/http.ts';
import { requestJson, roomJson } from '../web/present.ts';
import { findRoom, ROOM_ID, roomError } from '../web/rooms.tsx';
import { upgradeSocket } from '../web/sockets.ts';
import type { DisposableSession } from './disposable-sessions.ts';
import { chatJson } from './disposable-wire.ts';

type Ctx = Context<AppEnv>;
type SessionHandler = (c: Ctx, id: string, session: DisposableSession) => Promise<Response>;

const roomParam = (c: Ctx) => c.req.param('id') ?? '';

const noSession = (c: Ctx) =>
  jsonError(
    c,
    401,
    'unauthorized',
    'No such session, or it expired: create one with POST /sessions/ and send its session_id as a Bearer token.',
  );

function refused(c: Ctx, err: unknown): Response {
  if (!(err instanceof RoomError)) throw err;
  return roomError(c, err);
}

/** The DisposableChat socket's URL for a room (the client adds `?session_id=`). */
const socketUrl = (c: Ctx, roomId: string) => `${wsOrigin(siteOrigin(c))}/ws/${roomId}`;

/**
 * Runs `handler` for a request carrying a DisposableChat session (`Authorization: Bearer <session_id>`); its
 * lifetime is renewed by the use. A request with any other bearer, or none, is not DisposableChat's: with
 * `shared`, it goes on to mayfly's own route on the same URL, unchanged; else it is a 401.
 */
function withSession(handler: SessionHandler, shared: boolean) {
  return async (c: Ctx, next: Next) => {
    const id = bearerToken(c);
    const { sessions } = c.var.deps;
    if (shared && !sessions.owns(id)) return next();
    const session = await sessions.get(id);
    if (!session || !id) return noSession(c);
    return handler(c, id, await sessions.save(id, session));
  };
}

/** A room as DisposableChat asks about it: mayfly's room JSON, with `exists`, `user_count` and `joined`. */
async function roomInfo(c: Ctx, room: Room, id: string) {
  const { rooms, sessions } = c.var.deps;
  const member = await rooms.authenticate(room.id, sessions.roomToken(id, room.id));
  // A password room shows someone who has not joined it only its public fields, as GET /rooms/{id} does.
  const users = !room.passwordHash || member ? await rooms.users(room.id) : null;
  return {
    ...roomJson(room, siteOrigin(c), users, rooms.latestExpiry(room)),
    exists: true,
    user_count: users ? users.length : null,
    joined: member !== null,
    ws_url: socketUrl(c, room.id),
  };
}

/** The session's rooms that still exist; those that ended are forgotten. */
async function liveRooms(c: Ctx, id: string, session: DisposableSession): Promise<Room[]> {
  const { rooms, sessions } = c.var.deps;
  const found = await Promise.all(session.rooms.map((roomId) => rooms.find(roomId)));
  const live = found.filter((r): r is Room => r !== null);
  if (live.length !== session.rooms.length) await sessions.save(id, { ...session, rooms: live.map((r) => r.id) });
  return live;
}

const remember = (c: Ctx, id: string, session: DisposableSession, roomId: string) =>
  session.rooms.includes(roomId) ? session : c.var.deps.sessions.save(id, { ...session, rooms: [...session.rooms, roomId] });

export function disposableRoutes() {
  const app = new Hono<AppEnv>();

  // ---- Sessions: a name, no account.
  const createSession = async (c: Ctx) => {
    const { accounts, limits, sessions } = c.var.deps;
    const body = await readBody(c);
    if (body === null) return jsonError(c, 400, 'invalid_body', 'The body is not valid JSON or form data.');
    const parsed = UsernameBody.safeParse(body);
    if (!parsed.success) return validationError(c, parsed.error);
    // A session is made like an account is registered: counted against the same per-address limit.
    const address = clientAddress(c);
    const allowed = await limits.consume('create', address, address);
    if (!allowed.ok) return refused(c, new RoomError('rate_limited', 'Too many requests; wait a minute.', allowed.retryAfterMs));
    if (await accounts.isReserved(parsed.data.username)) return refused(c, new RoomError('name_reserved'));
    const { id, session } = await sessions.create(parsed.data.username);
    return c.json({ session_id: id, username: session.username, expires_at: new Date(session.expiresAt).toISOString() }, 201);
  };
  app.post('/sessions', createSession);
  app.post('/sessions/', createSession);

  app.get(
    '/sessions/me',
    withSession(async (c, id, session) => {
      const live = await liveRooms(c, id, session);
      return c.json({
        session_id: id,
        username: session.username,
        joined_rooms: live.map((r) => r.id),
        expires_at: new Date(session.expiresAt).toISOString(),
      });
    }, false),
  );

  // Ending a session leaves every room it joined (the others hear `user_left`); its tokens stop working.
  app.delete(
    '/sessions/me',
    withSession(async (c, id, session) => {
      const { rooms, sessions } = c.var.deps;
      for (const roomId of session.rooms) {
        const holder = await rooms.holder(roomId, sessions.roomToken(id, roomId));
        if (holder) await rooms.leave(roomId, holder);
      }
      await sessions.end(id);
      return c.json({ message: 'Session ended.' });
    }, false),
  );

  // ---- Rooms. The URLs mayfly serves too answer DisposableChat only for a session's bearer.
  const create = withSession(async (c, id, session) => {
    const { rooms, config, sessions } = c.var.deps;
    const body = await readBody(c);
    if (body === null) return jsonError(c, 400, 'invalid_body', 'The body is not valid JSON or form data.');
    // No body: a room with mayfly's defaults. A JSON body may set mayfly's fields; the owner is the session.
    const json = (c.req.header('content-type') ?? '').includes('application/json');
    const input = { name: `${session.username}'s room`, ...body, owner_name: session.username };
    const parsed = createRoomSchema(config.MAX_EXPIRY_SECONDS, config.DEFAULT_EXPIRY_SECONDS, { json }).safeParse(input);
    if (!parsed.success) return validationError(c, parsed.error);
    try {
      const { room } = await rooms.create(parsed.data, {
        ownerJoins: true,
        address: clientAddress(c),
        memberToken: (roomId) => sessions.roomToken(id, roomId),
      });
      await remember(c, id, session, room.id);
      c.header('Location', `/rooms/${room.id}`);
      return c.json(
        {
          room_id: room.id,
          expires_at: new Date(room.expiresAt).toISOString(),
          url: `${siteOrigin(c)}/rooms/${room.id}`,
          ws_url: socketUrl(c, room.id),
        },
        201,
      );
    } catch (err) {
      return refused(c, err);
    }
  }, true);
  app.post('/rooms', create);
  app.post('/rooms/', create);

  // DisposableChat's GET /rooms/all listed every room on its server. mayfly's rooms are reached by their
  // unguessable link only, so both URLs answer the session's own rooms (docs/compatibility.md).
  const list = withSession(async (c, id, session) => {
    const live = await liveRooms(c, id, session);
    return c.json({ rooms: await Promise.all(live.map((room) => roomInfo(c, room, id))) });
  }, true);
  app.get('/rooms/', list);
  app.get('/rooms/all', list);

  app.get(
    '/rooms/:id',
    withSession(async (c, id) => {
      const roomId = roomParam(c);
      const room = await findRoom(c, roomId);
      if (!room) return c.json({ room_id: roomId, exists: false, user_count: 0 });
      return c.json(await roomInfo(c, room, id));
    }, true),
  );

  app.post(
    '/rooms/:id/join',
    withSession(async (c, id, session) => {
      const { rooms, sessions } = c.var.deps;
      const roomId = roomParam(c);
      const room = await findRoom(c, roomId);
      if (!room) return jsonError(c, 404, 'not_found', 'This room does not exist or has already vanished.');
      const body = await readBody(c);
      if (body === null) return jsonError(c, 400, 'invalid_body', 'The body is not valid JSON or form data.');
      // The name is the session's; a password room takes `password` in a JSON body.
      const parsed = JoinSchema.safeParse({ username: session.username, password: body.password });
      if (!parsed.success) return validationError(c, parsed.error);
      const token = sessions.roomToken(id, roomId);
      try {
        const member =
          (await rooms.authenticate(roomId, token)) ?? (await rooms.join(roomId, parsed.data, { address: clientAddress(c), token }));
        await remember(c, id, session, roomId);
        const asking = rooms.requestStatus(member);
        if (asking) return c.json(requestJson(roomId, asking, siteOrigin(c)), 202);
        return c.json({
          room_id: roomId,
          username: member.identity.username,
          member_id: member.identity.memberId,
          message: `${member.identity.username} joined`,
          ws_url: socketUrl(c, roomId),
        });
      } catch (err) {
        return refused(c, err);
      }
    }, true),
  );

  app.delete(
    '/rooms/:id/leave',
    withSession(async (c, id, session) => {
      const { rooms, sessions } = c.var.deps;
      const roomId = roomParam(c);
      const holder = ROOM_ID.test(roomId) ? await rooms.holder(roomId, sessions.roomToken(id, roomId)) : null;
      if (holder) await rooms.leave(roomId, holder);
      if (session.rooms.includes(roomId)) await sessions.save(id, { ...session, rooms: session.rooms.filter((r) => r !== roomId) });
      if (!holder) return refused(c, new RoomError('unauthorized'));
      return c.json({ room_id: roomId, message: 'Left the room.' });
    }, true),
  );

  app.get(
    '/rooms/:id/messages',
    withSession(async (c, id) => {
      const { rooms, sessions } = c.var.deps;
      const roomId = roomParam(c);
      const room = await findRoom(c, roomId);
      if (!room) return jsonError(c, 404, 'not_found', 'This room does not exist or has already vanished.');
      const holder = await rooms.holder(roomId, sessions.roomToken(id, roomId));
      if (!holder || holder.identity.request) return refused(c, rooms.refusalFor(holder));
      const q = HistoryQuery.safeParse(c.req.query());
      if (!q.success) return validationError(c, q.error);
      const messages = await rooms.history(roomId, { limit: q.data.limit ?? 50, offset: q.data.offset, afterSeq: q.data.since });
      return c.json({ room_id: roomId, messages: messages.map((m) => chatJson(roomId, m)) });
    }, true),
  );

  // ---- The socket: ws://host/ws/{room_id}?session_id=…, for a session that joined (or made) the room.
  app.get('/ws/:id', async (c) => {
    const { sessions } = c.var.deps;
    const roomId = roomParam(c);
    const id = c.req.query('session_id') ?? null;
    const session = await sessions.get(id);
    if (!session || !id) {
      return upgradeSocket(c, 'disposable', roomId, {
        token: null,
        reject: { code: CLOSE.unauthenticated, reason: 'no such session, or it expired' },
      });
    }
    await sessions.save(id, session);
    return upgradeSocket(c, 'disposable', roomId, {
      token: sessions.roomToken(id, roomId),
      // The socket was in use until now: the session lasts from its close.
      onClose: () => void sessions.touch(id).catch(() => {}),
    });
  });

  return app;
}
