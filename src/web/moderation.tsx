// The owner's controls over HTTP: kick, lock, approve joins, extend, hand over. JSON for API clients; form
// posts answer 303 back to the room (a refusal shown there once). The same powers travel as /ws frames.
import { Hono } from 'hono';
import type { z } from 'zod';
import { RoomError } from '../rooms/errors.ts';
import { approvalSchema, extendSchema, fieldErrors, RequestId, UsernameBody } from '../rooms/schema.ts';
import type { Actor } from '../rooms/service.ts';
import type { AppEnv } from './env.ts';
import { jsonError, memberToken, readBody, siteOrigin, validationError, wantsJson } from './http.ts';
import { requestJson } from './present.ts';
import { type Ctx, findRoom, flashRedirect, gonePage, roomError } from './rooms.tsx';

const NOT_FOUND = 'This room does not exist or has already vanished.';

/**
 * One owner action: the room, the caller (the owner's member token, from a Bearer header or the room
 * cookie, or the room's owner_token), the body checked against its schema, then `act`. JSON callers get
 * `act`'s answer; a browser goes back to the room.
 */
async function ownerAction<S extends z.ZodType>(
  c: Ctx,
  schema: S | null,
  act: (id: string, by: Actor, body: z.infer<S>) => Promise<unknown>,
) {
  const id = c.req.param('id')!;
  const json = wantsJson(c);
  const room = await findRoom(c, id);
  if (!room) return json ? jsonError(c, 404, 'not_found', NOT_FOUND) : gonePage(c);
  const token = memberToken(c);
  const member = await c.var.deps.rooms.authenticate(id, token);
  // Routes that take no body ignore whatever was sent (an empty JSON body too).
  const body = schema ? await readBody(c) : {};
  if (body === null) return jsonError(c, 400, 'invalid_body', 'The body is not valid JSON or form data.');
  const parsed = schema ? schema.safeParse(body) : { success: true as const, data: {} };
  if (!parsed.success) {
    if (json) return validationError(c, parsed.error);
    const problems = Object.entries(fieldErrors(parsed.error)).map(([field, message]) => `${field}: ${message}`);
    return flashRedirect(c, id, { status: 400, errors: { form: problems.join('; ') } }, '#latest');
  }
  try {
    const answer = await act(id, { member, ownerToken: token }, parsed.data as z.infer<S>);
    return json ? c.json(answer as object) : c.redirect(`/rooms/${id}#latest`, 303);
  } catch (err) {
    if (!(err instanceof RoomError)) throw err;
    if (json) return roomError(c, err);
    if (err.code === 'not_found') return gonePage(c);
    return flashRedirect(c, id, { status: err.status, retryAfterMs: err.retryAfterMs, errors: { form: err.message } }, '#latest');
  }
}

export function moderationRoutes() {
  const app = new Hono<AppEnv>();

  app.post('/rooms/:id/kick', (c) =>
    ownerAction(c, UsernameBody, async (id, by, { username }) => ({ room_id: id, ...(await c.var.deps.rooms.kick(id, by, username)) })),
  );

  for (const locked of [true, false]) {
    app.post(`/rooms/:id/${locked ? 'lock' : 'unlock'}`, (c) =>
      ownerAction(c, null, async (id, by) => {
        await c.var.deps.rooms.setLocked(id, by, locked);
        return { room_id: id, locked };
      }),
    );
  }

  app.post('/rooms/:id/approval', (c) =>
    ownerAction(c, approvalSchema(wantsJson(c)), async (id, by, { approve_joins }) => {
      await c.var.deps.rooms.setApproval(id, by, approve_joins);
      return { room_id: id, approve_joins };
    }),
  );

  app.post('/rooms/:id/extend', (c) =>
    ownerAction(c, extendSchema(wantsJson(c)), async (id, by, { seconds }) => {
      const { rooms } = c.var.deps;
      const room = await rooms.extend(id, by, seconds);
      return {
        room_id: id,
        expires_at: new Date(room.expiresAt).toISOString(),
        expires_in_seconds: Math.max(0, Math.round((room.expiresAt - Date.now()) / 1000)),
        max_expires_at: new Date(rooms.latestExpiry(room)).toISOString(),
      };
    }),
  );

  app.post('/rooms/:id/owner', (c) =>
    ownerAction(c, UsernameBody, async (id, by, { username }) => ({
      room_id: id,
      owner_name: (await c.var.deps.rooms.handOver(id, by, username)).username,
    })),
  );

  app.get('/rooms/:id/requests', (c) =>
    ownerAction(c, null, async (id, by) => ({
      room_id: id,
      requests: (await c.var.deps.rooms.requests(id, by)).map((r) => requestJson(id, r)),
    })),
  );

  for (const approve of [true, false]) {
    app.post(`/rooms/:id/requests/:request_id/${approve ? 'approve' : 'deny'}`, (c) =>
      ownerAction(c, null, async (id, by) => {
        const request = RequestId.safeParse(c.req.param('request_id'));
        if (!request.success) throw new RoomError('request_not_found');
        return requestJson(id, await c.var.deps.rooms.decide(id, by, request.data, approve));
      }),
    );
  }

  /** Where a request to join stands: for its asker (their token) or the owner. Browsers go to the room page. */
  app.get('/rooms/:id/requests/:request_id', async (c) => {
    const id = c.req.param('id');
    if (!wantsJson(c)) return c.redirect(`/rooms/${id}`, 303);
    const room = await findRoom(c, id);
    if (!room) return jsonError(c, 404, 'not_found', NOT_FOUND);
    const { rooms } = c.var.deps;
    const token = memberToken(c);
    const holder = await rooms.holder(id, token);
    const mine = rooms.requestStatus(holder);
    if (mine?.requestId === c.req.param('request_id')) return c.json(requestJson(id, mine, siteOrigin(c)));
    // An approved asker is a member now, whose member id is the request's id.
    if (holder && !holder.identity.request && holder.identity.memberId === c.req.param('request_id')) {
      const status = {
        requestId: holder.identity.memberId,
        username: holder.identity.username,
        status: 'approved' as const,
        until: Date.now(),
      };
      return c.json(requestJson(id, status, siteOrigin(c)));
    }
    try {
      const all = await rooms.requests(id, { member: holder, ownerToken: token });
      const found = all.find((r) => r.requestId === c.req.param('request_id'));
      if (!found) throw new RoomError('request_not_found');
      return c.json(requestJson(id, found, siteOrigin(c)));
    } catch (err) {
      if (!(err instanceof RoomError)) throw err;
      return roomError(c, err.code === 'forbidden' ? new RoomError('request_not_found') : err);
    }
  });

  return app;
}
