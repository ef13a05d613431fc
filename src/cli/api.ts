// HTTP calls of the terminal client (room info, login, join, leave) and readable messages for their failures.
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

export type RoomInfo = { exists: boolean; passwordProtected: boolean; name?: string; users?: string[]; expiresAt?: string };

/** GET /rooms/{id}: whether the room exists and needs a password; its name and users once joined. */
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

export type JoinFailure = { status: number; code: string; message: string };

/** POST /rooms/{id}/join: the member token, or the refusal with its status and error code. */
export async function join(
  server: string,
  roomId: string,
  input: { username: string; password?: string; accountToken?: string },
): Promise<{ ok: true; joined: Joined } | { ok: false; failure: JoinFailure }> {
  const json = { username: input.username, ...(input.password !== undefined ? { password: input.password } : {}) };
  const reply = await call(server, 'POST', `/rooms/${roomId}/join`, { json, token: input.accountToken });
  const b = reply.body;
  if (reply.status === 200 && isObject(b) && typeof b.token === 'string') {
    return {
      ok: true,
      joined: {
        token: b.token,
        username: typeof b.username === 'string' ? b.username : input.username,
        memberId: typeof b.member_id === 'string' ? b.member_id : '',
      },
    };
  }
  return { ok: false, failure: { status: reply.status, ...errorOf(b) } };
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
