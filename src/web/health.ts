// Liveness and readiness: /healthz answers while the process runs, /readyz only while storage answers.
import { Hono } from 'hono';
import type { AppEnv } from './env.ts';

export function healthRoutes() {
  const app = new Hono<AppEnv>();
  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', async (c) => {
    const { store, hub, broker } = c.var.deps;
    try {
      await Promise.race([store.ping(), Bun.sleep(2000).then(() => Promise.reject(new Error('timeout')))]);
      return c.json({ status: 'ready', storage: store.kind, broker: broker.kind, sockets: hub.socketCount() });
    } catch (err) {
      return c.json({ status: 'unavailable', storage: store.kind, error: err instanceof Error ? err.message : 'unreachable' }, 503);
    }
  });
  return app;
}
