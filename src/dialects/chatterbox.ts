// The Chatterbox dialect (seed 004): its chat for signed-in accounts, the lounge, over mayfly's /ws protocol and a history route.
import { type Context, Hono } from 'hono';
import { RoomError } from '../rooms/errors.ts';
import { HistoryQuery } from '../rooms/schema.ts';
import { CLOSE } from '../realtime/hub.ts';
import { accountToken, currentAccount } from '../web/accounts.tsx';
import type { AppEnv } from '../web/env.ts';
import { clientAddress, jsonError, setMemberCookie, siteOrigin, validationError, wantsJson, wsOrigin } from '../web/http.ts';
import { messageJson } from '../web/present.ts';
import { roomError } from '../web/rooms.tsx';
import { closeCodeFor, notAnUpgrade, upgradeSocket } from '../web/sockets.ts';

type Ctx = Context<AppEnv>;

const NOT_LOGGED_IN = 'Log in first (POST /login) and send its token as ?token= or a Bearer token.';

/** Chatterbox sends the login's session token as `?token=`; a Bearer token or the session cookie do too. */
const accountOf = (c: Ctx) => c.var.deps.accounts.whoami(c.req.query('token') ?? accountToken(c));

export function chatterboxRoutes() {
  const app = new Hono<AppEnv>();

  // WS /ws?token=: the lounge, in mayfly's /ws protocol (history first, then message events with username and timestamp).
  app.get('/ws', async (c) => {
    const early = notAnUpgrade(c);
    if (early) return early;
    const username = await accountOf(c);
    if (!username) return upgradeSocket(c, 'ws', '', { token: null, reject: { code: CLOSE.unauthenticated, reason: 'not logged in' } });
    try {
      const { room, tokenFor } = await c.var.deps.lounge.open(clientAddress(c));
      return upgradeSocket(c, 'ws', room.id, { token: null, account: { username, token: tokenFor(username) } });
    } catch (err) {
      if (!(err instanceof RoomError)) throw err;
      return upgradeSocket(c, 'ws', '', { token: null, reject: { code: closeCodeFor(err), reason: err.message } });
    }
  });

  // GET /messages?limit&offset: the lounge's history, oldest first (a JSON array, as Chatterbox lists them).
  app.get('/messages', async (c) => {
    if (!(await accountOf(c))) return jsonError(c, 401, 'unauthorized', NOT_LOGGED_IN);
    const q = HistoryQuery.safeParse(c.req.query());
    if (!q.success) return validationError(c, q.error);
    const room = await c.var.deps.lounge.find();
    if (!room) return c.json([]);
    const messages = await c.var.deps.rooms.history(room.id, { limit: q.data.limit ?? 50, offset: q.data.offset, afterSeq: q.data.since });
    return c.json(messages.map((m) => messageJson(room.id, m)));
  });

  // POST /lounge: mayfly's own door into the lounge for a signed-in account: a member token (API) or the room page (browser).
  app.post('/lounge', async (c) => {
    const json = wantsJson(c);
    const username = await currentAccount(c);
    if (!username) return json ? jsonError(c, 401, 'unauthorized', NOT_LOGGED_IN) : c.redirect('/login', 303);
    try {
      const { room, member } = await c.var.deps.lounge.join(clientAddress(c), username);
      if (!json) {
        setMemberCookie(c, room.id, member.token, room.expiresAt);
        return c.redirect(`/rooms/${room.id}`, 303);
      }
      return c.json({
        room_id: room.id,
        token: member.token,
        username: member.identity.username,
        member_id: member.identity.memberId,
        url: `${siteOrigin(c)}/rooms/${room.id}`,
        ws_url: `${wsOrigin(siteOrigin(c))}/rooms/${room.id}/ws?token=${member.token}`,
      });
    } catch (err) {
      if (!(err instanceof RoomError)) throw err;
      return roomError(c, err);
    }
  });

  return app;
}
