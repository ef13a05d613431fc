// The dialects in the OpenAPI document (tag `compatibility`): their own routes, and what they add to the URLs mayfly shares with them.
import { z } from 'zod';
import { CLOSE } from '../realtime/hub.ts';
import { HistoryQuery, UsernameBody } from '../rooms/schema.ts';
import { jsonSchema } from '../web/openapi.ts';

type Json = Record<string, any>;

const TAG = 'compatibility';
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
// The same JSON Schema as the rest of the document (called only while the document is built: no import cycle at load).
const schema = (s: z.ZodType): Json => jsonSchema(s);
const json = (name: string) => ({ 'application/json': { schema: ref(name) } });
const RETRY_AFTER = { 'Retry-After': { schema: { type: 'integer', minimum: 1 }, description: 'Seconds to wait before trying again.' } };
const fail = (status: number, description: string, codes: string[]): Json => ({
  description,
  content: {
    'application/json': {
      schema: ref('Error'),
      examples: Object.fromEntries(codes.map((code) => [code, { value: { error: { code, message: description } } }])),
    },
  },
  ...(status === 429 || status === 503 ? { headers: RETRY_AFTER } : {}),
});
const NO_SESSION = fail(401, 'No such DisposableChat session, or it expired (send its `session_id` as a Bearer token).', ['unauthorized']);
const UNAVAILABLE = fail(503, 'Storage is unreachable or did not answer in time.', ['storage_unavailable']);
const SESSION = [{ disposableSession: [] }];
const roomIdParam = { name: 'id', in: 'path', required: true, description: 'Room id (21 characters).', schema: { type: 'string' } };

const d = (description: string) => ({ description });
const IsoTime = z.string().meta({ format: 'date-time' });

const SessionCreated = z.object({
  session_id: z
    .string()
    .meta(d('A random UUID: the session’s secret. Send it as `Authorization: Bearer <session_id>` and `?session_id=`.')),
  username: z.string(),
  expires_at: IsoTime.meta(d('When the session lapses unless used again (`DISPOSABLE_SESSION_SECONDS` after its last use).')),
});
const SessionMe = SessionCreated.extend({
  joined_rooms: z.array(z.string()).meta(d('Ids of the rooms it joined or made that still exist.')),
});
const RoomCreated = z.object({
  room_id: z.string(),
  expires_at: IsoTime,
  url: z.string().meta(d('The room’s link (the browser page).')),
  ws_url: z.string().meta(d('The DisposableChat socket: add `?session_id=`.')),
});
const DisposableRoom = z
  .object({
    room_id: z.string(),
    exists: z.boolean(),
    user_count: z.number().int().nullable().meta(d('Members present; null for a password room the session has not joined.')),
    joined: z.boolean().optional().meta(d('The session is a member.')),
  })
  .catchall(z.unknown())
  .meta(
    d(
      'mayfly’s room JSON (`Room`) with `exists`, `user_count` and `joined`; `{room_id, exists: false, user_count: 0}` for a room that is gone.',
    ),
  );
const DisposableRooms = z.object({ rooms: z.array(DisposableRoom) });
const Joined = z.object({ room_id: z.string(), username: z.string(), member_id: z.string(), message: z.string(), ws_url: z.string() });
const Chat = z
  .object({
    id: z.string(),
    type: z.literal('chat'),
    user: z.string(),
    message: z.string(),
    timestamp: IsoTime,
    room_id: z.string(),
    seq: z.number().int().min(1).meta(d('mayfly’s order of the room’s messages.')),
  })
  .meta(d('A message as DisposableChat shows it.'));
const ChatHistory = z.object({ room_id: z.string(), messages: z.array(Chat).meta(d('Oldest first.')) });
const Notice = z.object({
  id: z.string(),
  type: z.enum(['user_joined', 'user_left']),
  user: z.string(),
  message: z.string().meta({ examples: ['carla has joined', 'carla has left'] }),
  timestamp: IsoTime,
  room_id: z.string(),
  users: z.array(z.string()),
});
const Typing = z.object({ type: z.literal('typing'), user: z.string() });
const ClientChat = z.union([z.object({ type: z.literal('chat'), message: z.string() }), z.object({ type: z.literal('typing') })]);
const Done = z.object({ message: z.string(), room_id: z.string().optional() });
const LoungeJoined = Joined.omit({ message: true }).extend({
  token: z.string().meta(d('A member token of the lounge: mayfly’s /ws and HTTP routes take it.')),
  url: z.string(),
});

