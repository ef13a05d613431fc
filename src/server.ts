// Starts mayfly: dependencies, the Hono app and Bun.serve with the socket handlers; stops it gracefully.
import type { Server } from 'bun';
import { createApp } from './app.tsx';
import type { Config } from './config.ts';
import { createDeps, type Deps } from './deps.ts';
import type { Logger } from './log.ts';
import type { SocketData } from './realtime/hub.ts';
import { socketHandlers } from './web/sockets.ts';

export type Running = {
  server: Server<SocketData>;
  deps: Deps;
  url: string;
  /** Stops accepting, closes sockets with 1012 so clients reconnect elsewhere, then closes storage. */
  stop(): Promise<void>;
};

export async function startServer(config: Config, log: Logger): Promise<Running> {
  const deps = await createDeps(config, log);
  await deps.rooms.start();
  const app = createApp(deps);
  const server = Bun.serve<SocketData>({
    port: config.PORT,
    hostname: config.HOST,
    fetch: (req, srv) => app.fetch(req, srv),
    websocket: socketHandlers(deps),
    // No cut-off of Bun's own (its 413 is bare): the app's bodyLimit answers every larger body with the
    // JSON error, by Content-Length before reading, or as soon as a streamed body passes MAX_BODY_BYTES.
    maxRequestBodySize: Number.MAX_SAFE_INTEGER,
  });
  deps.hub.bind(server);
  let stopping: Promise<void> | null = null;
  return {
    server,
    deps,
    url: `http://${config.HOST === '0.0.0.0' ? '127.0.0.1' : config.HOST}:${server.port}`,
    stop() {
      stopping ??= (async () => {
        deps.rooms.stop();
        deps.hub.closeAll();
        await server.stop();
        await deps.close();
      })();
      return stopping;
    },
  };
}
