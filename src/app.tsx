// The Hono app: middleware (request ids, security headers, CSRF, body limits), then every route.
import { type Context, Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { csrf } from 'hono/csrf';
import { HTTPException } from 'hono/http-exception';
import { secureHeaders } from 'hono/secure-headers';
import { nanoid } from 'nanoid';
import type { Deps } from './deps.ts';
import {
  STORAGE_RETRY_AFTER_SECONDS,
  StorageBusyError,
  StorageError,
  StorageTimeoutError,
  storageFailureMessage,
} from './storage/store.ts';
import { chatterboxRoutes } from './dialects/chatterbox.ts';
import { disposableRoutes } from './dialects/disposable.ts';
import { accountRoutes, loadAccount } from './web/accounts.tsx';
import { assetRoutes } from './web/assets.ts';
import type { AppEnv } from './web/env.ts';
import { healthRoutes } from './web/health.ts';
import { jsonError, siteOrigin, wantsJson } from './web/http.ts';
import { metricsRoutes } from './web/metrics.ts';
import { moderationRoutes } from './web/moderation.tsx';
import { openapiRoutes } from './web/openapi.ts';
import { roomRoutes } from './web/rooms.tsx';
import { socketRoutes } from './web/sockets.ts';
import { Layout } from './views/layout.tsx';

export function createApp(deps: Deps) {
  const app = new Hono<AppEnv>();
  const debug = deps.config.LOG_LEVEL === 'debug';

  app.use(async (c, next) => {
    c.set('deps', deps);
    c.set('requestId', c.req.header('x-request-id')?.slice(0, 64) || nanoid(12));
    const started = performance.now();
    await next();
    c.header('X-Request-Id', c.var.requestId);
    // Refusals by code (a page's refusal by its status); never a room, a name or any content.
    if (c.res.status >= 400) deps.metrics.refused(c.var.refusal ?? `http_${c.res.status}`);
    if (debug) {
      deps.log.debug('request', {
        request_id: c.var.requestId,
        method: c.req.method,
        path: c.req.path.replace(/\/rooms\/[^/]+/, '/rooms/:id'),
        status: c.res.status,
        ms: Math.round(performance.now() - started),
      });
    }
  });

  app.use(
    secureHeaders({
      contentSecurityPolicy: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        fontSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
      referrerPolicy: 'same-origin',
      crossOriginResourcePolicy: 'same-origin',
      xFrameOptions: 'DENY',
    }),
  );

  // Browser form posts must come from this site. Requests carrying an Authorization header are
  // exempt: a browser cannot attach one cross-site without a CORS preflight, which we never allow.
  const sameSite = csrf({ origin: (origin, c) => origin === siteOrigin(c as never) });
  app.use((c, next) => (c.req.header('authorization') ? next() : sameSite(c, next)));

  app.use(
    bodyLimit({
      maxSize: deps.config.MAX_BODY_BYTES,
      onError: (c) => jsonError(c, 413, 'body_too_large', `The request body is larger than ${deps.config.MAX_BODY_BYTES} bytes.`),
    }),
  );

  app.route('/', assetRoutes());
  app.route('/', healthRoutes());
  app.route('/', socketRoutes());
  app.route('/', openapiRoutes());
  app.route('/', metricsRoutes());
  // Only pages and the routes after this need the signed-in account (two storage reads).
  app.use(loadAccount);
  // Every page and answer from here on may show a room or an account: none stays in the browser's
  // cache, so Back after Leave or Destroy (or after logging out) shows nothing of it.
  app.use(async (c, next) => {
    await next();
    c.header('Cache-Control', 'no-store');
  });
  app.route('/', accountRoutes());
  // The seed systems' dialects (docs/compatibility.md): before mayfly's room routes, whose URLs some share.
  app.route('/', disposableRoutes());
  app.route('/', chatterboxRoutes());
  app.route('/', roomRoutes());
  app.route('/', moderationRoutes());

  /** An error as JSON for programs, or as a small page for browsers (which ask for text/html). */
  const failure = (c: Context<AppEnv>, status: number, code: string, title: string, message: string) => {
    const browser = !wantsJson(c) && (status === 404 || (c.req.header('accept') ?? '').includes('text/html'));
    if (!browser) return jsonError(c, status, code, message);
    return c.html(
      <Layout title={title}>
        <main class="narrow">
          <section class="card">
            <h1>{title}</h1>
            <p>{message}</p>
            <p>
              <a href="/">Back to the lobby</a>
            </p>
          </section>
        </main>
      </Layout>,
      status as 500,
    );
  };

  app.notFound((c) => failure(c, 404, 'not_found', 'Nothing here', 'No such resource.'));

  app.onError((err, c) => {
    if (err instanceof HTTPException) {
      if (err.status === 403) return jsonError(c, 403, 'forbidden_origin', 'Cross-site form posts are refused.');
      return err.getResponse();
    }
    if (err instanceof StorageBusyError) {
      c.header('Retry-After', '1');
      return failure(
        c,
        503,
        'storage_busy',
        'Busy',
        'Too many messages are waiting for storage; this one was not saved. Try again in a moment.',
      );
    }
    if (err instanceof StorageError) {
      deps.log.warn(err instanceof StorageTimeoutError ? 'storage did not answer in time' : 'storage unavailable', {
        request_id: c.var.requestId,
        error: err.message,
      });
      c.header('Retry-After', String(STORAGE_RETRY_AFTER_SECONDS));
      return failure(c, 503, 'storage_unavailable', 'Try again shortly', storageFailureMessage(err));
    }
    deps.log.error('unhandled error', { request_id: c.var.requestId, error: err.name, detail: err.message.slice(0, 300) });
    return failure(c, 500, 'internal_error', 'Something went wrong', 'Something went wrong on our side.');
  });

  return app;
}
