// HTTP calls of the terminal client (room info, login, join, ask to join, leave) and readable messages for their failures.
import { clean } from './sanitize.ts';
import { NO_SUCH_ROOM } from './format.ts';

/** A failure the client reports on stderr before exiting with `exitCode`. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

export type ApiReply = { status: number; body: unknown };

type Call = { json?: unknown; token?: string; timeoutMs?: number };

/** One JSON request; an unreachable server becomes a CliError that says so. */
export async function call(server: string, method: string, path: string, opts: Call = {}): Promise<ApiReply> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (opts.json !== undefined) headers['content-type'] = 'application/json';
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  let res: Response;
  try {
    res = await fetch(`${server}${path}`, {
      method,
      headers,
      body: opts.json === undefined ? undefined : JSON.stringify(opts.json),
      redirect: 'manual',
      signal: AbortSignal.timeout(opts.timeoutMs ?? 15000),
    });
  } catch (err) {
    const code = (err as { code?: unknown } | null)?.code;
    const why =
      err instanceof Error && err.name === 'TimeoutError'
        ? 'no answer in time'
        : typeof code === 'string'
          ? code
          : err instanceof Error
            ? err.message
            : String(err);
    throw new CliError(`Cannot reach the mayfly server at ${clean(server)} (${clean(why)}). Is it running, and is the address right?`);
  }
  const text = await res.text().catch(() => '');
  let body: unknown = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  return { status: res.status, body };
}

export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The `{error:{code,message,fields}}` of an error body, sanitized; empty strings when absent. */
export function errorOf(body: unknown): { code: string; message: string } {
  const error = isObject(body) && isObject(body.error) ? body.error : {};
  const code = typeof error.code === 'string' ? error.code : '';
  let message = typeof error.message === 'string' ? clean(error.message) : '';
  if (isObject(error.fields)) {
    const fields = Object.entries(error.fields).map(([k, v]) => `${clean(k)} ${clean(v)}`);
    if (fields.length) message = `${message ? `${message} ` : ''}(${fields.join('; ')})`;
  }
  return { code, message };
}

export type RoomInfo = {
  exists: boolean;
  passwordProtected: boolean;
  name?: string;
  users?: string[];
  expiresAt?: string;
  locked?: boolean;
  approveJoins?: boolean;
  /** End-to-end encrypted: `name` and every message's content are envelopes (shown to anyone, joined or not). */
  e2e?: boolean;
};

/** GET /rooms/{id}: whether the room exists and needs a password; its name, users and settings once joined. */
export async function roomInfo(server: string, roomId: string, token?: string): Promise<RoomInfo | null> {
  const reply = await call(server, 'GET', `/rooms/${roomId}`, { token });
  if (reply.status === 404) return { exists: false, passwordProtected: false };
  if (reply.status !== 200 || !isObject(reply.body)) return null;
  const b = reply.body;
  return {
    exists: true,
    passwordProtected: b.password_protected === true,
    ...(typeof b.name === 'string' ? { name: b.name } : {}),
    ...(Array.isArray(b.users) ? { users: b.users.map(String) } : {}),
    ...(typeof b.expires_at === 'string' ? { expiresAt: b.expires_at } : {}),
    ...(typeof b.locked === 'boolean' ? { locked: b.locked } : {}),
    ...(typeof b.approve_joins === 'boolean' ? { approveJoins: b.approve_joins } : {}),
    ...(typeof b.e2e === 'boolean' ? { e2e: b.e2e } : {}),
  };
}

/** POST /login against the accounts contract; answers the account token. */
export async function login(server: string, username: string, password: string): Promise<string> {
  const reply = await call(server, 'POST', '/login', { json: { username, password } });
  if (reply.status === 404 || reply.status === 405) throw new CliError('This server has no accounts.');
  if (reply.status === 401) throw new CliError('Wrong account name or password.');
  if (reply.status === 429) throw new CliError(`Too many sign-in attempts; wait a minute and try again.`);
  const token = isObject(reply.body) ? reply.body.token : undefined;
  if (reply.status !== 200 || typeof token !== 'string' || !token) {
    throw new CliError(`Signing in failed (HTTP ${reply.status}). ${errorOf(reply.body).message}`.trim());
  }
  return token;
}

export type Joined = { token: string; username: string; memberId: string };

/** A request to join a room that asks its owner (202): its token admits nothing until the owner approves. */
export type Asking = { token: string; username: string; requestId: string; expiresAt?: string };

export type JoinFailure = { status: number; code: string; message: string };

export type JoinResult =
  | { kind: 'joined'; joined: Joined }
  | { kind: 'asking'; asking: Asking }
  | { kind: 'refused'; failure: JoinFailure };

