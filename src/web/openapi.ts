// The OpenAPI 3.1 document (request schemas generated from the handlers' zod schemas) and the offline /docs page.
import { Hono } from 'hono';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileIntegrity, integrity } from './assets.ts';
import { z } from 'zod';
import { CLOSE } from '../realtime/hub.ts';
import { ERRORS } from '../rooms/errors.ts';
import { LoginSchema, RegisterSchema } from '../accounts/service.ts';
import { ENVELOPE_PREFIX, ENVELOPE_SHAPE, envelopeMaxLength } from '../e2e/envelope.ts';
import { withDialects } from '../dialects/openapi.ts';
import {
  approvalSchema,
  ClientFrame,
  createRoomSchema,
  EncryptedContent,
  EncryptedRoomName,
  extendSchema,
  HistoryQuery,
  JoinSchema,
  LIMITS,
  PostEncryptedSchema,
  PostMessageSchema,
  Username,
  UsernameBody,
} from '../rooms/schema.ts';
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

/** A marker on a zod schema (its `meta`) that becomes a `$ref` to the component it names (see `sealed`). */
const SEALED = 'x-mayfly-sealed';

/**
 * Drops zod's implicit ±MAX_SAFE_INTEGER bounds on integers: they are noise in the docs. A node marked
 * `SEALED` becomes a `$ref` to its component.
 */
