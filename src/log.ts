// Structured logs: one JSON object per line, quiet by default, never message content or passwords.
type Level = 'debug' | 'info' | 'warn' | 'error' | 'silent';
const rank: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 };

export type Fields = Record<string, string | number | boolean | null | undefined>;

export type Logger = {
  debug(msg: string, fields?: Fields): void;
  info(msg: string, fields?: Fields): void;
  warn(msg: string, fields?: Fields): void;
  error(msg: string, fields?: Fields): void;
};

/** A warning or error repeated within this window is counted, not written (no log storms under load). */
const REPEAT_WINDOW_MS = 1000;

export function createLogger(level: Level = 'info', write: (line: string) => void = (l) => console.log(l)): Logger {
  const min = rank[level];
  const recent = new Map<string, { at: number; skipped: number }>();
  const emit = (lvl: Exclude<Level, 'silent'>) => (msg: string, fields?: Fields) => {
    if (rank[lvl] < min) return;
    let repeated: number | undefined;
    if (rank[lvl] >= rank.warn) {
      const now = Date.now();
      const r = recent.get(msg);
      if (r && now - r.at < REPEAT_WINDOW_MS) {
        r.skipped++;
        return;
      }
      if (r?.skipped) repeated = r.skipped;
      if (recent.size > 1000) recent.clear();
      recent.set(msg, { at: now, skipped: 0 });
    }
    write(JSON.stringify({ time: new Date().toISOString(), level: lvl, msg, ...fields, ...(repeated ? { repeated } : {}) }));
  };
  return { debug: emit('debug'), info: emit('info'), warn: emit('warn'), error: emit('error') };
}
