// Account routes, for browsers (forms, an HttpOnly cookie) and API clients (JSON, a bearer token).
import { Hono, type Context, type Next } from 'hono';
import type { Child } from 'hono/jsx';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { AccountError, LoginSchema, RegisterSchema, SESSION_MS } from '../accounts/service.ts';
import { fieldErrors } from '../rooms/schema.ts';
import { LoginPage, MePage, RegisterPage } from '../views/account.tsx';
import { Layout } from '../views/layout.tsx';
import type { AppEnv } from './env.ts';
import { bearerToken, clientAddress, jsonError, readBody, setRetryAfter, siteOrigin, validationError, wantsJson } from './http.ts';

type Ctx = Context<AppEnv>;

export const SESSION_COOKIE = 'mayfly_session';

/** The account token of a request: the session cookie, or a bearer token where it names an account. */
export function accountToken(c: Ctx): string | null {
  return bearerToken(c) ?? getCookie(c, SESSION_COOKIE) ?? null;
}

/** The signed-in account: a bearer token's, else the session cookie's (read once, by loadAccount). */
export async function currentAccount(c: Ctx): Promise<string | null> {
  const bearer = bearerToken(c);
  return bearer ? c.var.deps.accounts.whoami(bearer) : (c.var.account ?? null);
}

/** Puts the signed-in account name (from the session cookie) on c.var.account for pages. */
export async function loadAccount(c: Ctx, next: Next) {
  const cookie = getCookie(c, SESSION_COOKIE);
  c.set('account', cookie ? await c.var.deps.accounts.whoami(cookie) : null);
  await next();
}

const values = (body: Record<string, unknown> | null) => {
  const out: Record<string, string> = {};
  if (body && typeof body.username === 'string') out.username = body.username;
  return out;
};

export function accountRoutes() {
  const app = new Hono<AppEnv>();

  const page = (c: Ctx, title: string, body: Child, status = 200) =>
    c.html(
      <Layout title={title} account={c.var.account ? { username: c.var.account } : null}>
        {body}
      </Layout>,
      status as 200,
    );

  app.get('/register', (c) => page(c, 'Register', <RegisterPage />));
  app.get('/login', (c) =>
    page(c, 'Log in', <LoginPage notice={c.req.query('registered') ? 'Account created. Log in to use it.' : null} />),
  );

  app.post('/register', async (c) => {
    const json = wantsJson(c);
    const body = await readBody(c);
    if (body === null) return jsonError(c, 400, 'invalid_body', 'The body is not valid JSON or form data.');
    const parsed = RegisterSchema.safeParse(body);
    if (!parsed.success) {
      return json
        ? validationError(c, parsed.error)
        : page(c, 'Register', <RegisterPage values={values(body)} errors={fieldErrors(parsed.error)} />, 400);
    }
    try {
      await c.var.deps.accounts.register(parsed.data.username, parsed.data.password, clientAddress(c));
    } catch (err) {
      if (!(err instanceof AccountError)) throw err;
      setRetryAfter(c, err);
      return json
        ? jsonError(c, err.status, err.code, err.message)
        : page(c, 'Register', <RegisterPage values={values(body)} errors={{ form: err.message }} />, err.status);
    }
    c.var.deps.log.info('account registered');
    return json ? c.json({ username: parsed.data.username }, 201) : c.redirect('/login?registered=1', 303);
  });

  app.post('/login', async (c) => {
    const json = wantsJson(c);
    const body = await readBody(c);
    if (body === null) return jsonError(c, 400, 'invalid_body', 'The body is not valid JSON or form data.');
    const parsed = LoginSchema.safeParse(body);
    if (!parsed.success) {
      return json
        ? validationError(c, parsed.error)
        : page(c, 'Log in', <LoginPage values={values(body)} errors={fieldErrors(parsed.error)} />, 400);
    }
    try {
      const { token, username } = await c.var.deps.accounts.login(parsed.data.username, parsed.data.password, clientAddress(c));
      if (json) return c.json({ token, username });
      setCookie(c, SESSION_COOKIE, token, {
        path: '/',
        httpOnly: true,
        sameSite: 'Lax',
        secure: siteOrigin(c).startsWith('https:'),
        maxAge: SESSION_MS / 1000,
      });
      return c.redirect('/', 303);
    } catch (err) {
      if (!(err instanceof AccountError)) throw err;
      setRetryAfter(c, err);
      return json
        ? jsonError(c, err.status, err.code, err.message)
        : page(c, 'Log in', <LoginPage values={values(body)} errors={{ form: err.message }} />, err.status);
    }
  });

  app.post('/logout', async (c) => {
    const token = accountToken(c);
    if (token) await c.var.deps.accounts.logout(token);
    deleteCookie(c, SESSION_COOKIE, { path: '/' });
    return wantsJson(c) || c.req.header('authorization') ? c.body(null, 204) : c.redirect('/', 303);
  });

  app.get('/me', async (c) => {
    const username = await currentAccount(c);
    if (!username) return wantsJson(c) ? jsonError(c, 401, 'unauthorized', 'Not logged in.') : c.redirect('/login', 303);
    return wantsJson(c) ? c.json({ username }) : page(c, username, <MePage username={username} />);
  });

  const deleteMe = async (c: Ctx) => {
    const username = await currentAccount(c);
    if (!username) return jsonError(c, 401, 'unauthorized', 'Not logged in.');
    await c.var.deps.accounts.deleteAccount(username);
    deleteCookie(c, SESSION_COOKIE, { path: '/' });
    c.var.deps.log.info('account deleted');
    return c.req.method === 'DELETE' || wantsJson(c) ? c.body(null, 204) : c.redirect('/', 303);
  };
  app.delete('/me', deleteMe);
  app.post('/me/delete', deleteMe);

  return app;
}