/** POST /rooms/{id}/join: the member token, a request waiting for the owner, or the refusal with its status and error code. */
export async function join(
  server: string,
  roomId: string,
  input: { username: string; password?: string; accountToken?: string },
): Promise<JoinResult> {
  const json = { username: input.username, ...(input.password !== undefined ? { password: input.password } : {}) };
  const reply = await call(server, 'POST', `/rooms/${roomId}/join`, { json, token: input.accountToken });
  const b = reply.body;
  const username = isObject(b) && typeof b.username === 'string' ? b.username : input.username;
  if (reply.status === 200 && isObject(b) && typeof b.token === 'string') {
    return { kind: 'joined', joined: { token: b.token, username, memberId: typeof b.member_id === 'string' ? b.member_id : '' } };
  }
  if (reply.status === 202 && isObject(b) && typeof b.token === 'string' && typeof b.request_id === 'string') {
    return {
      kind: 'asking',
      asking: {
        token: b.token,
        username,
        requestId: b.request_id,
        ...(typeof b.expires_at === 'string' ? { expiresAt: b.expires_at } : {}),
      },
    };
  }
  return { kind: 'refused', failure: { status: reply.status, ...errorOf(b) } };
}

export type RequestState = 'pending' | 'approved' | 'denied' | 'expired';

/**
 * GET /rooms/{id}/requests/{request_id} with the asker's token (the status URL of a 202): where the
 * request stands, or the refusal (the room gone: `not_found`).
 */
export async function requestState(
  server: string,
  roomId: string,
  asking: Asking,
): Promise<{ ok: true; status: RequestState } | { ok: false; failure: JoinFailure }> {
  const reply = await call(server, 'GET', `/rooms/${roomId}/requests/${encodeURIComponent(asking.requestId)}`, { token: asking.token });
  const status = isObject(reply.body) ? reply.body.status : undefined;
  if (reply.status === 200 && (status === 'pending' || status === 'approved' || status === 'denied' || status === 'expired')) {
    return { ok: true, status };
  }
  return { ok: false, failure: { status: reply.status, ...errorOf(reply.body) } };
}

/** The result of one of the owner's calls: the answer's body, or the server's refusal in words. */
export type OwnerReply = { ok: true; body: Record<string, unknown> } | { ok: false; status: number; code: string; message: string };

/**
 * One owner action (`/rooms/{id}` + `path`) with `token` as Bearer: the member token of the owner (the
 * server re-checks ownership every time) or the room's owner_token. POSTs always carry a JSON body.
 */
export async function ownerCall(
  server: string,
  roomId: string,
  token: string,
  method: 'GET' | 'POST',
  path: string,
  json?: Record<string, unknown>,
): Promise<OwnerReply> {
  const reply = await call(server, method, `/rooms/${roomId}${path}`, { token, ...(method === 'POST' ? { json: json ?? {} } : {}) });
  if (reply.status >= 200 && reply.status < 300 && isObject(reply.body)) return { ok: true, body: reply.body };
  const { code, message } = errorOf(reply.body);
  return { ok: false, status: reply.status, code, message: message || `The server refused it (HTTP ${reply.status}).` };
}

/** A sentence for a refused join. */
export function describeJoinFailure(f: JoinFailure, ctx: { username: string; hadPassword: boolean }): string {
  const name = clean(ctx.username);
  switch (f.code || String(f.status)) {
    case 'not_found':
    case '404':
      return NO_SUCH_ROOM;
    case 'wrong_password':
      return ctx.hadPassword
        ? 'Wrong password for this room.'
        : 'This room is password protected: give the password with --password PW (or set MAYFLY_ROOM_PASSWORD).';
    case 'room_full':
      return 'The room is full; try again when someone leaves.';
    case 'room_locked':
      return 'The room is locked: the owner is not letting anyone new in.';
    case 'name_banned':
      return `The owner removed "${name}" from this room; that name cannot join it again.`;
    case 'too_many_requests':
      return 'Too many people are waiting for the owner to let them in; try again later.';
    case 'name_taken':
      return `The name "${name}" is already taken in this room; pick another with --name.`;
    case 'name_reserved':
      return `The name "${name}" belongs to a registered account; pick another with --name, or sign in with --login.`;
    case 'password_guessing':
      return 'Too many wrong passwords for this room; wait a minute and try again.';
    case 'rate_limited':
    case '429':
      return 'Too many joins from your address; wait a minute and try again.';
    case 'validation_failed':
      return `The server refused the join: ${f.message || 'some fields are invalid.'}`;
    default:
      return `The server refused the join (HTTP ${f.status})${f.message ? `: ${f.message}` : '.'}`;
  }
}

/** POST /rooms/{id}/leave with the member token: gives up the seat; failures are ignored (we are leaving anyway). */
export async function leave(server: string, roomId: string, token: string): Promise<number | null> {
  try {
    // Sent as JSON: a bodiless POST looks like a form post (a redirect, or a CSRF refusal on older servers).
    return (await call(server, 'POST', `/rooms/${roomId}/leave`, { json: {}, token, timeoutMs: 3000 })).status;
  } catch {
    return null;
  }
}
