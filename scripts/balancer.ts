#!/usr/bin/env bun
// A small WebSocket-aware load balancer for running mayfly's cluster on one machine without Docker
// (what nginx does in docker-compose.yml): round-robin over healthy upstreams, HTTP and WebSocket.
// Usage: UPSTREAMS=http://127.0.0.1:3001,http://127.0.0.1:3002 PORT=8080 bun scripts/balancer.ts

const upstreams = (process.env.UPSTREAMS ?? '')
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean);
if (upstreams.length === 0) {
  console.error('UPSTREAMS must list at least one http://host:port');
  process.exit(2);
}
const healthy = new Set(upstreams);
let turn = 0;

function pick(): string | null {
  const live = upstreams.filter((u) => healthy.has(u));
  if (live.length === 0) return null;
  return live[turn++ % live.length]!;
}

// Health checks every second, like nginx's passive checks plus docker's healthcheck.
setInterval(() => {
  for (const u of upstreams) {
    fetch(`${u}/healthz`, { signal: AbortSignal.timeout(800) })
      .then((r) => (r.ok ? healthy.add(u) : healthy.delete(u)))
      .catch(() => healthy.delete(u));
  }
}, 1000);

type Pipe = { upstream: WebSocket | null; queue: Array<string | Uint8Array>; target: string; headers: Record<string, string> };

const FORWARDED = ['cookie', 'authorization', 'origin', 'user-agent'];

const server = Bun.serve<Pipe>({
  port: Number(process.env.PORT ?? 8080),
  hostname: process.env.HOST ?? '127.0.0.1',
  async fetch(req, srv) {
    const url = new URL(req.url);
    const client = srv.requestIP(req)?.address ?? '';
    const upstream = pick();
    if (!upstream) return new Response('no healthy upstream', { status: 502 });
    if (req.headers.get('upgrade')?.toLowerCase() === 'websocket') {
      const headers: Record<string, string> = {
        'x-forwarded-for': client,
        'x-forwarded-proto': url.protocol.slice(0, -1),
        'x-forwarded-host': url.host,
      };
      for (const h of FORWARDED) {
        const v = req.headers.get(h);
        if (v) headers[h] = v;
      }
      const target = upstream.replace(/^http/, 'ws') + url.pathname + url.search;
      if (srv.upgrade(req, { data: { upstream: null, queue: [], target, headers } })) return undefined;
      return new Response('upgrade failed', { status: 400 });
    }
    const headers = new Headers(req.headers);
    headers.set('x-forwarded-for', client);
    headers.set('x-forwarded-proto', url.protocol.slice(0, -1));
    headers.set('x-forwarded-host', url.host);
    try {
      return await fetch(upstream + url.pathname + url.search, {
        method: req.method,
        headers,
        body: req.body,
        redirect: 'manual',
        // @ts-expect-error Bun supports streaming request bodies with duplex
        duplex: 'half',
      });
    } catch {
      healthy.delete(upstream);
      return new Response('upstream unavailable', { status: 502 });
    }
  },
  websocket: {
    open(ws) {
      const up = new WebSocket(ws.data.target, { headers: ws.data.headers } as unknown as string[]);
      ws.data.upstream = up;
      up.onopen = () => {
        for (const m of ws.data.queue.splice(0)) up.send(m);
      };
      up.onmessage = (e) => ws.send(typeof e.data === 'string' ? e.data : new Uint8Array(e.data as ArrayBuffer));
      // The upstream's close code passes through (4410 gone, 1012 restarting…), so clients act on it.
      up.onclose = (e) => ws.close(e.code === 1005 || e.code === 1006 ? 1012 : e.code, e.reason);
      up.onerror = () => {};
    },
    message(ws, msg) {
      const up = ws.data.upstream;
      if (up && up.readyState === WebSocket.OPEN) up.send(msg);
      else ws.data.queue.push(msg);
    },
    close(ws) {
      ws.data.upstream?.close();
    },
  },
});

console.log(JSON.stringify({ msg: 'balancer listening', port: server.port, upstreams }));
