// The OpenAPI 3.1 document (request schemas generated from the handlers' zod schemas) and the offline /docs page.
import { Hono } from 'hono';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { CLOSE } from '../realtime/hub.ts';
import { ERRORS } from '../rooms/errors.ts';
import { LoginSchema, RegisterSchema } from '../accounts/service.ts';
import { ClientFrame, createRoomSchema, HistoryQuery, JoinSchema, LIMITS, PostMessageSchema, Username } from '../rooms/schema.ts';
import type { AppEnv } from './env.ts';
import { MEMBER_COOKIE, siteOrigin, wsOrigin } from './http.ts';

type Json = Record<string, unknown>;

/** Server settings that show up in the document (limits and defaults); the built-in defaults otherwise. */
export type OpenApiOptions = {
  maxExpirySeconds?: number;
  defaultExpirySeconds?: number;
  defaultMaxUsers?: number;
  historyLimit?: number;
  maxBodyBytes?: number;
};

const VERSION = '0.1.0';
const ROOM_ID_PATTERN = '^[A-Za-z0-9_-]{21}$';

// ---------------------------------------------------------------------------------------------
// zod → JSON Schema (OpenAPI 3.1 uses JSON Schema 2020-12 directly)

const INT_BOUNDS = new Set([Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER]);

/** Drops zod's implicit ±MAX_SAFE_INTEGER bounds on integers: they are noise in the docs. */
function tidy(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(tidy);
  if (!node || typeof node !== 'object') return node;
  const out: Json = {};
  for (const [k, v] of Object.entries(node)) {
    if ((k === 'minimum' || k === 'maximum') && typeof v === 'number' && INT_BOUNDS.has(v)) continue;
    out[k] = tidy(v);
  }
  return out;
}

/**
 * The JSON Schema of what a client may send (`io: 'input'`): preprocess/coerce steps are looked
 * through, and anything JSON Schema cannot say (refinements, transforms) becomes "any".
 */
export function jsonSchema(schema: z.ZodType): Json {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' }) as Json;
  return tidy(rest) as Json;
}

// ---------------------------------------------------------------------------------------------
// Response shapes: what src/web/present.ts, rooms.tsx, health.ts and realtime/events.ts return

const d = (description: string) => ({ description });
const IsoTime = z.string().meta({ format: 'date-time', ...d('ISO 8601 timestamp (UTC)') });
const RoomIdField = z.string().regex(new RegExp(ROOM_ID_PATTERN)).meta(d('Room id: a nanoid of 21 characters, unguessable.'));
const Names = z.array(z.string()).meta(d('Usernames of the members present, in join order.'));

const RoomJson = z
  .object({
    room_id: RoomIdField,
    password_protected: z.boolean(),
    expires_at: IsoTime.meta(d('When the room and everything in it vanish.')),
    expires_in_seconds: z.number().int().min(0),
    url: z.string().meta({ format: 'uri', ...d('Link to share: the room page.') }),
    ws_url: z.string().meta({ format: 'uri', ...d('The JSON WebSocket of the room (`ws:` or `wss:`).') }),
    name: z.string().min(1).max(LIMITS.roomName).optional(),
    owner_name: z.string().optional(),
    created_at: IsoTime.optional(),
    max_users: z.number().int().min(LIMITS.minUsers).max(LIMITS.maxUsers).optional(),
    idle_seconds: z
      .number()
      .int()
      .nullable()
      .optional()
      .meta(d('Seconds the room may stay empty before it vanishes early; null when off.')),
    users: Names.optional(),
    user_count: z.number().int().min(0).optional(),
  })
  .meta(
    d(
      'A room. The password is never included. For a password-protected room that the caller has not joined, only ' +
        '`room_id`, `password_protected`, `expires_at`, `expires_in_seconds`, `url` and `ws_url` are present.',
    ),
  );

const CreatedRoomJson = RoomJson.required({
  name: true,
  owner_name: true,
  created_at: true,
  max_users: true,
  idle_seconds: true,
  users: true,
  user_count: true,
})
  .extend({
    owner_token: z.string().meta(d('Secret proving ownership: `Authorization: Bearer <owner_token>` on `DELETE /rooms/{id}`. Shown once.')),
  })
  .meta(d('The new room with its owner token. The API creator is not a member: join like anyone else to chat.'));

const JoinResponseJson = z
  .object({
    token: z.string().meta(d('Member token: `Authorization: Bearer <token>`, or `?token=` on the WebSocket.')),
    username: z.string().meta(d('The name you got (trimmed).')),
    member_id: z.string(),
    room_id: RoomIdField,
    ws_url: z.string().meta({ format: 'uri', ...d('The JSON WebSocket URL with your token already in it.') }),
  })
  .meta(d('Membership of a room: holds a seat (towards `max_users`) until you leave or the room ends.'));

const MessageJson = z
  .object({
    type: z.literal('message'),
    room_id: RoomIdField,
    id: z.string(),
    seq: z.number().int().min(1).meta(d('Counts up by one per room; use it with `since` to catch up.')),
    username: z.string(),
    member_id: z.string(),
    content: z.string().meta(d(`The message text, trimmed (1 … ${LIMITS.content} characters).`)),
    verified: z.boolean().meta(d('True when the sender is logged in to an account with this name.')),
    timestamp: IsoTime,
  })
  .meta(d('A chat message.'));

const HistoryJson = z.object({ room_id: RoomIdField, messages: z.array(MessageJson).meta(d('Oldest first.')) });

const ERROR_CODES = [
  ...Object.keys(ERRORS),
  'validation_failed',
  'invalid_body',
  'body_too_large',
  'internal_error',
  'upgrade_required',
  'forbidden_origin',
  'upgrade_failed',
  'storage_busy',
  'username_taken',
  'invalid_credentials',
  'too_many_attempts',
];

const ErrorJson = z
  .object({
    error: z.object({
      code: z.string().meta({ ...d('Stable, machine-readable reason.'), examples: ERROR_CODES }),
      message: z.string().meta(d('A sentence a person can read.')),
      fields: z
        .record(z.string(), z.string())
        .optional()
        .meta(d('For `validation_failed`: each invalid field with what is wrong with it.')),
    }),
  })
  .meta(d('Every JSON error has this shape.'));

