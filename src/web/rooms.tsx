// Room routes for browsers and API clients on the same URLs: pages and 303s, or JSON, by negotiation.
import { Hono, type Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { RoomError } from '../rooms/errors.ts';
import { createRoomSchema, fieldErrors, HistoryQuery, JoinSchema, PostEncryptedSchema, PostMessageSchema } from '../rooms/schema.ts';
import type { Member, RequestStatus } from '../rooms/service.ts';
import type { Room } from '../rooms/types.ts';
import { plainRoomName } from '../views/fragments.tsx';
import { Layout } from '../views/layout.tsx';
import { Lobby } from '../views/lobby.tsx';
import { AskingPage, ConfirmPage, GonePage, JoinPage, RoomPage } from '../views/room.tsx';
import type { AppEnv } from './env.ts';
import {
  clearMemberCookie,
  clientAddress,
  jsonError,
  memberToken,
  readBody,
  setMemberCookie,
  setRetryAfter,
  siteOrigin,
  validationError,
  wantsJson,
  wsOrigin,
} from './http.ts';
import { currentAccount } from './accounts.tsx';
import { messageJson, requestJson, roomJson } from './present.ts';

export type Ctx = Context<AppEnv>;

export const ROOM_ID = /^[A-Za-z0-9_-]{21}$/;

const stringValues = (body: Record<string, unknown> | null) =>
  Object.fromEntries(Object.entries(body ?? {}).filter(([, v]) => typeof v === 'string')) as Record<string, string>;

const accountOf = (c: Ctx) => (c.var.account ? { username: c.var.account } : null);

function lobbyPage(c: Ctx, props: Partial<Parameters<typeof Lobby>[0]>, status = 200) {
  const { config } = c.var.deps;
  return c.html(
    <Layout title="mayfly" account={accountOf(c)} e2e>
      <Lobby
        maxExpiry={config.MAX_EXPIRY_SECONDS}
        defaultExpiry={config.DEFAULT_EXPIRY_SECONDS}
        defaultMaxUsers={config.DEFAULT_MAX_USERS}
        {...props}
        values={props.values ?? (c.var.account ? { owner_name: c.var.account } : {})}
      />
    </Layout>,
    status as 200,
  );
}

export function gonePage(c: Ctx) {
  return c.html(
    <Layout title="Room gone" account={accountOf(c)}>
      <GonePage />
    </Layout>,
    404,
  );
}

function joinPage(c: Ctx, room: Room, values: Record<string, string> = {}, errors: Record<string, string> | null = null, status = 200) {
  return c.html(
    <Layout title={room.passwordHash ? 'Password required' : plainRoomName(room)} account={accountOf(c)} e2e={room.e2e}>
      <JoinPage room={room} values={values} errors={errors} />
    </Layout>,
    status as 200,
  );
}

/**
 * A refused form post (join, send) answers 303 to the room page, which shows the refusal once: the address bar never
 * holds a POST URL, and a reload shows the page again instead of re-posting or a 404. What the page needs (the status,
 * the errors, the name, the text of a refused message) rides in a short-lived cookie scoped to the room.
 */
const FLASH_COOKIE = 'mayfly_flash';
const FLASH_MAX_BYTES = 3800;
const FLASH_STATUSES = new Set([400, 401, 403, 404, 409, 413, 423, 429, 503]);
type Flash = { status: number; retryAfterMs?: number; errors?: Record<string, string>; values?: Record<string, string>; draft?: string };

export function flashRedirect(c: Ctx, id: string, flash: Flash, hash = '') {
  const encode = (f: Flash) => Buffer.from(JSON.stringify(f)).toString('base64url');
  let value = encode(flash);
  // A long message in many-byte characters may not fit in a cookie: then only its text is dropped.
  if (value.length > FLASH_MAX_BYTES) value = encode({ ...flash, draft: undefined });
  setCookie(c, FLASH_COOKIE, value, {
    path: `/rooms/${id}`,
    httpOnly: true,
    sameSite: 'Lax',
    secure: siteOrigin(c).startsWith('https:'),
    maxAge: 60,
  });
  return c.redirect(`/rooms/${id}${hash}`, 303);
}

const strings = (v: unknown): Record<string, string> | undefined =>
  v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).filter(([, x]) => typeof x === 'string')) : undefined;

