// zod schemas for everything a user sends: room creation, joining, messages and socket frames.
import { z } from 'zod';
import { ENVELOPE_SHAPE, envelopeMaxLength } from '../e2e/envelope.ts';
import { INVISIBLE, wellFormed } from './names.ts';

// C0/C1 control characters except tab and newline; they have no place in chat text.
const CONTROL = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/;
// Names and titles are one line: no control characters at all.
const NAME_CONTROL = /[\u0000-\u001F\u007F-\u009F]/;
// Bidi embeddings, overrides and isolates: harmless in text, but a name could disguise itself.
const BIDI = /[\u202A-\u202E\u2066-\u2069\u200E\u200F\u061C]/;

export const LIMITS = {
  content: 2000,
  roomName: 80,
  username: 32,
  password: 128,
  minExpiry: 5,
  minIdle: 30,
  minUsers: 2,
  maxUsers: 1000,
} as const;

const wholeNumber = (min: number, max: number) =>
  z
    .number({ message: 'must be a whole number' })
    .int('must be a whole number')
    .min(min, `must be at least ${min}`)
    .max(max, `must be at most ${max}`);

/** Form fields (and query strings) arrive as strings: an empty one means "not given", else decimal digits. */
const optionalInt = (min: number, max: number) =>
  z.preprocess(
    (v) => (v === '' || v === null ? undefined : typeof v === 'string' && /^\s*-?\d+\s*$/.test(v) ? Number(v) : v),
    wholeNumber(min, max).optional(),
  );

/** In a JSON body a number is a JSON number: no strings, no arrays; null means "not given". */
const optionalJsonInt = (min: number, max: number) => z.preprocess((v) => (v === null ? undefined : v), wholeNumber(min, max).optional());

/** A JSON boolean (null: not given). */
const optionalJsonBool = z.preprocess((v) => (v === null ? undefined : v), z.boolean({ message: 'must be true or false' }).optional());
const FORM_BOOLEANS: Record<string, boolean> = {
  on: true,
  true: true,
  '1': true,
  yes: true,
  off: false,
  false: false,
  '0': false,
  no: false,
};
const formBool = (v: unknown) => (typeof v === 'string' ? (FORM_BOOLEANS[v.trim().toLowerCase()] ?? v) : v);
/** A form checkbox or choice: on/true/1/yes, or off/false/0/no. */
const FormBool = z.preprocess(formBool, z.boolean({ message: 'must be true or false' }));
const optionalFormBool = z.preprocess(
  (v) => (v === '' || v === null ? undefined : formBool(v)),
  z.boolean({ message: 'must be true or false' }).optional(),
);
/** A form field of decimal digits as a number (anything else is left for the schema to refuse). */
const formInt = (v: unknown) => (typeof v === 'string' && /^\s*-?\d+\s*$/.test(v) ? Number(v) : v);

const optionalString = <T extends z.ZodType>(schema: T) => z.preprocess((v) => (v === '' || v === null ? undefined : v), schema.optional());

/** Any text field: a lone surrogate cannot be stored or hashed, so it is refused before anything else. */
export const text = () => z.string({ message: 'is required' }).refine(wellFormed, { message: 'must be valid Unicode text', abort: true });

/**
 * A person's name (in a room, a room's owner, an account): NFKC-normalised, and that form is what is
 * kept and shown; no invisible, format, control or direction characters. Names are compared by nameKey.
 */
export const Username = text()
  .normalize('NFKC')
  // Before trim, which would quietly drop a leading or trailing U+FEFF.
  .refine((s) => !INVISIBLE.test(s), 'must not contain invisible, control or direction characters')
  .trim()
  .min(1, 'must not be empty')
  .max(LIMITS.username, `must be at most ${LIMITS.username} characters`);

export const RoomName = text()
  .trim()
  .min(1, 'must not be empty')
  .max(LIMITS.roomName, `must be at most ${LIMITS.roomName} characters`)
  .refine((s) => !NAME_CONTROL.test(s) && !BIDI.test(s), 'must not contain control or direction characters');

export const Password = text().max(LIMITS.password, `must be at most ${LIMITS.password} characters`);

export const Content = text()
  .trim()
  .min(1, 'must not be empty')
  .max(LIMITS.content, `must be at most ${LIMITS.content} characters`)
  .refine((s) => !CONTROL.test(s), 'must not contain control characters');

const createRoomSchemas = new Map<string, ReturnType<typeof buildCreateRoomSchema>>();

/**
 * The room creation schema for these limits, built once (building one costs ~100× a parse). json: the
 * body was JSON, so numbers must be JSON numbers; a form's fields are strings and may hold digits.
 */