const HealthJson = z.object({ status: z.literal('ok') });
const ReadyJson = z.object({
  status: z.literal('ready'),
  storage: z.string().meta({ ...d('Storage backend'), examples: ['memory', 'redis', 'sqlite'] }),
  broker: z.string().meta({ ...d('Event broker between instances'), examples: ['memory', 'redis'] }),
  sockets: z.number().int().min(0).meta(d('Open WebSockets on this instance.')),
});
const NotReadyJson = z.object({ status: z.literal('unavailable'), storage: z.string(), error: z.string() });

// WebSocket events (server → client); every one carries type, room_id and timestamp.
const eventBase = { room_id: RoomIdField, timestamp: IsoTime };
const WsHistoryEvent = z
  .object({
    type: z.literal('history'),
    ...eventBase,
    users: Names,
    messages: z.array(MessageJson).meta(d('The most recent messages (or those after `since`), oldest first.')),
  })
  .meta(d('Sent first on every connection.'));
const WsPresenceEvent = z
  .object({ type: z.enum(['user_joined', 'user_left']), ...eventBase, username: z.string(), users: Names })
  .meta(d('Someone joined or left; `users` is the new list.'));
const WsTypingEvent = z
  .object({ type: z.literal('typing'), ...eventBase, username: z.string(), member_id: z.string() })
  .meta(d('Someone is typing.'));
const WsEndEvent = z
  .object({ type: z.enum(['room_expired', 'room_destroyed']), ...eventBase })
  .meta(d(`The room is gone; the server then closes the socket with ${CLOSE.gone}.`));
const WsErrorEvent = z
  .object({ type: z.literal('error'), ...eventBase, code: z.string(), message: z.string() })
  .meta(d('A frame was refused (bad JSON, invalid frame, too many messages…); the connection stays open.'));

// Optional accounts (docs/api.md): the handlers' own schemas.
const Credentials = RegisterSchema;
const LoginCredentials = LoginSchema;
const LoginJson = z.object({
  token: z.string().meta(d('Account token: `Authorization: Bearer <token>` (browsers get an HttpOnly cookie instead).')),
  username: z.string(),
});
const MeJson = z.object({ username: z.string() });

// ---------------------------------------------------------------------------------------------
// Building blocks for operations

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const jsonContent = (schema: string, example?: unknown) => ({
  'application/json': { schema: ref(schema), ...(example !== undefined ? { example } : {}) },
});
const HTML = { 'text/html': { schema: { type: 'string', description: 'An HTML page.' } } };
const SEE_OTHER = (to: string, extra: Json = {}) => ({
  description: `See Other (browser form posts): redirects to ${to}.`,
  headers: { Location: { schema: { type: 'string' }, description: to }, ...extra },
});
const SET_COOKIE = {
  'Set-Cookie': { schema: { type: 'string' }, description: `\`${MEMBER_COOKIE}\`: HttpOnly, SameSite=Lax, scoped to \`/rooms/{id}\`.` },
};
const RETRY_AFTER = {
  'Retry-After': {
    schema: { type: 'integer', minimum: 1 },
    description:
      'Seconds to wait before trying again. On a `429`: what is left of that limit’s own window (a few seconds for messages, ' +
      'at most a minute for the others). On a `503`: 2 for `storage_unavailable`, 1 for `storage_busy` and `busy`.',
  },
};

type Fail = { codes: string[]; html?: boolean; messages?: Record<string, string> };

/** An error response: JSON `{error:{code,message,fields?}}` (and the page again, for browsers). */
function failure(status: number, description: string, opts: Fail): Json {
  const examples: Json = {};
  for (const code of opts.codes) {
    const known = (ERRORS as Record<string, { message: string }>)[code];
    const message = opts.messages?.[code] ?? known?.message ?? GENERIC_MESSAGES[code] ?? description;
    examples[code] = {
      value: { error: { code, message, ...(code === 'validation_failed' ? { fields: { name: 'must not be empty' } } : {}) } },
    };
  }
  const content: Json = { 'application/json': { schema: ref('Error'), examples } };
  if (opts.html) Object.assign(content, HTML);
  return { description, content, ...(status === 429 || status === 503 ? { headers: RETRY_AFTER } : {}) };
}

const GENERIC_MESSAGES: Record<string, string> = {
  validation_failed: 'Some fields are invalid.',
  invalid_body: 'The body is not valid JSON or form data.',
  body_too_large: 'The request body is larger than the limit.',
  upgrade_required: 'This URL is a WebSocket.',
  forbidden_origin: 'WebSocket connections from other sites are refused.',
  upgrade_failed: 'WebSocket upgrade failed.',
};

const F = {
  badBody: (html = true) =>
    failure(400, 'Bad request: a field is invalid (`validation_failed`, with `fields`) or the body is unreadable.', {
      codes: ['validation_failed', 'invalid_body'],
      html,
    }),
  csrf: failure(
    403,
    'Refused as cross-site: a form or body-less request without `Authorization` must carry this site’s `Origin` (CSRF protection).',
    {
      codes: ['forbidden_origin'],
      messages: { forbidden_origin: 'Cross-site form posts are refused.' },
    },
  ),
  tooLarge: (bytes: number) => failure(413, `The body is larger than ${bytes} bytes.`, { codes: ['body_too_large'] }),
  gone: (html = true) => failure(404, 'No such room: it never existed, expired or was destroyed.', { codes: ['not_found'], html }),
  unavailable: failure(
    503,
    'Storage is unreachable, or did not answer within `STORAGE_TIMEOUT_MS` (`storage_unavailable`, `Retry-After: 2`): nothing was saved, ' +
      'or after a timeout the last action “may not have been saved” (a message shows up in the room if it was; catch up with `since`). ' +
      'Or storage has more messages waiting than it takes (`storage_busy`, `Retry-After: 1`): nothing was saved. Try again shortly.',
    { codes: ['storage_unavailable', 'storage_busy'], html: true },
  ),
  /** Storage failures, and the password checks of this instance all busy (`busy`). */
  unavailableOrBusy: failure(
    503,
    'Storage is unreachable or did not answer in time (`storage_unavailable`, `Retry-After: 2`; after a timeout the action may have been saved), ' +
      'or too many password checks are running and waiting on this instance (`busy`, `Retry-After: 1`). Try again shortly.',
    { codes: ['storage_unavailable', 'busy'], html: true },
  ),
  /** Pages read the signed-in account (session cookie) from storage. */
  pageUnavailable: failure(
    503,
    'Signed in (session cookie) while storage is unreachable or silent: `storage_unavailable`, with `Retry-After: 2`. A browser gets a short page.',
    { codes: ['storage_unavailable'], html: true },
  ),
};