/** The flash for this room page, once (the cookie is cleared); anything malformed is ignored. */
function takeFlash(c: Ctx, id: string): Flash | null {
  const value = getCookie(c, FLASH_COOKIE);
  if (!value) return null;
  deleteCookie(c, FLASH_COOKIE, { path: `/rooms/${id}` });
  try {
    const f = JSON.parse(Buffer.from(value, 'base64url').toString());
    return {
      status: FLASH_STATUSES.has(f.status) ? f.status : 200,
      retryAfterMs: typeof f.retryAfterMs === 'number' ? f.retryAfterMs : undefined,
      errors: strings(f.errors),
      values: strings(f.values),
      draft: typeof f.draft === 'string' ? f.draft.slice(0, 2000) : undefined,
    };
  } catch {
    return null;
  }
}

/** The page of someone who asked to join: waiting (it updates itself), refused, or lapsed (ask again). */
function askingPage(c: Ctx, room: Room, asking: RequestStatus) {
  if (asking.status === 'expired' || asking.status === 'denied') clearMemberCookie(c, room.id);
  if (asking.status === 'expired') {
    const err = new RoomError('request_expired');
    return joinPage(c, room, { username: asking.username }, { form: err.message }, 200);
  }
  return c.html(
    <Layout
      title={asking.status === 'pending' ? `Waiting · ${plainRoomName(room)}` : plainRoomName(room)}
      account={accountOf(c)}
      refreshSeconds={asking.status === 'pending' ? 10 : undefined}
      e2e={room.e2e}
    >
      <AskingPage room={room} asking={asking} />
    </Layout>,
    asking.status === 'pending' ? 200 : 403,
  );
}

/** A locked room, for someone not in it: nobody new gets in (423). */
function lockedPage(c: Ctx, room: Room) {
  const err = new RoomError('room_locked');
  c.set('refusal', err.code);
  return c.html(
    <Layout title="Room locked" account={accountOf(c)}>
      <main class="narrow">
        <section class="card" id="locked">
          <h1>This room is locked</h1>
          <p>{err.message} Ask the person who shared the link to unlock it, then try again.</p>
          <p>
            <a class="button" href={`/rooms/${room.id}`}>
              Try again
            </a>{' '}
            <a class="button primary" href="/">
              Back to the lobby
            </a>
          </p>
        </section>
      </main>
    </Layout>,
    423 as 200,
  );
}

/** What an owner is told before leaving: who gets the room (the member present longest), or that nobody will. */
async function ownerLeaveText(c: Ctx, id: string, tokenHash: string): Promise<string> {
  const seats = await c.var.deps.store.seats(id, Date.now());
  const next = seats.find((s) => s.tokenHash !== tokenHash);
  return next
    ? `You own this room. If you leave, ${next.username} (here the longest) becomes its owner.`
    : 'You own this room and nobody else is here: if you leave, nobody will own it (nobody can destroy it, lock it or let people in).';
}

async function roomPage(c: Ctx, room: Room, member: Member, error: string | null = null, status = 200, draft: string | null = null) {
  const { rooms } = c.var.deps;
  const owner = member.identity.owner;
  const [messages, users, requests] = await Promise.all([
    rooms.history(room.id, {}),
    rooms.users(room.id),
    owner ? rooms.requests(room.id, { member }).catch(() => []) : Promise.resolve([]),
  ]);
  const origin = siteOrigin(c);
  return c.html(
    <Layout title={plainRoomName(room)} live account={accountOf(c)} e2e={room.e2e}>
      <RoomPage
        room={room}
        link={`${origin}/rooms/${room.id}`}
        me={{ memberId: member.identity.memberId, username: member.identity.username, owner: member.identity.owner }}
        messages={messages.map((m) => messageJson(room.id, m))}
        users={users}
        error={error}
        draft={draft}
        requests={requests.map((r) => requestJson(room.id, r))}
        latest={rooms.latestExpiry(room)}
      />
    </Layout>,
    status as 200,
  );
}