const DISPOSABLE =
  'DisposableChat dialect (seed 003, docs/compatibility.md): a request whose `Authorization: Bearer` is a DisposableChat ' +
  '`session_id` (a UUID, a shape none of mayfly’s own tokens has) is answered as DisposableChat expects; any other request ' +
  'gets mayfly’s own answer, unchanged.';

/** What the DisposableChat dialect adds to an operation mayfly serves on the same URL. */
const shared = (op: Json, what: string): Json => ({
  ...op,
  tags: [...(op.tags ?? []), TAG],
  description: `${op.description ?? ''}\n\n**${DISPOSABLE}** ${what}`,
  security: [...(op.security ?? [{}]), ...SESSION],
});

function paths(): Json {
  const createSession = {
    tags: [TAG],
    operationId: 'disposableCreateSession',
    summary: 'DisposableChat: start a session',
    description:
      `${DISPOSABLE} A name, no account: checked like any name in a room (NFKC, no invisible characters, not an account’s). ` +
      'The session lasts `DISPOSABLE_SESSION_SECONDS` after its last use; counted against the per-address creation limit.',
    requestBody: { required: true, content: { 'application/json': { schema: ref('SessionRequest') } } },
    responses: {
      '201': { description: 'Started.', content: json('DisposableSession') },
      '400': fail(400, 'The name is invalid.', ['validation_failed', 'invalid_body']),
      '409': fail(409, 'The name belongs to a registered account.', ['name_reserved']),
      '429': fail(429, 'Too many sessions, rooms or accounts made from your address.', ['rate_limited']),
      '503': UNAVAILABLE,
    },
  };
  const listRooms = (operationId: string, summary: string, extra = '') => ({
    tags: [TAG],
    operationId,
    summary,
    description: `${DISPOSABLE} The session’s own rooms (joined or made) that still exist.${extra} Without a session bearer: mayfly’s 404.`,
    security: SESSION,
    responses: {
      '200': { description: 'The rooms.', content: json('DisposableRooms') },
      '401': NO_SESSION,
      '404': { description: 'No session bearer.' },
    },
  });
  const socket = (dialect: 'disposable' | 'chatterbox'): Json =>
    dialect === 'disposable'
      ? {
          tags: [TAG, 'realtime'],
          operationId: 'disposableSocket',
          summary: 'DisposableChat: the room’s WebSocket',
          description: [
            `${DISPOSABLE} \`ws://host/ws/{id}?session_id=…\` for a session that made or joined the room over HTTP. ` +
              'The same admission, socket caps, message rate and presence as `/rooms/{id}/ws`.',
            '',
            '**Client → server:** `{"type":"chat","message":"…"}` (a message: mayfly’s content rules), `{"type":"typing"}`.',
            '',
            '**Server → client:** first the recent messages, oldest first, as `chat` events; then `chat` (`id`, `user`, `message`, ' +
              '`timestamp`, `room_id`, `seq`), `user_joined` / `user_left` (`user`, `message` such as “carla has joined”, `users`), ' +
              '`typing` (`user`), and mayfly’s own events (`room_expired`, the owner’s…) as on `/rooms/{id}/ws`. A refused frame gets ' +
              'mayfly’s `error` event.',
            '',
            `**Close codes:** every refusal and removal closes with \`1008\` (no or expired session, not a member, room not found, full, locked, removed, too many messages or sockets), with mayfly’s reason; the room’s end with \`1000\`; \`1011\` and \`${CLOSE.restarting}\` as on \`/rooms/{id}/ws\`.`,
          ].join('\n'),
          parameters: [
            roomIdParam,
            { name: 'session_id', in: 'query', required: true, schema: { type: 'string' }, description: 'The DisposableChat session.' },
            { name: 'since', in: 'query', schema: { type: 'integer', minimum: 0 }, description: 'Catch up after this `seq`.' },
          ],
          responses: {
            '101': { description: 'Switching Protocols.' },
            '403': fail(403, 'The `Origin` header names another site.', ['forbidden_origin']),
            '426': fail(426, 'Upgrade Required: this URL only speaks WebSocket.', ['upgrade_required']),
          },
          'x-websocket': {
            clientFrames: ref('DisposableClientFrame'),
            serverEvents: { oneOf: [ref('DisposableChat'), ref('DisposableNotice'), ref('DisposableTyping')] },
            closeCodes: { 1008: 'refused or removed (mayfly’s reason)', 1000: 'the room ended' },
          },
        }
      : {
          tags: [TAG, 'realtime'],
          operationId: 'chatterboxSocket',
          summary: 'Chatterbox: the lounge’s WebSocket',
          description: [
            'Chatterbox dialect (seed 004, docs/compatibility.md). `WS /ws?token=<login token>` (also a Bearer token or the session cookie): ' +
              'the lounge, the one room of this deployment for signed-in accounts, made on demand (it lives `LOUNGE_SECONDS` and is ' +
              'renewed while in use, up to `MAX_EXPIRY_SECONDS` from its creation; then a new one is made). Each account is one member ' +
              'there, its name verified. Frames are mayfly’s `/rooms/{id}/ws` protocol: `history` first, then `message` events, each ' +
              'with `username` and `timestamp`; send `{"type":"message","content":"…"}` and `{"type":"typing"}`.',
            '',
            'Refusals close as on `/rooms/{id}/ws`: `4401` not logged in, `4429` too many sockets or messages, `4410` the lounge ended.',
          ].join('\n'),
          parameters: [
            { name: 'token', in: 'query', schema: { type: 'string' }, description: 'The `token` of `POST /login`.' },
            { name: 'since', in: 'query', schema: { type: 'integer', minimum: 0 }, description: 'Catch up after this `seq`.' },
          ],
          security: [{ accountToken: [] }, { accountTokenQuery: [] }],
          responses: {
            '101': { description: 'Switching Protocols.' },
            '403': fail(403, 'The `Origin` header names another site.', ['forbidden_origin']),
            '426': fail(426, 'Upgrade Required: this URL only speaks WebSocket.', ['upgrade_required']),
          },
          'x-websocket': { clientFrames: ref('WsClientFrame'), serverEvents: ref('WsServerEvent'), closeCodes: { 4401: 'not logged in' } },
        };

  const history = Object.entries((schema(HistoryQuery).properties ?? {}) as Json).map(([name, s]) => ({ name, in: 'query', schema: s }));
  return {
    '/sessions': { post: createSession },
    '/sessions/': {
      post: {
        ...createSession,
        operationId: 'disposableCreateSessionSlash',
        summary: 'DisposableChat: start a session (same as `POST /sessions`)',
      },
    },
    '/sessions/me': {
      get: {
        tags: [TAG],
        operationId: 'disposableSession',
        summary: 'DisposableChat: the session',
        description: `${DISPOSABLE} Every use renews the session.`,
        security: SESSION,
        responses: { '200': { description: 'The session.', content: json('DisposableSessionMe') }, '401': NO_SESSION, '503': UNAVAILABLE },
      },
      delete: {
        tags: [TAG],
        operationId: 'disposableEndSession',
        summary: 'DisposableChat: end the session',
        description: `${DISPOSABLE} Leaves every room the session joined (the others hear \`user_left\`; its sockets close with \`1008\`), then forgets it.`,
        security: SESSION,
        responses: { '200': { description: 'Ended.', content: json('DisposableDone') }, '401': NO_SESSION, '503': UNAVAILABLE },
      },
    },
    '/rooms/': {
      get: listRooms('disposableRooms', 'DisposableChat: the session’s rooms'),
    },
    '/rooms/all': {
      get: listRooms(
        'disposableAllRooms',
        'DisposableChat: “all rooms”, answered with the session’s own',
        ' DisposableChat listed every room on the server here; mayfly’s rooms are reached by their unguessable link only, so listing them would undo that: this URL answers the same as `GET /rooms/`.',
      ),
    },
    '/rooms/{id}/leave': {
      delete: {
        tags: [TAG],
        operationId: 'disposableLeave',
        summary: 'DisposableChat: leave a room',
        description: `${DISPOSABLE} The same as mayfly’s \`POST /rooms/{id}/leave\` for the session’s member in the room.`,
        parameters: [roomIdParam],
        security: SESSION,
        responses: {
          '200': { description: 'Left.', content: json('DisposableDone') },
          '401': fail(401, 'No session, or the session is not in the room.', ['unauthorized']),
          '503': UNAVAILABLE,
        },
      },
    },
    '/ws/{id}': { get: socket('disposable') },
    '/ws': { get: socket('chatterbox') },
    '/messages': {
      get: {
        tags: [TAG],
        operationId: 'chatterboxMessages',
        summary: 'Chatterbox: the lounge’s history',
        description:
          'Chatterbox dialect (seed 004). Signed-in accounts only (`?token=`, a Bearer token or the session cookie). The lounge’s messages ' +
          'still kept, oldest first, as a JSON array of mayfly’s messages (`username`, `content`, `timestamp`…); `[]` while there is no lounge. ' +
          '`limit` (default 50) and `offset` as on `GET /rooms/{id}/messages`.',
        security: [{ accountToken: [] }, { accountTokenQuery: [] }],
        parameters: history,
        responses: {
          '200': { description: 'The history.', content: { 'application/json': { schema: { type: 'array', items: ref('Message') } } } },
          '400': fail(400, 'A query parameter is invalid.', ['validation_failed']),
          '401': fail(401, 'Not logged in.', ['unauthorized']),
          '503': UNAVAILABLE,
        },
      },
    },
    '/lounge': {
      post: {
        tags: [TAG, 'accounts'],
        operationId: 'enterLounge',
        summary: 'Enter the lounge (signed-in accounts)',
        description:
          'mayfly’s own door into the Chatterbox lounge: the signed-in account’s member of it (the same one its `/ws?token=` socket is). ' +
          'JSON: a member token for `/rooms/{id}/ws` and the HTTP routes (the terminal client takes it too). A browser form post: the ' +
          'room’s cookie and `303` to the room page.',
        security: [{ accountToken: [] }],
        responses: {
          '200': { description: 'In the lounge.', content: json('LoungeJoined') },
          '303': { description: 'Browsers: to the lounge’s page (or to `/login`).' },
          '401': fail(401, 'Not logged in.', ['unauthorized']),
          '429': fail(429, 'Too many joins from your address.', ['rate_limited']),
          '503': UNAVAILABLE,
        },
      },
    },
  };
}

