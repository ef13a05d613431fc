// Entry point: read the config, start the server, stop cleanly on SIGTERM/SIGINT.
import { ConfigError, loadConfig } from './config.ts';
import { createLogger } from './log.ts';
import { startServer } from './server.ts';

let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig();
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(err.message);
    process.exit(2);
  }
  throw err;
}

const log = createLogger(config.LOG_LEVEL);
const running = await startServer(config, log);
log.info('mayfly listening', { url: running.url, storage: running.deps.store.kind, broker: running.deps.broker.kind });

let exiting = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (exiting) return;
    exiting = true;
    log.info('shutting down', { signal });
    const force = setTimeout(() => process.exit(1), 5000);
    running.stop().then(
      () => {
        clearTimeout(force);
        process.exit(0);
      },
      () => process.exit(1),
    );
  });
}
