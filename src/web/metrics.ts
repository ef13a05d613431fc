// GET /metrics: Prometheus text format; off with METRICS=off, or behind METRICS_TOKEN as a Bearer token.
import { Hono } from 'hono';
import type { AppEnv } from './env.ts';
import { bearerToken, jsonError } from './http.ts';

export function metricsRoutes() {
  const app = new Hono<AppEnv>();
  app.get('/metrics', async (c) => {
    const { config, metrics } = c.var.deps;
    if (config.METRICS === 'off') return jsonError(c, 404, 'not_found', 'No such resource.');
    if (config.METRICS_TOKEN && !timingSafeEqual(bearerToken(c) ?? '', config.METRICS_TOKEN)) {
      c.header('WWW-Authenticate', 'Bearer');
      return jsonError(c, 401, 'unauthorized', 'Metrics need the METRICS_TOKEN as a Bearer token.');
    }
    c.header('Cache-Control', 'no-store');
    return c.body(await metrics.text(), 200, { 'Content-Type': metrics.contentType });
  });
  return app;
}

/** Compares without leaking, by timing, how much of the token was right. */
function timingSafeEqual(a: string, b: string): boolean {
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  let diff = x.length ^ y.length;
  for (let i = 0; i < y.length; i++) diff |= (x[i] ?? 0) ^ y[i]!;
  return diff === 0;
}
