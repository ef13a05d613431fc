// The typed Hono environment: what every handler can reach through c.var.
import type { Server } from 'bun';
import type { Deps } from '../deps.ts';
import type { SocketData } from '../realtime/hub.ts';

export type AppEnv = {
  Bindings: Server<SocketData>;
  Variables: {
    deps: Deps;
    requestId: string;
    /** The signed-in account's name, for pages. */
    account?: string | null;
    /** The error code of a refusal sent (metrics count refusals by it). */
    refusal?: string;
  };
};
