// HTTP helpers shared by the routes: content negotiation, error bodies, origins, cookies and tokens.
import type { Context } from 'hono';
import { getCookie, setCookie, deleteCookie } from 'hono/cookie';
import type { z } from 'zod';
import { retryAfterSeconds } from '../rooms/limits.ts';
import { fieldErrors } from '../rooms/schema.ts';
import type { AppEnv } from './env.ts';

/** JSON for API clients (JSON body, a Bearer token, or Accept: application/json); HTML for browsers. */
export function wantsJson(c: Context): boolean {
  const type = c.req.header('content-type') ?? '';
  if (type.includes('application/json')) return true;
  if (type.includes('form')) return false;
  // Browsers never send a Bearer token: whoever does is an API client (curl -X POST …/leave).
  if (bearerToken(c) !== null) return true;
  const accept = c.req.header('accept') ?? '';
  return accept.includes('application/json') && !accept.includes('text/html');
}

export type ErrorBody = { error: { code: string; message: string; fields?: Record<string, string> } };

export function jsonError(c: Context, status: number, code: string, message: string, fields?: Record<string, string>) {
  const body: ErrorBody = { error: { code, message, ...(fields ? { fields } : {}) } };
  c.set('refusal', code);
  return c.json(body, status as 400);
}

/** Retry-After on a 429 or 503 refusal: a limit's own wait, else a minute (429) or a second (503). */
export function setRetryAfter(c: Context, err: { status: number; retryAfterMs?: number }) {
  if (err.status !== 429 && err.status !== 503) return;
  c.header('Retry-After', String(retryAfterSeconds(err.retryAfterMs ?? (err.status === 429 ? 60_000 : 1000))));
}

export function validationError(c: Context, error: z.ZodError) {
  return jsonError(c, 400, 'validation_failed', 'Some fields are invalid.', fieldErrors(error));
}

/** The request body as an object: JSON for API clients, form fields for browsers; null when unreadable. */
export async function readBody(c: Context): Promise<Record<string, unknown> | null> {
  const type = c.req.header('content-type') ?? '';
  try {
    if (type.includes('application/json')) {
      const body = await c.req.json();
      return body && typeof body === 'object' && !Array.isArray(body) ? body : null;
    }
    if (type.includes('application/x-www-form-urlencoded') || type.includes('multipart/form-data')) {
      const form = await c.req.parseBody();
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(form)) if (typeof v === 'string') out[k] = v;
      return out;
    }
    return {};
  } catch {
    return null;
  }
}

/** The site's origin: PUBLIC_URL when set, else what the request was addressed to (behind a trusted proxy, the forwarded Host and port). */
export function siteOrigin(c: Context<AppEnv>): string {
  const configured = c.var.deps.config.PUBLIC_URL;
  if (configured) return configured;
  const url = new URL(c.req.url);
  const proto = c.var.deps.config.TRUST_PROXY
    ? (c.req.header('x-forwarded-proto') ?? url.protocol.replace(':', ''))
    : url.protocol.replace(':', '');
  const host = (c.var.deps.config.TRUST_PROXY ? c.req.header('x-forwarded-host') : undefined) ?? c.req.header('host') ?? url.host;
  return `${proto}://${host}`;
}

export const wsOrigin = (origin: string) => origin.replace(/^http/, 'ws');

export function clientAddress(c: Context<AppEnv>): string {
  if (c.var.deps.config.TRUST_PROXY) {
    const fwd = c.req.header('x-forwarded-for')?.split(',')[0]?.trim();
    if (fwd) return fwd;
  }
  const server = c.env as { requestIP?: (r: Request) => { address: string } | null } | undefined;
  return server?.requestIP?.(c.req.raw)?.address ?? 'unknown';
}

export const MEMBER_COOKIE = 'mayfly_member';

/** The token of an `Authorization: Bearer …` header, or null. */
export function bearerToken(c: Context): string | null {
  const auth = c.req.header('authorization');
  return auth?.toLowerCase().startsWith('bearer ') ? auth.slice(7).trim() || null : null;
}

/** The member token of a room: Bearer header, ?token= (sockets), or the room's cookie. */
export function memberToken(c: Context, opts: { query?: boolean } = {}): string | null {
  const bearer = bearerToken(c);
  if (bearer) return bearer;
  if (opts.query) {
    const t = c.req.query('token');
    if (t) return t;
  }
  return getCookie(c, MEMBER_COOKIE) ?? null;
}

export function setMemberCookie(c: Context<AppEnv>, roomId: string, token: string, expiresAt: number) {
  setCookie(c, MEMBER_COOKIE, token, {
    path: `/rooms/${roomId}`,
    httpOnly: true,
    sameSite: 'Lax',
    secure: siteOrigin(c).startsWith('https:'),
    maxAge: Math.max(1, Math.ceil((expiresAt - Date.now()) / 1000)),
  });
}

export function clearMemberCookie(c: Context, roomId: string) {
  deleteCookie(c, MEMBER_COOKIE, { path: `/rooms/${roomId}` });
}
