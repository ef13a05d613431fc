// Static files: our own from static/, and htmx straight out of node_modules (no CDN, no build step).
import { Hono } from 'hono';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { AppEnv } from './env.ts';

const root = resolve(import.meta.dir, '../..');
const STATIC_DIR = join(root, 'static');
const HTMX_DIR = join(root, 'node_modules/htmx.org/dist');

const VENDOR: Record<string, string> = {
  'htmx.min.js': join(HTMX_DIR, 'htmx.min.js'),
  'hx-ws.min.js': join(HTMX_DIR, 'ext/hx-ws.min.js'),
};

/** The file behind a script URL of ours (/static/… or /vendor/…), or null. */
function scriptPath(url: string): string | null {
  const [, dir, name] = url.match(/^\/(static|vendor)\/([A-Za-z0-9_.-]+)$/) ?? [];
  if (!dir || !name || name.startsWith('.')) return null;
  return dir === 'vendor' ? (VENDOR[name] ?? null) : join(STATIC_DIR, name);
}

const integrities = new Map<string, string>();
/** Subresource Integrity of a file as served (sha384), read once. */
export function fileIntegrity(path: string): string {
  let value = integrities.get(path);
  if (!value) {
    if (!existsSync(path)) throw new Error(`no file at ${path}`);
    value = `sha384-${createHash('sha384').update(readFileSync(path)).digest('base64')}`;
    integrities.set(path, value);
  }
  return value;
}

/**
 * Subresource Integrity for a script of ours (/static/… or /vendor/…): a page says which exact script
 * it runs, so a script altered on its way (or on a cache) is refused by the browser.
 */
export function integrity(url: string): string {
  const path = scriptPath(url);
  if (!path) throw new Error(`no script at ${url}`);
  return fileIntegrity(path);
}

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