export function createRoomSchema(maxExpiry: number, defaultExpiry = 600, opts: { json?: boolean } = {}) {
  const json = opts.json === true;
  const key = `${maxExpiry}:${defaultExpiry}:${json}`;
  let schema = createRoomSchemas.get(key);
  if (!schema) createRoomSchemas.set(key, (schema = buildCreateRoomSchema(maxExpiry, defaultExpiry, json)));
  return schema;
}

/** idle_seconds may not be longer than the room lives: its expiry_seconds, or the default lifetime. */
function buildCreateRoomSchema(maxExpiry: number, defaultExpiry: number, json: boolean) {
  const int = json ? optionalJsonInt : optionalInt;
  const num = (v: unknown) =>
    v === undefined || v === null || v === '' ? undefined : json && typeof v !== 'number' ? Number.NaN : Number(v);
  return z
    .object({
      // Plain, or an encrypted room's envelope: which one it must be is checked below, once `e2e` is known.
      name: NameField,
      owner_name: Username,
      expiry_seconds: int(LIMITS.minExpiry, maxExpiry),
      max_users: int(LIMITS.minUsers, LIMITS.maxUsers),
      idle_seconds: int(LIMITS.minIdle, maxExpiry),
      password: optionalString(Password),
      approve_joins: json ? optionalJsonBool : optionalFormBool,
      e2e: json ? optionalJsonBool : optionalFormBool,
    })
    .superRefine(
      (b, ctx) => {
        if (typeof b.name !== 'string') return;
        const sealed = ENVELOPE_SHAPE.test(b.name);
        if (b.e2e === true && !sealed) {
          ctx.addIssue({
            code: 'custom',
            path: ['name'],
            message: 'must be encrypted in the browser: end-to-end encrypted rooms need JavaScript',
          });
        } else if (b.e2e !== true && sealed && b.name.length > LIMITS.roomName) {
          ctx.addIssue({ code: 'custom', path: ['name'], message: `must be at most ${LIMITS.roomName} characters` });
        }
      },
      { when: ({ value }) => typeof (value as { name?: unknown } | undefined)?.name === 'string' },
    )
    .refine((b) => b.idle_seconds === undefined || b.idle_seconds <= (b.expiry_seconds ?? defaultExpiry), {
      message: 'must not be longer than the room lives (expiry_seconds)',
      path: ['idle_seconds'],
      // Checked even when other fields are invalid, as long as both numbers are readable.
      when: ({ value }) => {
        const v = (value ?? {}) as Record<string, unknown>;
        const idle = num(v.idle_seconds);
        const expiry = num(v.expiry_seconds) ?? defaultExpiry;
        return idle !== undefined && Number.isInteger(idle) && Number.isInteger(expiry);
      },
    });
}
export type CreateRoomInput = z.infer<ReturnType<typeof buildCreateRoomSchema>>;

export const JoinSchema = z.preprocess(
  (b) =>
    b && typeof b === 'object'
      ? { ...b, username: (b as Record<string, unknown>).username ?? (b as Record<string, unknown>).display_name }
      : b,
  z.object({ username: Username, password: optionalString(Password) }),
);
export type JoinInput = z.infer<typeof JoinSchema>;

/**
 * A room's name as sent: plain (RoomName's rules, and its trimmed form kept), or an envelope (an
 * encrypted room's), kept exactly. Which of the two a room needs is checked with `e2e`.
 */
const NameField = z.string({ message: 'is required' }).transform((v, ctx) => {
  if (ENVELOPE_SHAPE.test(v)) {
    if (v.length > envelopeMaxLength(LIMITS.roomName))
      ctx.addIssue({ code: 'custom', message: `is longer than an encrypted text of ${LIMITS.roomName} characters can be` });
    return v;
  }
  const plain = RoomName.safeParse(v);
  if (plain.success) return plain.data;
  for (const issue of plain.error.issues) ctx.addIssue({ code: 'custom', message: issue.message });
  return z.NEVER;
});

/**
 * An end-to-end encrypted text (an envelope): checked for shape and for a size that fits a text of at
 * most `maxChars` characters, never read. Plain text in an encrypted room is refused, not stored.
 */
const envelopeOf = (maxChars: number) =>
  z
    .string({ message: 'is required' })
    .max(envelopeMaxLength(maxChars), `is longer than an encrypted text of ${maxChars} characters can be`)
    .regex(ENVELOPE_SHAPE, 'must be encrypted in the browser: this room is end-to-end encrypted (e2e1.<nonce>.<ciphertext>)');
export const EncryptedContent = envelopeOf(LIMITS.content);
export const EncryptedRoomName = envelopeOf(LIMITS.roomName);

export const PostMessageSchema = z.object({ content: Content });
export const PostEncryptedSchema = z.object({ content: EncryptedContent });