function tidy(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(tidy);
  if (!node || typeof node !== 'object') return node;
  const sealedRef = (node as Json)[SEALED];
  if (typeof sealedRef === 'string') return { $ref: `#/components/schemas/${sealedRef}` };
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

// End-to-end encrypted rooms (src/e2e/envelope.ts): the room's name and every message are envelopes there.
const NAME_SEALED_MAX = envelopeMaxLength(LIMITS.roomName);
const CONTENT_SEALED_MAX = envelopeMaxLength(LIMITS.content);
/** In an e2e room, this text is an envelope: a `$ref` to `EncryptedContent` or `EncryptedRoomName` in the document. */
const sealed = (component: 'EncryptedContent' | 'EncryptedRoomName') => z.string().meta({ [SEALED]: component });
const E2E_PLAIN_NAME = 'must be encrypted in the browser: end-to-end encrypted rooms need JavaScript';
const E2E_PLAIN_CONTENT = 'must be encrypted in the browser: this room is end-to-end encrypted (e2e1.<nonce>.<ciphertext>)';
/** A real envelope: "Hello, everyone!" sealed with ENVELOPE_EXAMPLE_KEY (a key made for these docs only). */
const ENVELOPE_EXAMPLE = 'e2e1.iw-QZqSufEcwGC1z.vdscsqdiP-iQtjwsoqTzkQvxrj-OqoX-sqtkQOpSrCI';
const ENVELOPE_EXAMPLE_KEY = 'wFiSlDhor2FjXZrKIf4Gi_mrae0pU0QcHWdxMIqzLQo';
/** "Friday standup" sealed with the same key. */
const NAME_EXAMPLE = 'e2e1.TAk_sABgKRh0yLIu.Xwh1Xn88IPOG2Ddp7vvLxJ1l9iw43UtMZgDgRhKG';

/** The envelope format (src/e2e/envelope.ts), as a schema of its own. */
const ENVELOPE: Json = {
  type: 'string',
  pattern: ENVELOPE_SHAPE.source,
  description: [
    `An end-to-end encrypted text: \`${ENVELOPE_PREFIX}.<nonce>.<ciphertext>\`, both parts base64url without padding (\`A–Z a–z 0–9 - _\`).`,
    '`nonce`: 12 random bytes, fresh for every text (16 characters). `ciphertext`: the AES-256-GCM encryption of the text’s UTF-8 ' +
      'bytes under the room key with that nonce, followed by its 16-byte tag; no additional authenticated data.',
    'The room key is 32 random bytes, base64url (43 characters), made by the room’s creator and shared only in the link’s fragment: ' +
      '`https://…/rooms/{id}#k=<key>`. Browsers never send a fragment, so the server never sees the key and cannot open an envelope; ' +
      'it checks only the shape and the length.',
    `The example is “Hello, everyone!” sealed with the key \`${ENVELOPE_EXAMPLE_KEY}\`.`,
  ].join('\n\n'),
  examples: [ENVELOPE_EXAMPLE],
};

const RoomJson = z
  .object({
    room_id: RoomIdField,
    password_protected: z.boolean(),
    locked: z.boolean().meta(d('True while the owner has locked the room: nobody new gets in (`423 room_locked`).')),
    approve_joins: z.boolean().meta(d('True when the owner lets each person in: a join becomes a request (`202`).')),
    e2e: z
      .boolean()
      .meta(
        d(
          'True for an end-to-end encrypted room: `name` and every message’s `content` are envelopes (`Envelope`), sealed by the ' +
            'clients with the key in the link’s fragment (`#k=…`), which the server never sees. Set on creation; it never changes.',
        ),
      ),
    expires_at: IsoTime.meta(d('When the room and everything in it vanish (the owner may move it later).')),
    expires_in_seconds: z.number().int().min(0),
    url: z.string().meta({ format: 'uri', ...d('Link to share: the room page.') }),
    ws_url: z.string().meta({ format: 'uri', ...d('The JSON WebSocket of the room (`ws:` or `wss:`).') }),
    name: z
      .union([z.string().min(1).max(LIMITS.roomName), sealed('EncryptedRoomName')])
      .optional()
      .meta(d('The room’s name; in an end-to-end encrypted room (`e2e`), its envelope (`EncryptedRoomName`), which only the key opens.')),
    owner_name: z.string().nullable().optional(),
    created_at: IsoTime.optional(),
    max_expires_at: IsoTime.optional().meta(
      d('The latest the owner can extend the room to: `created_at` plus the server’s `MAX_EXPIRY_SECONDS`.'),
    ),
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
        '`room_id`, `password_protected`, `locked`, `approve_joins`, `e2e`, `expires_at`, `expires_in_seconds`, `url` and `ws_url` are present. ' +
        '`owner_name` is the current owner’s name (ownership moves on a hand-over, or when the owner leaves); null while nobody owns the room.',
    ),
  );

const CreatedRoomJson = RoomJson.required({
  name: true,
  owner_name: true,
  created_at: true,
  max_expires_at: true,
  max_users: true,
  idle_seconds: true,
  users: true,
  user_count: true,
})
  .extend({
    owner_token: z
      .string()
      .meta(
        d(
          'Secret proving ownership: `Authorization: Bearer <owner_token>` on `DELETE /rooms/{id}` and the owner’s routes (kick, lock, ' +
            'approval, extend, hand over, requests). Shown once; it stops working once the room is handed over to a member.',
        ),
      ),
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

// The owner's controls (src/web/moderation.tsx) and joining a room that asks its owner.
const RequestIdField = z.string().meta(d('The request’s id: also the `member_id` the asker gets once approved.'));
const JoinRequestJson = z
  .object({
    request_id: RequestIdField,
    room_id: RoomIdField,
    username: z.string().meta(d('The name the asker asked for.')),
    status: z.enum(['pending', 'approved', 'denied', 'expired']),
    expires_at: IsoTime.meta(d('When the request lapses unanswered (`JOIN_REQUEST_SECONDS` after it was made).')),
  })
  .meta(d('A request to join a room that asks its owner.'));
const PendingRequestJson = JoinRequestJson.extend({ status: z.literal('pending') }).meta(d('A request still waiting for the owner.'));
const DecidedRequestJson = JoinRequestJson.extend({ status: z.enum(['approved', 'denied']) }).meta(d('The request, answered.'));
const statusUrl = z.string().meta({ format: 'uri', ...d('Where the request stands: `GET` it with the token (JSON).') });
const RequestStatusJson = JoinRequestJson.extend({
  expires_at: IsoTime.optional().meta(d('When the request lapses unanswered; absent once the asker is a member.')),
  status_url: statusUrl.optional(),
}).meta(
  d(
    'Where a request stands. Once approved, the asker’s own token gets only `request_id`, `room_id`, `username` and ' +
      '`status: "approved"`: the token is a member’s now.',
  ),
);
const AskedJson = PendingRequestJson.extend({
  status_url: statusUrl,
  token: z
    .string()
    .meta(
      d(
        'The asker’s token. It admits nothing until the owner approves (`403 pending_approval`, then `join_denied` or `request_expired`); ' +
          'once approved it is a member’s token.',
      ),
    ),
}).meta(d('The room asks its owner: a request was made instead of a join.'));
const RequestsJson = z.object({
  room_id: RoomIdField,
  requests: z.array(PendingRequestJson).meta(d('Requests still waiting and not lapsed, oldest first.')),
});
const KickedJson = z.object({ room_id: RoomIdField, username: z.string().meta(d('The name of the member removed, as they had it.')) });
const LockedJson = z.object({ room_id: RoomIdField, locked: z.boolean() });
const ApprovalJson = z.object({ room_id: RoomIdField, approve_joins: z.boolean() });
const ExtendedJson = z.object({
  room_id: RoomIdField,
  expires_at: IsoTime.meta(d('The room’s new end.')),
  expires_in_seconds: z.number().int().min(0),
  max_expires_at: IsoTime.meta(d('The latest the room can last to: `MAX_EXPIRY_SECONDS` after its creation.')),
});
const OwnerJson = z.object({ room_id: RoomIdField, owner_name: z.string().meta(d('The new owner.')) });

const MessageJson = z
  .object({
    type: z.literal('message'),
    room_id: RoomIdField,
    id: z.string(),
    seq: z.number().int().min(1).meta(d('Counts up by one per room; use it with `since` to catch up.')),
    username: z.string(),
    member_id: z.string(),
    content: z
      .union([z.string().min(1).max(LIMITS.content), sealed('EncryptedContent')])
      .meta(
        d(
          `The message text, trimmed (1 … ${LIMITS.content} characters). In an end-to-end encrypted room (\`e2e\`), the envelope the sender ` +
            'sealed (`EncryptedContent`), exactly as sent: the server never reads it.',
        ),
      ),
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
  .meta(
    d('A frame was refused (bad JSON, invalid frame, too many messages, an owner frame from someone else…); the connection stays open.'),
  );
const WsKickEvent = z
  .object({ type: z.literal('user_kicked'), ...eventBase, username: z.string(), users: Names })
  .meta(d('The owner removed a member (instead of `user_left`); their sockets close with 4403 and their name is barred from the room.'));
const WsLockEvent = z
  .object({ type: z.enum(['room_locked', 'room_unlocked']), ...eventBase })
  .meta(d('The owner locked the room (nobody new gets in; members keep chatting) or unlocked it.'));
const WsApprovalEvent = z
  .object({ type: z.literal('approval_changed'), ...eventBase, approve_joins: z.boolean() })
  .meta(d('The owner turned approval of each join on or off.'));
const WsExtendEvent = z
  .object({ type: z.literal('room_extended'), ...eventBase, expires_at: IsoTime.meta(d('The room’s new end.')) })
  .meta(d('The owner gave the room more time.'));
const WsOwnerEvent = z
  .object({
    type: z.literal('owner_changed'),
    ...eventBase,
    username: z.string().meta(d('The new owner.')),
    member_id: z.string(),
    previous: z.string().nullable().meta(d('The owner before, by name.')),
    reason: z.enum(['handed_over', 'owner_left', 'unowned']),
  })
  .meta(d('The room has a new owner: handed over, or the owner left and the member present longest took over.'));
const WsJoinRequestEvent = z
  .object({
    type: z.literal('join_request'),
    ...eventBase,
    request_id: z.string(),
    username: z.string(),
    expires_at: IsoTime.meta(d('When the request lapses unanswered.')),
  })
  .meta(d('Only to the owner’s sockets: someone asks to join (rooms with `approve_joins`).'));
const WsJoinRequestClosedEvent = z
  .object({
    type: z.literal('join_request_closed'),
    ...eventBase,
    request_id: z.string(),
    username: z.string(),
    status: z.enum(['approved', 'denied', 'withdrawn']),
  })
  .meta(d('Only to the owner’s sockets: a request was answered (from any of the owner’s pages or sockets), or its asker withdrew it.'));

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

/** `failure()` with more named examples of its JSON body (a refusal worth showing besides one per code). */
function withExamples(response: Json, more: Record<string, { summary: string; value: Json }>): Json {
  const content = response.content as Record<string, Json>;
  const json = content['application/json'] as Json;
  return { ...response, content: { ...content, 'application/json': { ...json, examples: { ...(json.examples as Json), ...more } } } };
}

/** A `validation_failed` body whose only field is `field`. */
const fieldRefusal = (field: string, message: string) => ({
  error: { code: 'validation_failed', message: 'Some fields are invalid.', fields: { [field]: message } },
});

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
/** The owner: their member token (Bearer) or cookie, or the room's owner_token. */
const OWNER = [{ memberToken: [] }, { ownerToken: [] }, { memberCookie: [] }];

const OWNER_AUTH =
  '**Owner:** the owner’s member token (`Authorization: Bearer`), the owner’s `mayfly_member` cookie (browsers), or the room’s ' +
  '`owner_token` (`Authorization: Bearer`) until the room is handed over. Ownership is read again on every action: it moves. ' +
  'JSON with `Content-Type: application/json` (or a Bearer header); a browser form post gets `303` back to the room, which shows a refusal once.';

/** A form field (or htmx frame field) of decimal digits: read as a whole number. */
const FORM_DIGITS = { type: 'string', pattern: '^\\s*\\d+\\s*$', description: 'Seconds to add, as decimal digits (1 … 2592000).' };
/** A form's yes/no: on/true/1/yes or off/false/0/no, any case. */
const FORM_BOOLEAN = { type: 'string', enum: ['on', 'off', 'true', 'false', '1', '0', 'yes', 'no'] };
const OWNER_FRAMES = new Set(['kick', 'lock', 'unlock', 'extend', 'owner', 'approve', 'deny', 'approval']);

const requestParam = {
  name: 'request_id',
  in: 'path',
  required: true,
  description: 'The request’s `request_id`.',
  schema: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,32}$' },
  example: 'rQ7vX2mK9pLa',
};

/** Request body accepted as JSON (API clients) or as a form post (browsers; `form`: its own schema when fields differ). */
const body = (schema: string, description: string, form = schema) => ({
  required: true,
  description,
  content: {
    'application/json': { schema: ref(schema) },
    'application/x-www-form-urlencoded': { schema: ref(form) },
  },
});

const NEGOTIATION =
  'JSON with `Content-Type: application/json` (or `Accept: application/json`); a browser form post gets a `303` redirect, ' +
  'and a failed form shows the page again with the error and a 4xx status.';

// CLOSE.removed is CLOSE.unauthenticated (4401): a member who left is no longer authenticated.
const CLOSE_CODES: Record<number, string> = {
  [CLOSE.unauthenticated]:
    'not authenticated (no or bad token; a password room needs a join first); also every socket of a member who left, on every instance (reason `left the room`)',
  [CLOSE.forbidden]:
    'forbidden: an invalid `username`, a name reserved by an account, or a name the owner barred (`name_banned`); a token whose request to join is ' +
    'still waiting, was denied or lapsed (the reason is the `pending_approval`, `join_denied` or `request_expired` message); also every socket ' +
    'of a member the owner removed, on every instance (reason `removed by the owner`)',
  [CLOSE.locked]: 'the room is locked: a guest (no token) is not let in; members keep connecting and chatting',
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
        '**End-to-end encrypted rooms** (`e2e: true`): a `message` frame’s `content` is an envelope the client sealed ' +
          `(\`EncryptedContent\`: \`e2e1.<nonce>.<ciphertext>\`, at most ${CONTENT_SEALED_MAX} characters). Anything else gets an \`error\` ` +
          'event `invalid_frame` (for plain text: `content: must be encrypted in the browser: …`) and is not sent. The server ' +
          'relays envelopes unchanged: the `message` events and the `history` of such a room carry them, to be opened with the key.',
        '',
        '**The owner’s frames** (the current owner’s member only; anyone else gets an `error` event with code `forbidden`): ' +
          '`{"type":"kick","username":"…"}`, `{"type":"lock"}`, `{"type":"unlock"}`, `{"type":"extend","seconds":600}`, ' +
          '`{"type":"owner","username":"…"}`, `{"type":"approve","request_id":"…"}`, `{"type":"deny","request_id":"…"}`, ' +
          '`{"type":"approval","approve_joins":true}` (`seconds` may be a string of digits and `approve_joins` `"on"`/`"off"`, as htmx sends forms). ' +
          'Done, nothing comes back but the event everyone gets; refused, an `error` event with the code the HTTP route would answer ' +
          '(`member_not_found`, `invalid_target`, `extend_limit`, `request_not_found`, `room_full`, `name_taken`, `name_banned`).',
        '',
        '**Server → client** (schema `WsServerEvent`; every event carries `type`, `room_id`, `timestamp`):',
        '- `history` first: the most recent messages (or those after `since`), oldest first, and `users`',
        '- `message`: `id`, `seq` (counts up by one per room), `username`, `member_id`, `content`, `verified`',
        '- `user_joined` / `user_left`: `username`, `users`',
        '- `typing`: `username`',
        '- `room_expired` / `room_destroyed`, then the socket closes with `4410`',
        '- `user_kicked`: `username`, `users` (instead of `user_left`: the owner removed a member, whose sockets close with `4403`)',
        '- `room_locked` / `room_unlocked`; `approval_changed`: `approve_joins`; `room_extended`: `expires_at`',
        '- `owner_changed`: `username`, `member_id`, `previous` (name or null), `reason` (`handed_over`, `owner_left`, or `unowned`: nobody owned the room and this is the first to join since)',
        '- to the owner’s sockets only: `join_request` (`request_id`, `username`, `expires_at`) and `join_request_closed` ' +
          '(`request_id`, `username`, `status`: `approved`, `denied`, or `withdrawn` by its asker)',
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
          'with `?since=<seq>` to catch up without gap or duplicate. Client frames are the same JSON as on `/ws`, the owner’s included ' +
          '(htmx adds `headers`, which are ignored).',
        '',
        'In an end-to-end encrypted room (`e2e: true`) `message` frames carry envelopes, as on `/ws` (`static/e2e.js` seals them before ' +
          'they leave; a frame with plain text is refused and the page shows a refusal), and each message fragment holds its envelope in `data-e2e` for the page ' +
          'to open in place.',
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
function examples(origin: string, expiry: number, maxUsers: number, maxExpiry: number) {
  const id = roomIdParam.example;
  const ws = wsOrigin(origin);
  const created = new Date(Date.UTC(2025, 0, 1, 12, 0, 0));
  const at = (s: number) => new Date(created.getTime() + s * 1000).toISOString();
  const base = {
    room_id: id,
    password_protected: false,
    locked: false,
    approve_joins: false,
    e2e: false,
    expires_at: at(expiry),
    expires_in_seconds: expiry,
    url: `${origin}/rooms/${id}`,
    ws_url: `${ws}/rooms/${id}/ws`,
  };
  const full = {
    ...base,
    name: 'Friday standup',
    owner_name: 'ada',
    created_at: at(0),
    max_expires_at: at(maxExpiry),
    max_users: maxUsers,
    idle_seconds: null,
  };
  const request = { request_id: 'rQ7vX2mK9pLa', room_id: id, username: 'carol', status: 'pending', expires_at: at(342) };
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
    asked: {
      ...request,
      status_url: `${origin}/rooms/${id}/requests/${request.request_id}`,
      token: 'rT4u8…(secret)',
    },
    request: { ...request, status_url: `${origin}/rooms/${id}/requests/${request.request_id}` },
    requests: { room_id: id, requests: [request] },
    approved: { ...request, status: 'approved' },
    kicked: { room_id: id, username: 'mallory' },
    locked: { room_id: id, locked: true },
    approval: { room_id: id, approve_joins: true },
    extended: { room_id: id, expires_at: at(expiry + 600), expires_in_seconds: expiry + 600, max_expires_at: at(maxExpiry) },
    owner: { room_id: id, owner_name: 'grace' },
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
  // The name is checked once `e2e` is known (a transform JSON Schema cannot see): plain text, or an envelope in an encrypted room.
  const plainName = { minLength: 1, maxLength: LIMITS.roomName };
  createProps.name = {
    ...createProps.name,
    description:
      `Room name (trimmed; no control or direction characters), 1 … ${LIMITS.roomName} characters. With \`e2e: true\`, the name’s envelope ` +
      `instead (\`EncryptedRoomName\`, at most ${NAME_SEALED_MAX} characters), sealed by the client with the room’s new key; plain text is ` +
      'refused (`400 validation_failed`, `fields.name`).',
    anyOf: [{ ...plainName, description: 'A plain name (a room without `e2e`).' }, ref('EncryptedRoomName')],
  };
  createProps.e2e = {
    ...createProps.e2e,
    description:
      'End-to-end encrypted: the client makes a key (32 random bytes), keeps it out of every request (only in the link’s fragment, ' +
      '`…/rooms/{id}#k=<key>`), and seals the `name` and every message with it (`Envelope`); the server stores envelopes it cannot read ' +
      'and refuses plain text. JSON: `true`/`false`; the lobby’s checkbox sends `on` (shown only with JavaScript, which does the sealing). ' +
      'Fixed for the room’s life.',
  };
  /** `name` follows `e2e`: an envelope when it is on, a plain name otherwise. */
  const nameFollowsE2e = (on: Json) => ({
    if: { properties: { e2e: on }, required: ['e2e'] },
    // biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then/else, never awaited
    then: { properties: { name: ref('EncryptedRoomName') } },
    else: { properties: { name: plainName } },
  });
  Object.assign(createRoom, nameFollowsE2e({ const: true }));
  createProps.approve_joins = {
    ...createProps.approve_joins,
    description:
      'The owner lets each person in: a join becomes a request the owner approves or denies (`202`). JSON: `true`/`false`; ' +
      'a form checkbox sends `on`. The owner can change it later (`POST /rooms/{id}/approval`).',
  };
  createProps.owner_name = {
    ...createProps.owner_name,
    description:
      'The creator’s name: NFKC-normalised (the normal form is kept) and trimmed; invisible, format, control and direction characters are refused.',
  };
  // The lobby's form: every field a string, numbers as decimal digits, checkboxes `on`; an empty field is "not given".
  const formNumber = (schema: Json) => ({
    type: 'string',
    pattern: '^\\s*\\d*\\s*$',
    description: `${schema.description ?? ''} Decimal digits, ${schema.minimum} … ${schema.maximum}; empty: not given.`.trim(),
  });
  const formCheck = (schema: Json) => ({ type: 'string', enum: [...FORM_BOOLEAN.enum, ''], description: schema.description });
  const createRoomForm: Json = {
    ...createRoom,
    properties: {
      ...createProps,
      expiry_seconds: formNumber(createProps.expiry_seconds as Json),
      max_users: formNumber(createProps.max_users as Json),
      idle_seconds: formNumber(createProps.idle_seconds as Json),
      approve_joins: formCheck(createProps.approve_joins as Json),
      e2e: formCheck(createProps.e2e as Json),
    },
    ...nameFollowsE2e({ type: 'string', enum: ['on', 'true', '1', 'yes'] }),
    description: 'The lobby’s form (`application/x-www-form-urlencoded`): the same fields as `CreateRoom`, each a string.',
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
  const ex = examples(origin ?? 'https://mayfly.example', defaultExpiry, defaultMaxUsers, maxExpiry);
  const accounts = 'Optional accounts (anonymous use never needs one).';

  /**
   * One of the owner's routes (src/web/moderation.tsx): JSON answers, or `303` back to the room for a form post. `fails`
   * adds to (or replaces) the failures every owner route shares.
   */
  type OwnerOp = {
    method?: 'get' | 'post';
    operationId: string;
    summary: string;
    description: string;
    body?: Json;
    params?: Json[];
    ok: Json;
    fails?: Json;
  };
  const owner = ({ method = 'post', operationId, summary, description, body, params = [], ok, fails = {} }: OwnerOp) => {
    const post = method === 'post';
    const responses: Json = {
      '200': ok,
      '303': SEE_OTHER(
        post
          ? '`/rooms/{id}#latest` (form posts; a refusal is shown there once, with its status)'
          : '`/rooms/{id}#latest` (browsers: the owner’s room page lists the requests)',
      ),
      '400': body
        ? F.badBody()
        : failure(400, 'A `Content-Type: application/json` body that is not a JSON object (send no body, or `{}`).', {
            codes: ['invalid_body'],
          }),
      '403': post
        ? failure(
            403,
            'Not the owner now (`forbidden`): no token, a member who is not the owner, or an `owner_token` retired by a hand-over; ' +
              'or a cross-site form post (`forbidden_origin`).',
            { codes: ['forbidden', 'forbidden_origin'], html: true, messages: { forbidden_origin: 'Cross-site form posts are refused.' } },
          )
        : failure(403, 'Not the owner now: no token, a member who is not the owner, or an `owner_token` retired by a hand-over.', {
            codes: ['forbidden'],
          }),
      '404': F.gone(),
      ...(body ? { '413': tooLarge } : {}),
      '503': F.unavailable,
      ...fails,
    };
    const sorted = Object.fromEntries(Object.entries(responses).sort(([a], [b]) => Number(a) - Number(b)));
    return {
      parameters: [roomIdParam, ...params],
      [method]: {
        tags: ['owner'],
        operationId,
        summary,
        description: `${description}\n\n${OWNER_AUTH}`,
        security: OWNER,
        ...(body ? { requestBody: body } : {}),
        responses: sorted,
      },
    };
  };

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
          'A browser gets the room page when joined, the join form otherwise; someone who asked to join gets the waiting page ' +
          '(it polls the request’s `status_url` every 2 s with JavaScript, else reloads every 10 s) until the owner decides.',
        security: OPTIONAL_MEMBER,
        responses: {
          '200': { description: 'The room.', content: { ...jsonContent('Room', ex.room), ...HTML } },
          '403': { description: 'Browser: the owner did not let you in (your request to join was denied).', content: HTML },
          '404': F.gone(),
          '423': { description: 'Browser, not a member: “This room is locked”.', content: HTML },
          '503': F.unavailable,
        },
      },
      delete: {
        tags: ['rooms'],
        operationId: 'destroyRoom',
        summary: 'Destroy a room (owner only)',
        description:
          'Ends the room for everyone at once: every member is told (`room_destroyed`), every socket closes (`4410`), and everything ' +
          'the room had in storage is deleted. Owner: `Authorization: Bearer <owner_token>` (until the room is handed over), ' +
          'the owner’s member token, or the owner’s cookie.',
        security: [{ ownerToken: [] }, { memberToken: [] }, { memberCookie: [] }],
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
          '202': {
            description:
              'The room asks its owner (`approve_joins`): a request was made instead (the password, when there is one, was checked first). ' +
              'Its `token` admits nothing until the owner approves; poll `status_url` with it (or watch for `pending_approval` turning ' +
              'into a member’s answers). Once approved the same token is a member’s, its seat held a while; denied, it gets `403 join_denied`; ' +
              'unanswered for `JOIN_REQUEST_SECONDS`, `403 request_expired`. `POST /rooms/{id}/leave` with it withdraws the request. ' +
              'A browser gets `303` to the room, which shows the waiting page.',
            content: jsonContent('AskedToJoin', ex.asked),
          },
          '303': SEE_OTHER('the room', SET_COOKIE),
          '400': F.badBody(),
          '401': failure(401, 'Wrong password.', { codes: ['wrong_password'], html: true }),
          '403': failure(
            403,
            'The owner removed that name from the room (`name_banned`), or a cross-site form post (`forbidden_origin`).',
            {
              codes: ['name_banned', 'forbidden_origin'],
              html: true,
              messages: { forbidden_origin: 'Cross-site form posts are refused.' },
            },
          ),
          '404': F.gone(),
          '409': failure(
            409,
            'The room is full, or the name is taken in the room (or by someone already asking to join) or reserved by an account.',
            {
              codes: ['room_full', 'name_taken', 'name_reserved'],
              html: true,
            },
          ),
          '413': tooLarge,
          '423': failure(423, 'The owner locked the room: nobody new gets in, nor may ask to.', { codes: ['room_locked'], html: true }),
          '429': failure(
            429,
            'Too many joins from your address (`rate_limited`); too many wrong passwords for this room from your address, or from everyone ' +
              '(`password_guessing`); too many password checks from your address (`too_many_password_checks`); or, in a room that asks ' +
              'its owner, 50 requests already waiting (`too_many_requests`).',
            { codes: ['rate_limited', 'password_guessing', 'too_many_password_checks', 'too_many_requests'], html: true },
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
          '401': failure(401, 'Not a member of the room (or no longer: left, or removed by the owner).', { codes: ['unauthorized'] }),
          '403': failure(403, 'The token asked to join: the owner has not answered yet, denied it, or it lapsed.', {
            codes: ['pending_approval', 'join_denied', 'request_expired'],
          }),
          '404': F.gone(false),
          '503': F.unavailable,
        },
      },
      post: {
        tags: ['messages'],
        operationId: 'postMessage',
        summary: 'Send a message',
        description: `Members only. Every connected client receives it as a \`message\` event. ${NEGOTIATION} Sending works with JavaScript disabled. A refused browser form post answers \`303\` back to the room page, which shows the refusal once, with its status (a short-lived \`mayfly_flash\` cookie scoped to the room): the HTML pages below are what that page shows. The text of a refused message comes back in the composer. In an end-to-end encrypted room \`content\` is an envelope, so a browser needs JavaScript there.`,
        security: MEMBER,
        requestBody: {
          required: true,
          description:
            'The message: plain text (`PostMessage`), or in an end-to-end encrypted room (`e2e`) an envelope (`PostEncryptedMessage`), ' +
            'where plain text is refused.',
          content: {
            'application/json': { schema: { anyOf: [ref('PostMessage'), ref('PostEncryptedMessage')] } },
            'application/x-www-form-urlencoded': { schema: { anyOf: [ref('PostMessage'), ref('PostEncryptedMessage')] } },
          },
        },
        responses: {
          '201': { description: 'Sent.', content: jsonContent('Message', ex.message) },
          '303': SEE_OTHER('the room (`#latest`: the newest message)'),
          '400': withExamples(
            failure(
              400,
              'Bad request: a field is invalid (`validation_failed`, with `fields`) or the body is unreadable. In an end-to-end encrypted ' +
                'room, `content` that is not an envelope (plain text) is refused and not stored, and so is an envelope longer than a ' +
                `${LIMITS.content}-character text can make (${CONTENT_SEALED_MAX} characters).`,
              { codes: ['validation_failed', 'invalid_body'], html: true },
            ),
            {
              e2e_plain_text: {
                summary: 'Plain text in an end-to-end encrypted room',
                value: fieldRefusal('content', E2E_PLAIN_CONTENT),
              },
              e2e_too_long: {
                summary: 'An envelope longer than a message can make',
                value: fieldRefusal('content', `is longer than an encrypted text of ${LIMITS.content} characters can be`),
              },
            },
          ),
          '401': failure(401, 'Not a member of the room (or no longer: left, or removed by the owner).', {
            codes: ['unauthorized'],
            html: true,
          }),
          '403': failure(
            403,
            'The token asked to join and is not a member’s (yet): `pending_approval`, `join_denied`, `request_expired`; or a cross-site form post.',
            {
              codes: ['pending_approval', 'join_denied', 'request_expired', 'forbidden_origin'],
              html: true,
              messages: { forbidden_origin: 'Cross-site form posts are refused.' },
            },
          ),
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
        description:
          'The owner’s Leave leads here: leaving gives up the ownership of the room for good, so it is asked first, naming who becomes ' +
          'the owner (the member present longest), or saying that nobody will.',
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
          'An owner’s form post without `confirmed=1` is sent (303) to `GET /rooms/{id}/leave`, which asks first. When the owner leaves, ' +
          'the member present longest becomes the owner (`owner_changed`, reason `owner_left`); with nobody else present, nobody owns the room (`owner_name` null) until the next person joins, who becomes the owner (reason `unowned`). ' +
          'With the token of a request to join, leaving withdraws the request.',
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
    '/rooms/{id}/kick': owner({
      operationId: 'kickMember',
      summary: 'Remove a member (owner only)',
      description:
        'Every socket of the member closes with `4403` (reason `removed by the owner`) on every instance, their token stops working ' +
        '(`401` after), and their name is barred from the room for the rest of its life: joining with it, or with one that looks like it ' +
        '(compared case-insensitively, NFKC, lookalikes folded), gets `403 name_banned`, and a guest socket with it closes `4403`. ' +
        'Everyone gets `user_kicked`. The same as the `/ws` frame `{"type":"kick","username":"…"}`.',
      body: body('MemberName', 'Who to remove.'),
      ok: { description: 'Removed.', content: jsonContent('Kicked', ex.kicked) },
      fails: {
        '400': failure(
          400,
          'A field is invalid, or the name is the owner’s own (`invalid_target`: hand the room over first, or leave it).',
          {
            codes: ['validation_failed', 'invalid_body', 'invalid_target'],
            html: true,
            messages: { invalid_target: 'The owner cannot be removed: hand the room over first, or leave it.' },
          },
        ),
        '404': failure(404, 'No such room (`not_found`), or nobody by that name in it (`member_not_found`).', {
          codes: ['not_found', 'member_not_found'],
          html: true,
        }),
      },
    }),
    '/rooms/{id}/lock': owner({
      operationId: 'lockRoom',
      summary: 'Lock a room (owner only)',
      description:
        'Nobody new gets in: `POST /rooms/{id}/join` (and asking to join) gets `423 room_locked`, a guest socket closes with `4423`, and ' +
        'a browser that is not a member sees “This room is locked” (`423`). Members keep chatting and may come back. Everyone gets ' +
        '`room_locked`. The `/ws` frame `{"type":"lock"}` does the same.',
      ok: { description: 'Locked.', content: jsonContent('Locked', ex.locked) },
    }),
    '/rooms/{id}/unlock': owner({
      operationId: 'unlockRoom',
      summary: 'Unlock a room (owner only)',
      description: 'People may join again. Everyone gets `room_unlocked`. The `/ws` frame `{"type":"unlock"}` does the same.',
      ok: { description: 'Unlocked (`locked: false`).', content: jsonContent('Locked', { ...ex.locked, locked: false }) },
    }),
    '/rooms/{id}/approval': owner({
      operationId: 'setApproval',
      summary: 'Approve each join, or not (owner only)',
      description:
        'With `approve_joins: true` a join becomes a request the owner approves or denies (`POST /rooms/{id}/join` answers `202`). ' +
        'Turning it off lets people join directly again; requests already waiting stay for the owner to answer. Everyone gets ' +
        '`approval_changed`. The `/ws` frame `{"type":"approval","approve_joins":true}` does the same.',
      body: body('Approval', 'On or off.', 'ApprovalForm'),
      ok: { description: 'Set.', content: jsonContent('ApprovalSet', ex.approval) },
    }),
    '/rooms/{id}/extend': owner({
      operationId: 'extendRoom',
      summary: 'Give the room more time (owner only)',
      description:
        `The room's new end is \`expires_at + seconds\`, but never later than \`created_at\` plus \`MAX_EXPIRY_SECONDS\` (${maxExpiry} s here): ` +
        'the answer’s `max_expires_at`. Every countdown and every instance’s expiry timer follow; everyone gets `room_extended`. ' +
        'The `/ws` frame `{"type":"extend","seconds":600}` does the same.',
      body: body('Extend', 'Seconds to add.', 'ExtendForm'),
      ok: { description: 'Extended.', content: jsonContent('Extended', ex.extended) },
      fails: {
        '409': failure(409, 'The room already lasts as long as a room can (`MAX_EXPIRY_SECONDS` from its creation).', {
          codes: ['extend_limit'],
          html: true,
        }),
      },
    }),
    '/rooms/{id}/owner': owner({
      operationId: 'handOver',
      summary: 'Hand the room over (owner only)',
      description:
        'Makes another member the owner: they get the controls, the one who handed it over no longer has them, and the room’s ' +
        '`owner_token` stops working (one owner at a time). Everyone gets `owner_changed` (reason `handed_over`). An API creator, ' +
        'who is not a member, hands the room to a member this way. The `/ws` frame `{"type":"owner","username":"…"}` does the same.',
      body: body('MemberName', 'Who gets the room.'),
      ok: { description: 'Handed over.', content: jsonContent('OwnerSet', ex.owner) },
      fails: {
        '400': failure(400, 'A field is invalid, or you already own the room (`invalid_target`).', {
          codes: ['validation_failed', 'invalid_body', 'invalid_target'],
          html: true,
          messages: { invalid_target: 'You already own this room.' },
        }),
        '404': failure(404, 'No such room (`not_found`), or nobody by that name in it (`member_not_found`).', {
          codes: ['not_found', 'member_not_found'],
          html: true,
        }),
      },
    }),
    '/rooms/{id}/requests': owner({
      method: 'get',
      operationId: 'listJoinRequests',
      summary: 'Requests to join (owner only)',
      description:
        'JSON: the requests still waiting and not lapsed, oldest first. A request lapses `JOIN_REQUEST_SECONDS` after it was made. ' +
        'The owner’s sockets also hear of each new one (`join_request`) and of each answer (`join_request_closed`); the owner’s room page lists them.',
      ok: { description: 'The requests waiting.', content: jsonContent('JoinRequests', ex.requests) },
    }),
    '/rooms/{id}/requests/{request_id}': {
      parameters: [roomIdParam, requestParam],
      get: {
        tags: ['rooms'],
        operationId: 'joinRequestStatus',
        summary: 'Where a request to join stands',
        description:
          'JSON, for the asker (the `token` of the `202`) or the owner. The asker sees `pending`, then `approved` (the token is a member’s ' +
          'now), `denied` or `expired`; the owner sees a request only while it waits. Anyone else gets `404`. A browser is sent to the room page.',
        security: [...MEMBER, { ownerToken: [] }],
        responses: {
          '200': { description: 'The request.', content: jsonContent('JoinRequestStatus', ex.request) },
          '303': SEE_OTHER('`/rooms/{id}` (browsers)'),
          '404': failure(404, 'No such room (`not_found`), or no such request that you may see (`request_not_found`).', {
            codes: ['not_found', 'request_not_found'],
          }),
          '503': F.unavailable,
        },
      },
    },
    '/rooms/{id}/requests/{request_id}/approve': owner({
      operationId: 'approveJoinRequest',
      summary: 'Let someone in (owner only)',
      description:
        'The asker becomes a member (past a lock): their token now admits them, and their seat is held a while until they arrive. ' +
        'Everyone gets `user_joined`; the owner’s sockets get `join_request_closed`. A refusal leaves the request waiting. ' +
        'The `/ws` frame `{"type":"approve","request_id":"…"}` does the same.',
      params: [requestParam],
      ok: { description: 'Approved.', content: jsonContent('JoinRequestDecided', ex.approved) },
      fails: {
        '403': failure(
          403,
          'Not the owner (`forbidden`), the name was barred meanwhile (`name_banned`), or a cross-site form post (`forbidden_origin`).',
          {
            codes: ['forbidden', 'name_banned', 'forbidden_origin'],
            html: true,
            messages: { forbidden_origin: 'Cross-site form posts are refused.' },
          },
        ),
        '404': failure(
          404,
          'No such room (`not_found`), or no such request waiting: unknown, answered already, or lapsed (`request_not_found`).',
          {
            codes: ['not_found', 'request_not_found'],
            html: true,
          },
        ),
        '409': failure(409, 'The room is full, or someone present took the name meanwhile.', {
          codes: ['room_full', 'name_taken'],
          html: true,
        }),
      },
    }),
    '/rooms/{id}/requests/{request_id}/deny': owner({
      operationId: 'denyJoinRequest',
      summary: 'Turn someone away (owner only)',
      description:
        'The asker’s token then gets `403 join_denied` (a browser: “The owner did not let you in”). The owner’s sockets get ' +
        '`join_request_closed`. The `/ws` frame `{"type":"deny","request_id":"…"}` does the same.',
      params: [requestParam],
      ok: { description: 'Denied.', content: jsonContent('JoinRequestDecided', { ...ex.approved, status: 'denied' }) },
      fails: {
        '404': failure(
          404,
          'No such room (`not_found`), or no such request waiting: unknown, answered already, or lapsed (`request_not_found`).',
          {
            codes: ['not_found', 'request_not_found'],
            html: true,
          },
        ),
      },
    }),
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
    requestBody: body('CreateRoom', 'The new room.', 'CreateRoomForm'),
    responses: {
      '201': {
        description: 'Created.',
        headers: { Location: { schema: { type: 'string' }, description: '`/rooms/{id}`' } },
        content: jsonContent('CreatedRoom', ex.createdRoom),
      },
      '303': SEE_OTHER(
        '`/rooms/{id}` (the lobby’s script posts an encrypted room to `/rooms#k=<key>`, and the browser keeps that fragment across the 303)',
        SET_COOKIE,
      ),
      '400': withExamples(
        failure(
          400,
          'Bad request: a field is invalid (`validation_failed`, with `fields`) or the body is unreadable. With `e2e: true`, a `name` that is ' +
            `not an envelope is refused (\`fields.name\`), and so is an envelope longer than a ${LIMITS.roomName}-character name can make.`,
          { codes: ['validation_failed', 'invalid_body'], html: true },
        ),
        {
          e2e_plain_name: { summary: 'An encrypted room with a plain name', value: fieldRefusal('name', E2E_PLAIN_NAME) },
          e2e_name_too_long: {
            summary: 'An envelope longer than a room name can make',
            value: fieldRefusal('name', `is longer than an encrypted text of ${LIMITS.roomName} characters can be`),
          },
        },
      ),
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

  const eventNames = [
    'WsHistoryEvent',
    'MessageEvent',
    'WsPresenceEvent',
    'WsTypingEvent',
    'WsEndEvent',
    'WsErrorEvent',
    'WsKickEvent',
    'WsLockEvent',
    'WsApprovalEvent',
    'WsExtendEvent',
    'WsOwnerEvent',
    'WsJoinRequestEvent',
    'WsJoinRequestClosedEvent',
  ];

  // Socket frames: htmx sends a form's fields as strings, so `extend` takes digits and `approval` on/off words too.
  const frames = jsonSchema(ClientFrame) as { oneOf: Json[] };
  for (const frame of frames.oneOf) {
    const props = frame.properties as Record<string, Json>;
    const type = (props.type as { const?: string }).const;
    if (type === 'extend') props.seconds = { anyOf: [props.seconds, FORM_DIGITS], description: 'Seconds to add.' };
    if (type === 'approval') props.approve_joins = { anyOf: [props.approve_joins, FORM_BOOLEAN] };
    if (type === 'message')
      props.content = {
        anyOf: [props.content, ref('EncryptedContent')],
        description:
          'The text; in an end-to-end encrypted room (`e2e`), its envelope (`EncryptedContent`): plain text there gets `invalid_frame`.',
      };
    if (type && OWNER_FRAMES.has(type)) frame.description = 'The owner only; anyone else gets an `error` event with code `forbidden`.';
  }

  return withDialects({
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
        'The owner (tag `owner`) can remove members (their name is barred for the room’s life), lock the room, approve each join, ' +
          `extend the room (up to \`MAX_EXPIRY_SECONDS\`, ${maxExpiry} s, from its creation) and hand it over; requests to join lapse after ` +
          '`JOIN_REQUEST_SECONDS`. The same controls travel as `/ws` frames.',
        '',
        'End-to-end encrypted rooms (`e2e: true` on creation): the room’s `name` and every message’s `content` are envelopes ' +
          '(schema `Envelope`: `e2e1.<nonce>.<ciphertext>`, AES-256-GCM, base64url) sealed by the clients with a key that travels only in ' +
          'the link’s fragment (`#k=…`) and never reaches the server. The server checks their shape and size (a name’s envelope at most ' +
          `${NAME_SEALED_MAX} characters, a message’s ${CONTENT_SEALED_MAX}) and refuses plain text with \`400 validation_failed\` ` +
          '(sockets: an `invalid_frame` error). Usernames, times, member counts and message sizes are not hidden from it: see `SECURITY.md`.',
        '',
        'Real-time: see `GET /rooms/{id}/ws` (JSON events) and `GET /rooms/{id}/live` (htmx fragments).',
      ].join('\n'),
      license: { name: 'MIT', identifier: 'MIT' },
    },
    ...(origin ? { servers: [{ url: origin }] } : {}),
    tags: [
      { name: 'rooms', description: 'Create, read, join, leave and destroy rooms.' },
      { name: 'owner', description: 'The owner’s controls: remove, lock, approve joins, extend, hand over.' },
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
        memberToken: {
          type: 'http',
          scheme: 'bearer',
          description:
            'Member token: `token` from `POST /rooms/{id}/join`. The current owner’s member token also opens the owner’s routes.',
        },
        ownerToken: {
          type: 'http',
          scheme: 'bearer',
          description:
            '`owner_token` from `POST /rooms` (JSON): destroy and the owner’s routes, until the room is handed over to a member.',
        },
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
        CreateRoomForm: createRoomForm,
        Join: joinBody,
        PostMessage: { ...jsonSchema(PostMessageSchema), description: 'A message in a room without `e2e`: plain text.' },
        PostEncryptedMessage: {
          ...jsonSchema(PostEncryptedSchema),
          description: 'A message in an end-to-end encrypted room: `content` is its envelope (`EncryptedContent`).',
        },
        Envelope: ENVELOPE,
        EncryptedContent: {
          ...jsonSchema(EncryptedContent),
          allOf: [ref('Envelope')],
          description:
            `A message’s envelope: a text of at most ${LIMITS.content} characters, sealed (at most ${CONTENT_SEALED_MAX} characters: ` +
            '3 UTF-8 bytes per character and the 16-byte tag). The server cannot check the text inside (its length, its characters): ' +
            'a client keeps to the plain-text rules when it seals, and shows what it opens as text, never as markup.',
          examples: [ENVELOPE_EXAMPLE],
        },
        EncryptedRoomName: {
          ...jsonSchema(EncryptedRoomName),
          allOf: [ref('Envelope')],
          description: `A room name’s envelope: a name of at most ${LIMITS.roomName} characters, sealed (at most ${NAME_SEALED_MAX} characters).`,
          examples: [NAME_EXAMPLE],
        },
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
        MemberName: jsonSchema(UsernameBody),
        Approval: jsonSchema(approvalSchema(true)),
        ApprovalForm: {
          type: 'object',
          properties: { approve_joins: { ...FORM_BOOLEAN, description: 'A form choice or checkbox.' } },
          required: ['approve_joins'],
        },
        Extend: {
          ...jsonSchema(extendSchema(true)),
          description: `Seconds to add (the room never lasts past \`MAX_EXPIRY_SECONDS\`, ${maxExpiry} s, from its creation).`,
        },
        ExtendForm: { type: 'object', properties: { seconds: FORM_DIGITS }, required: ['seconds'] },
        AskedToJoin: jsonSchema(AskedJson),
        JoinRequests: jsonSchema(RequestsJson),
        JoinRequestStatus: jsonSchema(RequestStatusJson),
        JoinRequestDecided: jsonSchema(DecidedRequestJson),
        Kicked: jsonSchema(KickedJson),
        Locked: jsonSchema(LockedJson),
        ApprovalSet: jsonSchema(ApprovalJson),
        Extended: jsonSchema(ExtendedJson),
        OwnerSet: jsonSchema(OwnerJson),
        WsClientFrame: {
          ...frames,
          description:
            'A frame a client sends on either socket (text, JSON). Unknown keys are ignored. `kick`, `lock`, `unlock`, `extend`, `owner`, ' +
            '`approve`, `deny` and `approval` are the owner’s.',
        },
        WsServerEvent: { oneOf: eventNames.map(ref), description: 'An event the server sends on `/rooms/{id}/ws`.' },
        WsHistoryEvent: jsonSchema(WsHistoryEvent),
        MessageEvent: { allOf: [ref('Message')], description: 'A new message (the same shape as `Message`).' },
        WsPresenceEvent: jsonSchema(WsPresenceEvent),
        WsTypingEvent: jsonSchema(WsTypingEvent),
        WsEndEvent: jsonSchema(WsEndEvent),
        WsErrorEvent: jsonSchema(WsErrorEvent),
        WsKickEvent: jsonSchema(WsKickEvent),
        WsLockEvent: jsonSchema(WsLockEvent),
        WsApprovalEvent: jsonSchema(WsApprovalEvent),
        WsExtendEvent: jsonSchema(WsExtendEvent),
        WsOwnerEvent: jsonSchema(WsOwnerEvent),
        WsJoinRequestEvent: jsonSchema(WsJoinRequestEvent),
        WsJoinRequestClosedEvent: jsonSchema(WsJoinRequestClosedEvent),
      },
    },
  });
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
<link rel="stylesheet" href="/docs/assets/swagger-ui.css" integrity="${fileIntegrity(DOCS_ASSETS['swagger-ui.css']!)}">
<link rel="stylesheet" href="/static/docs.css">
</head>
<body>
<header class="docs-head"><a href="/">← Back to mayfly</a></header>
<div id="swagger-ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js" integrity="${fileIntegrity(DOCS_ASSETS['swagger-ui-bundle.js']!)}"></script>
<script src="/static/docs.js" integrity="${integrity('/static/docs.js')}"></script>
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