export function roomError(c: Ctx, err: RoomError) {
  setRetryAfter(c, err);
  return jsonError(c, err.status, err.code, err.message);
}

/** The room for a browser route, or the 404 page. */
export async function findRoom(c: Ctx, id: string): Promise<Room | null> {
  if (!ROOM_ID.test(id)) return null;
  return c.var.deps.rooms.find(id);
}

export function roomRoutes() {
  const app = new Hono<AppEnv>();

  app.get('/', (c) => {
    const ended = c.req.query('ended');
    return lobbyPage(c, {
      notice: ended === 'destroyed' ? 'The room was destroyed. Everything in it is gone.' : ended === 'left' ? 'You left the room.' : null,
    });
  });

  app.get('/join', (c) => {
    const ref = (c.req.query('room') ?? '').trim();
    const id = ref.match(/(?:^|\/rooms\/)([A-Za-z0-9_-]{21})(?:[/?#]|$)/)?.[1];
    if (!id) return lobbyPage(c, { joinError: 'That is not a mayfly room link or id.' }, 400);
    return c.redirect(`/rooms/${id}`, 303);
  });

  const create = async (c: Ctx) => {
    const { rooms, config } = c.var.deps;
    const json = wantsJson(c);
    const body = await readBody(c);
    if (body === null) return jsonError(c, 400, 'invalid_body', 'The body is not valid JSON or form data.');
    // A JSON body's numbers must be JSON numbers; a form's fields are all strings.
    const jsonBody = (c.req.header('content-type') ?? '').includes('application/json');
    const parsed = createRoomSchema(config.MAX_EXPIRY_SECONDS, config.DEFAULT_EXPIRY_SECONDS, { json: jsonBody }).safeParse(body);
    if (!parsed.success) {
      if (json) return validationError(c, parsed.error);
      return lobbyPage(c, { values: stringValues(body), errors: fieldErrors(parsed.error) }, 400);
    }
    try {
      const { room, ownerToken, owner } = await rooms.create(parsed.data, {
        ownerJoins: !json,
        verifiedAs: c.var.account ?? undefined,
        address: clientAddress(c),
      });
      if (json) {
        c.header('Location', `/rooms/${room.id}`);
        return c.json({ ...roomJson(room, siteOrigin(c), [], rooms.latestExpiry(room)), owner_token: ownerToken }, 201);
      }
      setMemberCookie(c, room.id, owner!.token, room.expiresAt);
      return c.redirect(`/rooms/${room.id}`, 303);
    } catch (err) {
      if (!(err instanceof RoomError)) throw err;
      if (json) return roomError(c, err);
      setRetryAfter(c, err);
      return lobbyPage(c, { values: stringValues(body), errors: { form: err.message } }, err.status);
    }
  };
  app.post('/rooms', create);
  app.post('/rooms/', create);

  app.get('/rooms/:id', async (c) => {
    const id = c.req.param('id');
    const room = await findRoom(c, id);
    const json = wantsJson(c);
    if (!room) return json ? jsonError(c, 404, 'not_found', 'This room does not exist or has already vanished.') : gonePage(c);
    const { rooms } = c.var.deps;
    const holder = await rooms.holder(id, memberToken(c));
    const member = holder && !holder.identity.request ? holder : null;
    if (json) {
      const showAll = !room.passwordHash || member !== null;
      return c.json(roomJson(room, siteOrigin(c), showAll ? await rooms.users(id) : null, rooms.latestExpiry(room)));
    }
    const flash = takeFlash(c, id);
    if (flash) setRetryAfter(c, flash); // a refused form post's 429 or 503, shown here after the redirect
    const asking = rooms.requestStatus(holder);
    if (asking) return askingPage(c, room, asking);
    if (!member && room.locked) return lockedPage(c, room);
    if (!member) return joinPage(c, room, flash?.values ?? {}, flash?.errors ?? null, flash?.status ?? 200);
    // The owner may have given the room more time: the cookie lasts as long as the room.
    setMemberCookie(c, id, member.token, room.expiresAt);
    try {
      await c.var.deps.rooms.present(id, member, 'page');
    } catch (err) {
      if (!(err instanceof RoomError)) throw err;
      if (err.code === 'not_found') return gonePage(c);
      clearMemberCookie(c, id);
      const why =
        err.code === 'room_full'
          ? 'The room filled up while you were away.'
          : err.code === 'name_taken'
            ? 'Someone took your name while you were away; pick another.'
            : 'Join the room.';
      return joinPage(c, room, { username: member.identity.username }, { form: why }, err.code === 'unauthorized' ? 200 : 409);
    }
    return roomPage(c, room, member, flash?.errors?.form ?? null, flash?.status ?? 200, flash?.draft ?? null);
  });

  app.post('/rooms/:id/join', async (c) => {
    const id = c.req.param('id');
    const json = wantsJson(c);
    const room = await findRoom(c, id);
    if (!room) return json ? jsonError(c, 404, 'not_found', 'This room does not exist or has already vanished.') : gonePage(c);
    const body = await readBody(c);
    if (body === null) return jsonError(c, 400, 'invalid_body', 'The body is not valid JSON or form data.');
    const values = stringValues(body);
    delete values.password;
    const parsed = JoinSchema.safeParse(body);
    if (!parsed.success)
      return json ? validationError(c, parsed.error) : flashRedirect(c, id, { status: 400, values, errors: fieldErrors(parsed.error) });
    try {
      // Signed in (session cookie, or an account token as Bearer): the name is verified.
      const verifiedAs = (await currentAccount(c)) ?? undefined;
      const member = await c.var.deps.rooms.join(id, parsed.data, { verifiedAs, address: clientAddress(c) }, json ? 'api' : 'page');
      const asking = c.var.deps.rooms.requestStatus(member);
      if (asking && json) return c.json({ ...requestJson(id, asking, siteOrigin(c)), token: member.token }, 202);
      if (json) {
        return c.json({
          token: member.token,
          username: member.identity.username,
          member_id: member.identity.memberId,
          room_id: id,
          ws_url: `${wsOrigin(siteOrigin(c))}/rooms/${id}/ws?token=${member.token}`,
        });
      }
      setMemberCookie(c, id, member.token, room.expiresAt);
      return c.redirect(`/rooms/${id}`, 303);
    } catch (err) {
      if (!(err instanceof RoomError)) throw err;
      if (json) return roomError(c, err);
      if (err.code === 'not_found') return gonePage(c);
      return flashRedirect(c, id, { status: err.status, retryAfterMs: err.retryAfterMs, values, errors: { form: err.message } });
    }
  });

  app.post('/rooms/:id/messages', async (c) => {
    const id = c.req.param('id');
    const json = wantsJson(c);
    const room = await findRoom(c, id);
    if (!room) return json ? jsonError(c, 404, 'not_found', 'This room does not exist or has already vanished.') : gonePage(c);
    const holder = await c.var.deps.rooms.holder(id, memberToken(c));
    const member = holder && !holder.identity.request ? holder : null;
    if (!member) {
      const refusal = c.var.deps.rooms.refusalFor(holder, new RoomError('unauthorized', 'Join the room to send messages.'));
      return json ? roomError(c, refusal) : flashRedirect(c, id, { status: refusal.status, errors: { form: refusal.message } });
    }
    const body = await readBody(c);
    if (body === null) return jsonError(c, 400, 'invalid_body', 'The body is not valid JSON or form data.');
    const parsed = (room.e2e ? PostEncryptedSchema : PostMessageSchema).safeParse(body);
    if (!parsed.success) {
      if (json) return validationError(c, parsed.error);
      const draft = typeof body.content === 'string' ? body.content : undefined;
      const error = `Message: ${fieldErrors(parsed.error).content ?? 'invalid'}`;
      return flashRedirect(c, id, { status: 400, errors: { form: error }, draft }, '#composer');
    }
    try {
      await c.var.deps.rooms.present(id, member, json ? 'api' : 'page');
      const message = await c.var.deps.rooms.post(id, member, parsed.data.content, clientAddress(c));
      if (json) return c.json(messageJson(id, message), 201);
      return c.redirect(`/rooms/${id}#latest`, 303);
    } catch (err) {
      if (!(err instanceof RoomError)) throw err;
      if (json) return roomError(c, err);
      if (err.code === 'not_found') return gonePage(c);
      const flash = { status: err.status, retryAfterMs: err.retryAfterMs, errors: { form: err.message }, draft: parsed.data.content };
      return flashRedirect(c, id, flash, '#composer');
    }
  });

  app.get('/rooms/:id/messages', async (c) => {
    const id = c.req.param('id');
    const room = await findRoom(c, id);
    if (!room) return jsonError(c, 404, 'not_found', 'This room does not exist or has already vanished.');
    const holder = await c.var.deps.rooms.holder(id, memberToken(c));
    if (!holder || holder.identity.request) return roomError(c, c.var.deps.rooms.refusalFor(holder));
    const q = HistoryQuery.safeParse(c.req.query());
    if (!q.success) return validationError(c, q.error);
    const limit = q.data.limit ?? 50;
    const messages = await c.var.deps.rooms.history(id, { limit, offset: q.data.offset, afterSeq: q.data.since });
    return c.json({ room_id: id, messages: messages.map((m) => messageJson(id, m)) });
  });

  const destroy = async (c: Ctx) => {
    const id = c.req.param('id')!;
    const json = c.req.method === 'DELETE' || wantsJson(c);
    const room = await findRoom(c, id);
    if (!room) return json ? jsonError(c, 404, 'not_found', 'This room does not exist or has already vanished.') : gonePage(c);
    const token = memberToken(c);
    const member = await c.var.deps.rooms.authenticate(id, token);
    try {
      await c.var.deps.rooms.destroy(id, { member, ownerToken: token });
    } catch (err) {
      if (!(err instanceof RoomError)) throw err;
      if (json) return roomError(c, err);
      return member ? roomPage(c, room, member, err.message, err.status) : joinPage(c, room, {}, { form: err.message }, err.status);
    }
    clearMemberCookie(c, id);
    return json ? c.body(null, 204) : c.redirect('/?ended=destroyed', 303);
  };
  /** A confirm page: destroy (owner only), or leave (for the owner, giving the room up); others go back to the room. */
  const confirmPage = async (c: Ctx, kind: 'destroy' | 'leave') => {
    const id = c.req.param('id')!;
    const room = await findRoom(c, id);
    if (!room) return gonePage(c);
    const member = await c.var.deps.rooms.authenticate(id, memberToken(c));
    if (!member || (kind === 'destroy' && !member.identity.owner)) return c.redirect(`/rooms/${id}`, 303);
    const props =
      kind === 'destroy'
        ? { title: 'Destroy this room?', text: 'Everything in it is gone, for everyone.', button: 'Destroy room' }
        : member.identity.owner
          ? {
              title: 'Leave this room?',
              text: await ownerLeaveText(c, id, member.tokenHash),
              button: 'Leave',
            }
          : { title: 'Leave this room?', text: 'You can join again with the link while the room lasts.', button: 'Leave' };
    return c.html(
      <Layout title={props.title} account={accountOf(c)} e2e={room.e2e}>
        <ConfirmPage room={room} action={`/rooms/${id}/${kind}`} {...props} />
      </Layout>,
    );
  };
  app.get('/rooms/:id/destroy', (c) => confirmPage(c, 'destroy'));
  app.get('/rooms/:id/leave', (c) => confirmPage(c, 'leave'));

  app.delete('/rooms/:id', destroy);
  app.post('/rooms/:id/destroy', destroy);

  app.post('/rooms/:id/leave', async (c) => {
    const id = c.req.param('id');
    const json = wantsJson(c);
    // A member leaves; someone still asking to join withdraws the request.
    const member = await c.var.deps.rooms.holder(id, memberToken(c));
    // An owner leaving from a page hands the room over: that is asked first (GET shows the question).
    if (member?.identity.owner && !json && (await readBody(c))?.confirmed !== '1') return c.redirect(`/rooms/${id}/leave`, 303);
    if (member) await c.var.deps.rooms.leave(id, member);
    clearMemberCookie(c, id);
    if (json) return member ? c.body(null, 204) : roomError(c, new RoomError('unauthorized'));
    return c.redirect('/?ended=left', 303);
  });

  return app;
}