const roomIdParam = {
  name: 'id',
  in: 'path',
  required: true,
  description: 'Room id (21 characters).',
  schema: { type: 'string', pattern: ROOM_ID_PATTERN },
  example: 'V1StGXR8_Z5jdHi6B-myT',
};

const MEMBER = [{ memberToken: [] }, { memberCookie: [] }];
const OPTIONAL_MEMBER = [{}, ...MEMBER];

/** Request body accepted as JSON (API clients) or as a form post (browsers). */
const body = (schema: string, description: string) => ({
  required: true,
  description,
  content: {
    'application/json': { schema: ref(schema) },
    'application/x-www-form-urlencoded': { schema: ref(schema) },
  },
});

const NEGOTIATION =
  'JSON with `Content-Type: application/json` (or `Accept: application/json`); a browser form post gets a `303` redirect, ' +
  'and a failed form shows the page again with the error and a 4xx status.';

// CLOSE.removed is CLOSE.unauthenticated (4401): a member who left is no longer authenticated.
const CLOSE_CODES: Record<number, string> = {
  [CLOSE.unauthenticated]:
    'not authenticated (no or bad token; a password room needs a join first); also every socket of a member who left, on every instance (reason `left the room`)',
  [CLOSE.forbidden]: 'forbidden (e.g. an invalid `username`, or a name reserved by an account)',
  [CLOSE.notFound]: 'no such room',
  [CLOSE.full]: 'room full, or the name is taken',
  [CLOSE.gone]: 'room gone (expired or destroyed), after the `room_expired` / `room_destroyed` event',
  [CLOSE.tooMany]:
    'too many messages: the rate limit was exceeded again and again (reason `too many messages`); or too many open sockets for the member (`MAX_SOCKETS_PER_MEMBER`) or the client address (`MAX_SOCKETS_PER_ADDRESS`) on this instance (reason `too many sockets`)',
  [CLOSE.restarting]: 'server restarting: reconnect (with `since`) to catch up',
  1011: 'storage unavailable while the socket was admitted or opened: reconnect later',
};

const closeCodesMarkdown = () =>
  Object.entries(CLOSE_CODES)
    .map(([code, what]) => `- \`${code}\` ${what}`)
    .join('\n');

function socketUpgrade(kind: 'ws' | 'live'): Json {
  const json = kind === 'ws';
  const description = json
    ? [
        'The JSON WebSocket: connect with a WebSocket client (`Upgrade: websocket`); a plain GET gets `426`.',
        '',
        '**Authentication:** `?token=` from `POST /rooms/{id}/join`, `Authorization: Bearer`, or the `mayfly_member` cookie. ' +
          'A passwordless room also admits a client with none of these, as a guest named by `?username=` (or `?display_name=`), ' +
          'else a generated guest name; the guest holds a seat while connected. A password never travels in a URL. ' +
          'Refusals (wrong token, full room…) happen after the upgrade, as a close code.',
        '',
        '**Client → server** (text frames, schema `WsClientFrame`): `{"type":"message","content":"…"}`, `{"type":"typing"}`.',
        '',
        '**Server → client** (schema `WsServerEvent`; every event carries `type`, `room_id`, `timestamp`):',
        '- `history` first: the most recent messages (or those after `since`), oldest first, and `users`',
        '- `message`: `id`, `seq` (counts up by one per room), `username`, `member_id`, `content`, `verified`',
        '- `user_joined` / `user_left`: `username`, `users`',
        '- `typing`: `username`',
        '- `room_expired` / `room_destroyed`, then the socket closes with `4410`',
        '- `error`: `code`, `message` for a refused frame; the connection stays open. `storage_busy` and `storage_unavailable` ' +
          '(a message that may not have been sent: storage did not answer in time) are told at once for the first refused message, ' +
          'then at most every 5 s with the count of the rest',
        '',
        '**Catch-up:** `?since=<seq>` delivers exactly the messages after `seq` still in the history, then the live stream: no gap, no duplicate.',
        '',
        '**Close codes:**',
        closeCodesMarkdown(),
      ].join('\n')
    : [
        'The htmx stream of the room page: a WebSocket (`Upgrade: websocket`) sending HTML fragments (messages, presence, typing, ' +
          'the end of the room) for `hx-ws`. Authentication: the `mayfly_member` cookie set by the browser join. The page reconnects ' +
          'with `?since=<seq>` to catch up without gap or duplicate. Client frames are the same JSON as on `/ws` (htmx adds `headers`, which are ignored).',
        '',
        '**Close codes:**',
        closeCodesMarkdown(),
      ].join('\n');
  const parameters: Json[] = [
    roomIdParam,
    {
      name: 'since',
      in: 'query',
      schema: { type: 'integer', minimum: 0 },
      description: 'Catch up: deliver the messages after this `seq` first.',
    },
  ];
  if (json) {
    parameters.push(
      { name: 'token', in: 'query', schema: { type: 'string' }, description: 'Member token from `POST /rooms/{id}/join`.' },
      { name: 'username', in: 'query', schema: jsonSchema(Username), description: 'Guest name (passwordless rooms, no token).' },
      { name: 'display_name', in: 'query', schema: jsonSchema(Username), description: 'Same as `username`.' },
    );
  }
  parameters.push({ name: 'Upgrade', in: 'header', required: true, schema: { type: 'string', enum: ['websocket'] } });
  return {
    tags: ['realtime'],
    operationId: json ? 'roomSocketJson' : 'roomSocketHtmx',
    summary: json ? 'JSON WebSocket of a room' : 'htmx WebSocket of a room (HTML fragments)',
    description,
    parameters,
    security: json ? [{}, { memberTokenQuery: [] }, ...MEMBER] : [{ memberCookie: [] }],
    responses: {
      '101': { description: 'Switching Protocols: the WebSocket is open.' },
      '400': failure(400, 'The upgrade failed.', { codes: ['upgrade_failed'] }),
      '403': failure(403, 'The `Origin` header names another site.', { codes: ['forbidden_origin'] }),
      '426': failure(426, 'Upgrade Required: this URL only speaks WebSocket.', { codes: ['upgrade_required'] }),
    },
    'x-websocket': {
      ...(json
        ? { clientFrames: ref('WsClientFrame'), serverEvents: ref('WsServerEvent') }
        : { clientFrames: ref('WsClientFrame'), serverFrames: 'text/html fragments for htmx (hx-ws)' }),
      closeCodes: CLOSE_CODES,
    },
  };
}