/** The document with the dialects: their routes, the shared URLs’ DisposableChat answers, schemas, the tag. */
export function withDialects<T extends Json>(doc: T): T {
  const p = doc.paths as Json;
  for (const path of ['/rooms', '/rooms/']) {
    p[path].post = shared(
      p[path].post,
      'A session’s `POST /rooms/` with no body makes a room with mayfly’s defaults (a JSON body may set mayfly’s fields; the name defaults to “<name>’s room”), ' +
        'owned by the session, which is its first member: `201 {room_id, expires_at, url, ws_url}`.',
    );
  }
  p['/rooms/{id}'].get = shared(
    p['/rooms/{id}'].get,
    'A session gets the room as `DisposableRoom` (mayfly’s room JSON with `exists`, `user_count`, `joined`), and `200 {room_id, exists: false, user_count: 0}` for a room that is gone.',
  );
  p['/rooms/{id}/join'].post = shared(
    p['/rooms/{id}/join'].post,
    'A session joins under its own name (no body; `password` in a JSON body for a password room): `200 {room_id, username, member_id, message, ws_url}`, or `202` in a room that asks its owner. Joining again is a no-op.',
  );
  p['/rooms/{id}/messages'].get = shared(
    p['/rooms/{id}/messages'].get,
    'A session that is a member gets `{room_id, messages}` with each message as DisposableChat shows it (`DisposableChat`: `user`, `message`).',
  );
  for (const [path, item] of Object.entries(paths())) p[path] = { ...p[path], ...item }; // a URL mayfly has keeps its operations
  doc.tags.push({
    name: TAG,
    description: 'The seed systems’ own clients, unchanged: the DisposableChat and Chatterbox dialects (docs/compatibility.md).',
  });
  Object.assign(doc.components.securitySchemes, {
    disposableSession: {
      type: 'http',
      scheme: 'bearer',
      description: 'DisposableChat dialect: `session_id` from `POST /sessions/` (a UUID).',
    },
    accountTokenQuery: {
      type: 'apiKey',
      in: 'query',
      name: 'token',
      description: 'Chatterbox dialect: the `token` of `POST /login` as `?token=`.',
    },
  });
  Object.assign(doc.components.schemas, {
    SessionRequest: schema(UsernameBody),
    DisposableSession: schema(SessionCreated),
    DisposableSessionMe: schema(SessionMe),
    DisposableRoomCreated: schema(RoomCreated),
    DisposableRoom: schema(DisposableRoom),
    DisposableRooms: schema(DisposableRooms),
    DisposableJoined: schema(Joined),
    DisposableChat: schema(Chat),
    DisposableChatHistory: schema(ChatHistory),
    DisposableNotice: schema(Notice),
    DisposableTyping: schema(Typing),
    DisposableClientFrame: schema(ClientChat),
    DisposableDone: schema(Done),
    LoungeJoined: schema(LoungeJoined),
  });
  return doc;
}
