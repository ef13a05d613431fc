// Static files: our own from static/, and htmx straight out of node_modules (no CDN, no build step).
import { Hono } from 'hono';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { AppEnv } from './env.ts';

const root = resolve(import.meta.dir, '../..');
const STATIC_DIR = join(root, 'static');
const HTMX_DIR = join(root, 'node_modules/htmx.org/dist');

const VENDOR: Record<string, string> = {
  'htmx.min.js': join(HTMX_DIR, 'htmx.min.js'),
  'hx-ws.min.js': join(HTMX_DIR, 'ext/hx-ws.min.js'),
};

function fileResponse(path: string, cache: string): Response | null {
  if (!existsSync(path)) return null;
  return new Response(Bun.file(path), { headers: { 'Cache-Control': cache } });
}

export function assetRoutes() {
  const app = new Hono<AppEnv>();
  app.get('/static/:name{[A-Za-z0-9_.-]+}', (c) => {
    const name = c.req.param('name');
    if (name.startsWith('.')) return c.notFound();
    return fileResponse(join(STATIC_DIR, name), 'public, max-age=300') ?? c.notFound();
  });
  app.get('/vendor/:name', (c) => {
    const path = VENDOR[c.req.param('name')];
    return (path && fileResponse(path, 'public, max-age=86400')) || c.notFound();
  });
  return app;
}