/** Realistic example bodies for the docs (swagger-ui would otherwise invent random ones). */
function examples(origin: string, expiry: number, maxUsers: number) {
  const id = roomIdParam.example;
  const ws = wsOrigin(origin);
  const created = new Date(Date.UTC(2025, 0, 1, 12, 0, 0));
  const at = (s: number) => new Date(created.getTime() + s * 1000).toISOString();
  const base = {
    room_id: id,
    password_protected: false,
    expires_at: at(expiry),
    expires_in_seconds: expiry,
    url: `${origin}/rooms/${id}`,
    ws_url: `${ws}/rooms/${id}/ws`,
  };
  const full = { ...base, name: 'Friday standup', owner_name: 'ada', created_at: at(0), max_users: maxUsers, idle_seconds: null };
  const message = {
    type: 'message',
    room_id: id,
    id: 'Xk3q9PzL0aVb7RcD',
    seq: 1,
    username: 'grace',
    member_id: 'mB4nT2wQ8sLe',
    content: 'Hello, everyone!',
    verified: false,
    timestamp: at(42),
  };
  return {
    room: { ...full, users: ['grace'], user_count: 1 },
    createdRoom: { ...full, users: [], user_count: 0, owner_token: 'o8Yb3f…(secret)' },
    join: {
      token: 'tK9w2…(secret)',
      username: 'grace',
      member_id: 'mB4nT2wQ8sLe',
      room_id: id,
      ws_url: `${ws}/rooms/${id}/ws?token=tK9w2…`,
    },
    message,
    history: { room_id: id, messages: [message] },
  };
}

// ---------------------------------------------------------------------------------------------
// The document