export const HistoryQuery = z.object({
  limit: optionalInt(1, 1000),
  offset: optionalInt(0, 1_000_000),
  since: optionalInt(0, Number.MAX_SAFE_INTEGER),
});

// The owner's controls: bodies of their routes (JSON, or form fields) and their socket frames.
export const RequestId = z.string({ message: 'is required' }).regex(/^[A-Za-z0-9_-]{1,32}$/, 'is not a request id');
/** Seconds to add to a room (the service caps the end at MAX_EXPIRY_SECONDS from creation). */
const ExtendSeconds = wholeNumber(1, 30 * 86400);
export const UsernameBody = z.object({ username: Username });
export const extendSchema = (json: boolean) => z.object({ seconds: json ? ExtendSeconds : z.preprocess(formInt, ExtendSeconds) });
export const approvalSchema = (json: boolean) =>
  z.object({
    approve_joins: z.preprocess((v) => (v === undefined ? null : v), json ? z.boolean({ message: 'must be true or false' }) : FormBool),
  });

/** Frames a client may send on either socket. htmx adds `headers`; unknown keys are ignored. */
export const ClientFrame = z.discriminatedUnion('type', [
  z.object({ type: z.literal('message'), content: Content }),
  z.object({ type: z.literal('typing') }),
  z.object({ type: z.literal('kick'), username: Username }),
  z.object({ type: z.literal('lock') }),
  z.object({ type: z.literal('unlock') }),
  // htmx sends a form's fields as strings: digits and on/off words are taken too.
  z.object({ type: z.literal('extend'), seconds: z.preprocess(formInt, ExtendSeconds) }),
  z.object({ type: z.literal('owner'), username: Username }),
  z.object({ type: z.literal('approve'), request_id: RequestId }),
  z.object({ type: z.literal('deny'), request_id: RequestId }),
  z.object({ type: z.literal('approval'), approve_joins: FormBool }),
]);
export type ClientFrame = z.infer<typeof ClientFrame>;

/** The frames of an end-to-end encrypted room: a message's content is an envelope, exactly (nothing trimmed). */
const EncryptedFrame = z.discriminatedUnion('type', [
  z.object({ type: z.literal('message'), content: EncryptedContent }),
  ...ClientFrame.options.filter((o) => o.shape.type.value !== 'message'),
]);

/**
 * ClientFrame.safeParse with a fast path for frames that are valid: the same rules as `Content`
 * (well-formed, trim, 1…max characters, no control characters) checked directly, with no zod work per frame.
 * Anything else goes to zod, which also words the error.
 */
export function parseClientFrame(json: unknown, e2e = false): { success: true; data: ClientFrame } | { success: false; error: z.ZodError } {
  if (e2e) return EncryptedFrame.safeParse(json) as { success: true; data: ClientFrame } | { success: false; error: z.ZodError };
  if (json !== null && typeof json === 'object') {
    const frame = json as { type?: unknown; content?: unknown };
    if (frame.type === 'message' && typeof frame.content === 'string') {
      const content = validContent(frame.content);
      if (content !== null) return { success: true, data: { type: 'message', content } };
    } else if (frame.type === 'typing') return { success: true, data: { type: 'typing' } };
  }
  return ClientFrame.safeParse(json);
}

/** `Content`'s rules checked directly: the trimmed content, or null when zod would refuse it. */
function validContent(raw: string): string | null {
  const content = raw.trim();
  return content.length >= 1 && content.length <= LIMITS.content && !CONTROL.test(content) && content.isWellFormed() ? content : null;
}

const MESSAGE_OPEN = '{"type":"message","content":"';
/** What a JSON string holds only escaped: a quote, a backslash, a control character. */
const NEEDS_ESCAPE = /["\\\u0000-\u001f]/;

/**
 * A message frame as API clients write it (`JSON.stringify({ type: 'message', content })`) whose
 * content has nothing escaped: its valid content, read without JSON.parse (an object and a string
 * less per message). Anything else, an invalid content included, is null and goes the general way,
 * which parses it and words any error.
 */
export function plainMessageContent(raw: string): string | null {
  if (!raw.startsWith(MESSAGE_OPEN) || !raw.endsWith('"}')) return null;
  const inner = raw.slice(MESSAGE_OPEN.length, -2);
  return NEEDS_ESCAPE.test(inner) ? null : validContent(inner);
}

/** Flattens a zod error into `{ field: message }` for error bodies and form pages. */
export function fieldErrors(error: z.ZodError): Record<string, string> {
  const out: Record<string, string> = {};
  for (const issue of error.issues) {
    const key = issue.path.join('.') || 'body';
    out[key] ??= issue.message;
  }
  return out;
}