export function openapiDocument(origin?: string, opts: OpenApiOptions = {}): Json {
  const maxExpiry = opts.maxExpirySeconds ?? 86400;
  const defaultExpiry = opts.defaultExpirySeconds ?? 600;
  const defaultMaxUsers = opts.defaultMaxUsers ?? 20;
  const historyLimit = opts.historyLimit ?? 200;
  const maxBody = opts.maxBodyBytes ?? 64 * 1024;

  // Request bodies: the very schemas the handlers validate with.
  const createRoom = jsonSchema(createRoomSchema(maxExpiry));
  const createProps = createRoom.properties as Record<string, Json>;
  createProps.expiry_seconds = { ...createProps.expiry_seconds, default: defaultExpiry, description: 'Room lifetime in seconds.' };
  createProps.max_users = { ...createProps.max_users, default: defaultMaxUsers, description: 'Seats: members present at once.' };
  createProps.idle_seconds = {
    ...createProps.idle_seconds,
    description:
      'The room vanishes early once nobody has been in it this long; off when absent. Must not exceed `expiry_seconds` (or the default lifetime when that is not given).',
  };
  createProps.password = { ...createProps.password, description: 'Optional; stored only as an argon2id hash. Empty means none.' };
  createProps.name = { ...createProps.name, description: 'Room name (trimmed; no control or direction characters).' };
  createProps.owner_name = {
    ...createProps.owner_name,
    description:
      'The creator’s name: NFKC-normalised (the normal form is kept) and trimmed; invisible, format, control and direction characters are refused.',
  };

  // JoinSchema accepts `display_name` for `username` (a preprocess step JSON Schema cannot see).
  const join = jsonSchema(JoinSchema);
  const joinProps = join.properties as Record<string, Json>;
  const { required: joinRequired, ...joinRest } = join;
  const joinBody = {
    ...joinRest,
    properties: {
      username: {
        ...joinProps.username,
        description:
          'Your name in the room: NFKC-normalised (the normal form is kept and shown) and trimmed; invisible, format, control and direction ' +
          'characters are refused. Unique in the room by a lookalike key (case, compatibility forms and letters that look Latin, such as Cyrillic “а”, ' +
          'compare equal), and reserved when a registered account has it or a lookalike.',
      },
      display_name: { ...joinProps.username, description: 'Accepted instead of `username`.' },
      password: { ...joinProps.password, description: 'The room password, for a password-protected room.' },
    },
    anyOf: [{ required: joinRequired }, { required: ['display_name'] }],
  };

  const history = jsonSchema(HistoryQuery).properties as Record<string, Json>;
  const historyDescriptions: Record<string, string> = {
    limit: `How many messages (default 50; at most ${historyLimit}, the history kept per room). Without \`offset\` or \`since\`: the most recent ones.`,
    offset: 'Start this many messages after the oldest message kept.',
    since: 'Only messages with a `seq` greater than this (takes precedence over `offset`).',
  };
  const historyParams = Object.entries(history).map(([name, schema]) => ({
    name,
    in: 'query',
    required: false,
    schema,
    description: historyDescriptions[name],
  }));

  const tooLarge = F.tooLarge(maxBody);
  const ex = examples(origin ?? 'https://mayfly.example', defaultExpiry, defaultMaxUsers);
  const accounts = 'Optional accounts (anonymous use never needs one).';

  const paths: Json = {
    '/': {
      get: {
        tags: ['pages'],
        operationId: 'lobby',
        summary: 'Lobby page',
        description: 'HTML: create a room, or join one by link or id.',
        parameters: [
          {
            name: 'ended',
            in: 'query',
            schema: { type: 'string', enum: ['destroyed', 'left'] },
            description: 'Shows why you are back in the lobby.',
          },
        ],
        responses: { '200': { description: 'The lobby.', content: HTML }, '503': F.pageUnavailable },
      },
    },
    '/join': {
      get: {
        tags: ['pages'],
        operationId: 'joinByLink',
        summary: 'Go to a room by link or id',
        description: 'The lobby’s “join” form: accepts a room link or a bare id and redirects to the room.',
        parameters: [
          { name: 'room', in: 'query', required: true, schema: { type: 'string' }, description: 'A room link (`…/rooms/{id}`) or id.' },
        ],
        responses: {
          '303': SEE_OTHER('`/rooms/{id}`'),
          '400': { description: 'Not a room link or id: the lobby again, with the error.', content: HTML },
          '503': F.pageUnavailable,
        },
      },
    },
    '/rooms/{id}': {
      parameters: [roomIdParam],
      get: {
        tags: ['rooms'],
        operationId: 'getRoom',
        summary: 'A room',
        description:
          'JSON with `Accept: application/json`: the room (never its password; a password room you have not joined shows only its public fields). ' +
          'A browser gets the room page when joined, the join form otherwise.',
        security: OPTIONAL_MEMBER,
        responses: {
          '200': { description: 'The room.', content: { ...jsonContent('Room', ex.room), ...HTML } },
          '404': F.gone(),
          '503': F.unavailable,
        },
      },
      delete: {
        tags: ['rooms'],
        operationId: 'destroyRoom',
        summary: 'Destroy a room (owner only)',
        description:
          'Ends the room for everyone at once: every member is told (`room_destroyed`), every socket closes (`4410`), and everything ' +
          'the room had in storage is deleted. Owner: `Authorization: Bearer <owner_token>` or the owner’s cookie.',
        security: [{ ownerToken: [] }, { memberCookie: [] }],
        responses: {
          '204': { description: 'Destroyed.' },
          '403': failure(403, 'Not the owner (`forbidden`), or no `Authorization` header and no same-site `Origin` (`forbidden_origin`).', {
            codes: ['forbidden', 'forbidden_origin'],
            messages: { forbidden_origin: 'Cross-site form posts are refused.' },
          }),
          '404': F.gone(false),
          '503': F.unavailable,
        },
      },
    },
    '/rooms/{id}/join': {
      parameters: [roomIdParam],
      post: {
        tags: ['rooms'],
        operationId: 'joinRoom',
        summary: 'Join a room',
        description: `Takes a seat in the room under a name. ${NEGOTIATION} The browser gets the \`${MEMBER_COOKIE}\` cookie. A refused browser form post answers \`303\` back to the room page, which shows the refusal once, with its status (a short-lived \`mayfly_flash\` cookie scoped to the room): the HTML pages below are what that page shows.`,
        requestBody: body('Join', 'Your name, and the password for a password-protected room.'),
        responses: {
          '200': { description: 'Joined.', content: jsonContent('JoinResponse', ex.join) },
          '303': SEE_OTHER('the room', SET_COOKIE),
          '400': F.badBody(),
          '401': failure(401, 'Wrong password.', { codes: ['wrong_password'], html: true }),
          '403': F.csrf,
          '404': F.gone(),
          '409': failure(409, 'The room is full, or the name is taken in the room or reserved by an account.', {
            codes: ['room_full', 'name_taken', 'name_reserved'],
            html: true,
          }),
          '413': tooLarge,
          '429': failure(
            429,
            'Too many joins from your address (`rate_limited`); too many wrong passwords for this room from your address, or from everyone ' +
              '(`password_guessing`); or too many password checks from your address (`too_many_password_checks`).',
            { codes: ['rate_limited', 'password_guessing', 'too_many_password_checks'], html: true },
          ),
          '503': F.unavailableOrBusy,
        },
      },
    },
    '/rooms/{id}/messages': {
      parameters: [roomIdParam],
      get: {
        tags: ['messages'],
        operationId: 'history',
        summary: 'Message history',
        description: `The messages still kept (at most ${historyLimit} per room), oldest first. Members only.`,
        security: MEMBER,
        parameters: historyParams,
        responses: {
          '200': { description: 'The history.', content: jsonContent('History', ex.history) },
          '400': failure(400, 'A query parameter is invalid.', { codes: ['validation_failed'] }),
          '401': failure(401, 'Not a member of the room.', { codes: ['unauthorized'] }),
          '404': F.gone(false),
          '503': F.unavailable,
        },
      },
      post: {
        tags: ['messages'],
        operationId: 'postMessage',
        summary: 'Send a message',
        description: `Members only. Every connected client receives it as a \`message\` event. ${NEGOTIATION} Sending works with JavaScript disabled. A refused browser form post answers \`303\` back to the room page, which shows the refusal once, with its status (a short-lived \`mayfly_flash\` cookie scoped to the room): the HTML pages below are what that page shows. The text of a refused message comes back in the composer.`,
        security: MEMBER,
        requestBody: body('PostMessage', 'The message.'),
        responses: {
          '201': { description: 'Sent.', content: jsonContent('Message', ex.message) },
          '303': SEE_OTHER('the room (`#latest`: the newest message)'),
          '400': F.badBody(),
          '401': failure(401, 'Not a member of the room.', { codes: ['unauthorized'], html: true }),
          '403': F.csrf,
          '404': F.gone(),
          '409': failure(409, 'Your seat lapsed and the room filled up, or your name was taken meanwhile.', {
            codes: ['room_full', 'name_taken'],
            html: true,
          }),
          '413': tooLarge,
          '429': failure(429, 'You, or every member from your address together, are sending messages too fast.', {
            codes: ['too_many_messages'],
            html: true,
          }),
          '503': F.unavailable,
        },
      },
    },
    '/rooms/{id}/destroy': {
      parameters: [roomIdParam],
      get: {
        tags: ['pages'],
        operationId: 'confirmDestroyPage',
        summary: 'Asks the owner before destroying (page)',
        description:
          'Where the room page’s Destroy leads without JavaScript: “Destroy this room? Everything in it is gone.” and a form to confirm.',
        security: MEMBER,
        responses: {
          '200': { description: 'The question, with the form.', content: HTML },
          '303': SEE_OTHER('`/rooms/{id}` (not the owner, or not a member)'),
          '404': F.gone(),
          '503': F.pageUnavailable,
        },
      },
      post: {
        tags: ['rooms'],
        operationId: 'destroyRoomForm',
        summary: 'Destroy a room (form)',
        description: 'The browser form for `DELETE /rooms/{id}`: owner only. A JSON request gets `204` like the DELETE.',
        security: [{ memberCookie: [] }, { ownerToken: [] }],
        responses: {
          '204': { description: 'Destroyed (JSON request).' },
          '303': SEE_OTHER('`/?ended=destroyed`'),
          '403': failure(403, 'Not the owner, or a cross-site form post.', {
            codes: ['forbidden', 'forbidden_origin'],
            html: true,
            messages: { forbidden_origin: 'Cross-site form posts are refused.' },
          }),
          '404': F.gone(),
          '503': F.unavailable,
        },
      },
    },
    '/rooms/{id}/leave': {
      parameters: [roomIdParam],
      get: {
        tags: ['pages'],
        operationId: 'confirmLeavePage',
        summary: 'Asks before leaving (page)',
        description: 'The owner’s Leave leads here: leaving gives up the ownership of the room for good, so it is asked first.',
        security: MEMBER,
        responses: {
          '200': { description: 'The question, with the form.', content: HTML },
          '303': SEE_OTHER('`/rooms/{id}` (not a member)'),
          '404': F.gone(),
          '503': F.pageUnavailable,
        },
      },
      post: {
        tags: ['rooms'],
        operationId: 'leaveRoom',
        summary: 'Leave a room',
        description:
          'Gives up your seat and your token; the others get `user_left`. Every socket of yours, `/ws` and `/live`, on every instance, is closed ' +
          'with `4401` (reason `left the room`), and frames still arriving on them are not posted. The cookie is cleared. ' +
          'An owner’s form post without `confirmed=1` is sent (303) to `GET /rooms/{id}/leave`, which asks first.',
        security: MEMBER,
        responses: {
          '204': { description: 'Left (JSON request).' },
          '303': SEE_OTHER('`/?ended=left`'),
          '401': failure(401, 'Not a member (JSON request).', { codes: ['unauthorized'] }),
          '403': F.csrf,
          '503': F.unavailable,
        },
      },
    },
    '/rooms/{id}/ws': { get: socketUpgrade('ws') },
    '/rooms/{id}/live': { get: socketUpgrade('live') },
    '/openapi.json': {
      get: {
        tags: ['docs'],
        operationId: 'openapi',
        summary: 'This OpenAPI document',
        responses: { '200': { description: 'OpenAPI 3.1 document.', content: { 'application/json': { schema: { type: 'object' } } } } },
      },
    },
    '/docs': {
      get: {
        tags: ['docs'],
        operationId: 'docs',
        summary: 'Interactive API documentation',
        description: 'Swagger UI, served from this server (works offline).',
        responses: { '200': { description: 'The docs page.', content: HTML } },
      },
    },
    '/docs/assets/{file}': {
      get: {
        tags: ['docs'],
        operationId: 'docsAsset',
        summary: 'Swagger UI assets',
        parameters: [{ name: 'file', in: 'path', required: true, schema: { type: 'string', enum: Object.keys(DOCS_ASSETS) } }],
        responses: {
          '200': {
            description: 'The file.',
            content: { 'text/css': { schema: { type: 'string' } }, 'text/javascript': { schema: { type: 'string' } } },
          },
          '404': { description: 'No such asset.' },
        },
      },
    },
    '/healthz': {
      get: {
        tags: ['health'],
        operationId: 'healthz',
        summary: 'Liveness',
        description: 'Answers while the process runs.',
        responses: { '200': { description: 'Alive.', content: jsonContent('Health') } },
      },
    },
    '/readyz': {
      get: {
        tags: ['health'],
        operationId: 'readyz',
        summary: 'Readiness',
        description: 'Answers `200` only while storage answers (within 2 s).',
        responses: {
          '200': { description: 'Ready.', content: jsonContent('Ready') },
          '503': { description: 'Storage is unreachable.', content: jsonContent('NotReady') },
        },
      },
    },
    '/metrics': {
      get: {
        tags: ['metrics'],
        operationId: 'metrics',
        summary: 'Prometheus metrics of this instance',
        description:
          'Prometheus text exposition format, about this instance only (scrape every instance, not the balancer): ' +
          '`mayfly_messages_accepted_total`, `mayfly_deliveries_total{kind}`, `mayfly_refusals_total{code}`, ' +
          '`mayfly_storage_call_seconds{op}`, `mayfly_redis_append_batch_size`, `mayfly_rooms_open`, `mayfly_sockets{kind}`, ' +
          '`mayfly_members_connected`, and prom-client’s default `process_*` and `nodejs_*` metrics. No label holds a room id, a name or ' +
          'any content. Off (`404`) with `METRICS=off`; with `METRICS_TOKEN` set, send it as `Authorization: Bearer <METRICS_TOKEN>`.',
        security: [{}, { metricsToken: [] }],
        responses: {
          '200': {
            description: 'The metrics (`Cache-Control: no-store`).',
            content: {
              'text/plain': {
                schema: { type: 'string' },
                example: '# TYPE mayfly_messages_accepted_total counter\nmayfly_messages_accepted_total 42\n',
              },
            },
          },
          '401': {
            ...failure(401, '`METRICS_TOKEN` is set and the request did not send it as a Bearer token.', {
              codes: ['unauthorized'],
              messages: { unauthorized: 'Metrics need the METRICS_TOKEN as a Bearer token.' },
            }),
            headers: { 'WWW-Authenticate': { schema: { type: 'string' }, description: '`Bearer`' } },
          },
          '404': failure(404, 'Metrics are off (`METRICS=off`).', { codes: ['not_found'], messages: { not_found: 'No such resource.' } }),
        },
      },
    },
    '/static/{name}': {
      get: {
        tags: ['assets'],
        operationId: 'staticFile',
        summary: 'The site’s own static files',
        description: 'Stylesheet, scripts and icons of the web UI (`static/`).',
        parameters: [
          {
            name: 'name',
            in: 'path',
            required: true,
            schema: { type: 'string', pattern: '^[A-Za-z0-9_-][A-Za-z0-9_.-]*$' },
            example: 'style.css',
          },
        ],
        responses: { '200': { description: 'The file (`Cache-Control: public, max-age=300`).' }, '404': { description: 'No such file.' } },
      },
    },
    '/vendor/{name}': {
      get: {
        tags: ['assets'],
        operationId: 'vendorFile',
        summary: 'Vendored browser libraries (htmx)',
        parameters: [{ name: 'name', in: 'path', required: true, schema: { type: 'string', enum: ['htmx.min.js', 'hx-ws.min.js'] } }],
        responses: {
          '200': {
            description: 'The file (`Cache-Control: public, max-age=86400`).',
            content: { 'text/javascript': { schema: { type: 'string' } } },
          },
          '404': { description: 'No such file.' },
        },
      },
    },
    '/register': {
      get: {
        tags: ['accounts'],
        operationId: 'registerPage',
        summary: 'The register form (browser)',
        description: accounts,
        responses: { '200': { description: 'An HTML page.', content: HTML }, '503': F.pageUnavailable },
      },
      post: {
        tags: ['accounts'],
        operationId: 'register',
        summary: 'Create an account',
        description: `${accounts} Reserves the name in every room: anyone else gets \`409\` for it, and your messages carry \`verified: true\`.`,
        requestBody: body('Credentials', 'Name and password.'),
        responses: {
          '201': { description: 'Registered.', content: jsonContent('Me') },
          '303': SEE_OTHER('the login page (`/login?registered=1`)'),
          '400': F.badBody(),
          '409': failure(409, 'The name, or one that looks like it, is registered already.', { codes: ['username_taken'], html: true }),
          '413': tooLarge,
          '429': failure(
            429,
            'Too many registrations and room creations from your address (`rate_limited`), or too many password checks (`too_many_password_checks`).',
            { codes: ['rate_limited', 'too_many_password_checks'], html: true },
          ),
          '503': F.unavailableOrBusy,
        },
      },
    },
    '/login': {
      get: {
        tags: ['accounts'],
        operationId: 'loginPage',
        summary: 'The login form (browser)',
        description: accounts,
        responses: { '200': { description: 'An HTML page.', content: HTML }, '503': F.pageUnavailable },
      },
      post: {
        tags: ['accounts'],
        operationId: 'login',
        summary: 'Log in',
        description: `${accounts} API clients get a token; browsers get an HttpOnly cookie. Join a room with \`Authorization: Bearer <account token>\` (or the cookie) to chat under the account.`,
        requestBody: body('LoginCredentials', 'Name and password.'),
        responses: {
          '200': { description: 'Logged in.', content: jsonContent('Login') },
          '303': SEE_OTHER('the lobby'),
          '400': F.badBody(),
          '401': failure(401, 'Wrong name or password (the same answer for either).', { codes: ['invalid_credentials'], html: true }),
          '413': tooLarge,
          '429': failure(
            429,
            'Too many failed logins for this name from your address (`too_many_attempts`), or too many password checks from your address (`too_many_password_checks`).',
            { codes: ['too_many_attempts', 'too_many_password_checks'], html: true },
          ),
          '503': F.unavailableOrBusy,
        },
      },
    },
    '/logout': {
      post: {
        tags: ['accounts'],
        operationId: 'logout',
        summary: 'Log out',
        description: `${accounts} Ends the session (token or cookie).`,
        security: [{ accountToken: [] }],
        responses: { '204': { description: 'Logged out.' }, '303': SEE_OTHER('the lobby'), '503': F.unavailable },
      },
    },
    '/me/delete': {
      post: {
        tags: ['accounts'],
        operationId: 'deleteMeForm',
        summary: 'Delete the account (browser form)',
        description: `${accounts} The form twin of \`DELETE /me\`.`,
        security: [{ accountToken: [] }],
        responses: {
          '204': { description: 'Deleted.' },
          '303': SEE_OTHER('the lobby'),
          '401': failure(401, 'Not logged in.', { codes: ['unauthorized'] }),
          '503': F.unavailable,
        },
      },
    },
    '/me': {
      get: {
        tags: ['accounts'],
        operationId: 'me',
        summary: 'The logged-in account',
        description: accounts,
        security: [{ accountToken: [] }],
        responses: {
          '200': { description: 'The account.', content: jsonContent('Me') },
          '401': failure(401, 'Not logged in.', { codes: ['unauthorized'] }),
          '503': F.unavailable,
        },
      },
      delete: {
        tags: ['accounts'],
        operationId: 'deleteMe',
        summary: 'Delete the account',
        description: `${accounts} Removes the account; its name is free again.`,
        security: [{ accountToken: [] }],
        responses: {
          '204': { description: 'Deleted.' },
          '401': failure(401, 'Not logged in.', { codes: ['unauthorized'] }),
          '503': F.unavailable,
        },
      },
    },
  };

  const createRoomOp = {
    tags: ['rooms'],
    operationId: 'createRoom',
    summary: 'Create a room',
    description:
      `${NEGOTIATION} API: \`201\` with the room and its \`owner_token\`; the API creator is not a member (join to chat). ` +
      `Browser: \`303\` to the room with the \`${MEMBER_COOKIE}\` cookie; the creator is a member and the owner.`,
    requestBody: body('CreateRoom', 'The new room.'),
    responses: {
      '201': {
        description: 'Created.',
        headers: { Location: { schema: { type: 'string' }, description: '`/rooms/{id}`' } },
        content: jsonContent('CreatedRoom', ex.createdRoom),
      },
      '303': SEE_OTHER('`/rooms/{id}`', SET_COOKIE),
      '400': F.badBody(),
      '403': F.csrf,
      '413': tooLarge,
      '429': failure(
        429,
        'Too many rooms created from your address (`rate_limited`), or, for a password room, too many password checks (`too_many_password_checks`).',
        { codes: ['rate_limited', 'too_many_password_checks'], html: true },
      ),
      '503': F.unavailableOrBusy,
    },
  };
  paths['/rooms'] = { post: createRoomOp };
  paths['/rooms/'] = { post: { ...createRoomOp, operationId: 'createRoomSlash', summary: 'Create a room (same as `POST /rooms`)' } };

  const eventNames = ['WsHistoryEvent', 'MessageEvent', 'WsPresenceEvent', 'WsTypingEvent', 'WsEndEvent', 'WsErrorEvent'];

  return {
    openapi: '3.1.0',
    info: {
      title: 'mayfly API',
      version: VERSION,
      summary: 'Ephemeral, self-destructing chat rooms.',
      description: [
        'One set of URLs serves browsers and API clients. A request with `Content-Type: application/json` (or `Accept: application/json` ' +
          'on GET/DELETE) gets JSON; a browser form post gets a `303` redirect; a plain GET gets an HTML page; htmx requests get HTML fragments.',
        '',
        'Every JSON error is `{"error":{"code","message","fields?"}}`. Rooms vanish when they expire: everything in them is deleted.',
        '',
        `Limits: room \`name\` 1 … ${LIMITS.roomName} characters, \`username\` 1 … ${LIMITS.username}, \`password\` up to ${LIMITS.password}, ` +
          `message \`content\` 1 … ${LIMITS.content} after trimming, \`max_users\` ${LIMITS.minUsers} … ${LIMITS.maxUsers} (default ${defaultMaxUsers}), ` +
          `\`expiry_seconds\` ${LIMITS.minExpiry} … ${maxExpiry} (default ${defaultExpiry}), history ${historyLimit} messages per room, bodies up to ${maxBody} bytes.`,
        '',
        '',
        'Names of people (`username`, `owner_name`, accounts) are NFKC-normalised and may not contain invisible, format, control or ' +
          'direction characters; names that look alike (case, compatibility forms, letters that look Latin) clash.',
        '',
        'Every `429` and `503` error carries `Retry-After` (seconds): for a limit, what is left of its window; `2` for `storage_unavailable`, ' +
          '`1` for `storage_busy` and `busy`. Any route that touches storage may answer `503 storage_unavailable` when storage is ' +
          'unreachable or silent past `STORAGE_TIMEOUT_MS`; after a timeout the action may have been saved.',
        '',
        'Real-time: see `GET /rooms/{id}/ws` (JSON events) and `GET /rooms/{id}/live` (htmx fragments).',
      ].join('\n'),
      license: { name: 'MIT', identifier: 'MIT' },
    },
    ...(origin ? { servers: [{ url: origin }] } : {}),
    tags: [
      { name: 'rooms', description: 'Create, read, join, leave and destroy rooms.' },
      { name: 'messages', description: 'Send messages and read the history.' },
      { name: 'realtime', description: 'WebSockets: the JSON protocol and the htmx stream.' },
      { name: 'pages', description: 'HTML pages for browsers.' },
      { name: 'accounts', description: 'Optional accounts: anonymous use never needs one.' },
      { name: 'health', description: 'Liveness and readiness probes.' },
      { name: 'metrics', description: 'Prometheus metrics for operators.' },
      { name: 'docs', description: 'This documentation.' },
      { name: 'assets', description: 'Static files for the web UI.' },
    ],
    paths,
    components: {
      securitySchemes: {
        memberToken: { type: 'http', scheme: 'bearer', description: 'Member token: `token` from `POST /rooms/{id}/join`.' },
        ownerToken: { type: 'http', scheme: 'bearer', description: '`owner_token` from `POST /rooms` (JSON).' },
        memberCookie: {
          type: 'apiKey',
          in: 'cookie',
          name: MEMBER_COOKIE,
          description:
            'Set by a browser join or room creation; scoped to the room’s path. The browser creator’s cookie also makes them the owner.',
        },
        memberTokenQuery: {
          type: 'apiKey',
          in: 'query',
          name: 'token',
          description: 'Member token as `?token=`: WebSocket `/rooms/{id}/ws` only.',
        },
        accountToken: {
          type: 'http',
          scheme: 'bearer',
          description: 'Optional accounts: `token` from `POST /login` (browsers: an HttpOnly cookie).',
        },
        metricsToken: {
          type: 'http',
          scheme: 'bearer',
          description: '`METRICS_TOKEN` from the server’s configuration, for `GET /metrics` when it is set.',
        },
      },
      schemas: {
        CreateRoom: createRoom,
        Join: joinBody,
        PostMessage: jsonSchema(PostMessageSchema),
        HistoryQuery: jsonSchema(HistoryQuery),
        Credentials: jsonSchema(Credentials),
        LoginCredentials: jsonSchema(LoginCredentials),
        Room: jsonSchema(RoomJson),
        CreatedRoom: jsonSchema(CreatedRoomJson),
        JoinResponse: jsonSchema(JoinResponseJson),
        Message: jsonSchema(MessageJson),
        History: jsonSchema(HistoryJson),
        Error: jsonSchema(ErrorJson),
        Health: jsonSchema(HealthJson),
        Ready: jsonSchema(ReadyJson),
        NotReady: jsonSchema(NotReadyJson),
        Login: jsonSchema(LoginJson),
        Me: jsonSchema(MeJson),
        WsClientFrame: {
          ...jsonSchema(ClientFrame),
          description: 'A frame a client sends on either socket (text, JSON). Unknown keys are ignored.',
        },
        WsServerEvent: { oneOf: eventNames.map(ref), description: 'An event the server sends on `/rooms/{id}/ws`.' },
        WsHistoryEvent: jsonSchema(WsHistoryEvent),
        MessageEvent: { allOf: [ref('Message')], description: 'A new message (the same shape as `Message`).' },
        WsPresenceEvent: jsonSchema(WsPresenceEvent),
        WsTypingEvent: jsonSchema(WsTypingEvent),
        WsEndEvent: jsonSchema(WsEndEvent),
        WsErrorEvent: jsonSchema(WsErrorEvent),
      },
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Routes: /openapi.json, /docs and its assets (swagger-ui-dist from node_modules: no CDN)

const SWAGGER_DIR = join(resolve(import.meta.dir, '../..'), 'node_modules/swagger-ui-dist');
const DOCS_ASSETS: Record<string, string> = {
  'swagger-ui.css': join(SWAGGER_DIR, 'swagger-ui.css'),
  'swagger-ui-bundle.js': join(SWAGGER_DIR, 'swagger-ui-bundle.js'),
};

// Swagger UI renders under the site's strict CSP (`script-src 'self'; style-src 'self'`): React sets styles through
// the CSSOM, which CSP does not govern, and the initialiser is a file (static/docs.js). So /docs needs no relaxed policy.
const DOCS_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>mayfly API</title>
<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
<meta name="color-scheme" content="light dark">
<link rel="stylesheet" href="/docs/assets/swagger-ui.css">
<link rel="stylesheet" href="/static/docs.css">
</head>
<body>
<header class="docs-head"><a href="/">← Back to mayfly</a></header>
<div id="swagger-ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/static/docs.js"></script>
</body>
</html>
`;

export function openapiRoutes() {
  const app = new Hono<AppEnv>();
  const cache = new Map<string, string>();

  app.get('/openapi.json', (c) => {
    const { config } = c.var.deps;
    const origin = siteOrigin(c);
    let text = cache.get(origin);
    if (!text) {
      text = JSON.stringify(
        openapiDocument(origin, {
          maxExpirySeconds: config.MAX_EXPIRY_SECONDS,
          defaultExpirySeconds: config.DEFAULT_EXPIRY_SECONDS,
          defaultMaxUsers: config.DEFAULT_MAX_USERS,
          historyLimit: config.HISTORY_LIMIT,
          maxBodyBytes: config.MAX_BODY_BYTES,
        }),
      );
      if (cache.size > 16) cache.clear(); // origins come from Host headers: keep the cache bounded
      cache.set(origin, text);
    }
    c.header('Cache-Control', 'no-cache');
    return c.body(text, 200, { 'Content-Type': 'application/json; charset=utf-8' });
  });

  app.get('/docs', (c) => {
    c.header('Cache-Control', 'no-cache');
    return c.html(DOCS_HTML);
  });

  app.get('/docs/assets/:file', (c) => {
    const path = DOCS_ASSETS[c.req.param('file')];
    if (!path || !existsSync(path)) return c.notFound();
    return new Response(Bun.file(path), { headers: { 'Cache-Control': 'public, max-age=86400' } });
  });

  return app;
}
