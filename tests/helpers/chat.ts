// Test helper: the terminal client (src/cli/chat.ts) as a child process, with its output recorded and waits on it.
import { waitFor } from './server.ts';

const ROOT = new URL('../..', import.meta.url).pathname;

const children: Array<{ kill(signal?: number | NodeJS.Signals): void }> = [];

/** Kills every client started since the last call (afterEach). */
export function killChats(): void {
  for (const c of children.splice(0)) c.kill();
}

/** The line the client prints once it is connected and ready for input. */
export const READY = '/quit to leave';

export const count = (text: string, what: string) => text.split(what).length - 1;

/** Starts `bun src/cli/chat.ts ARGS` with stdin, stdout and stderr as pipes; no MAYFLY_* variable leaks in. */
export function spawnChat(args: string[], extraEnv: Record<string, string> = {}) {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('MAYFLY_')) env[k] = v;
  Object.assign(env, extraEnv);
  const proc = Bun.spawn([process.execPath, 'src/cli/chat.ts', ...args], { cwd: ROOT, env, stdin: 'pipe', stdout: 'pipe', stderr: 'pipe' });
  children.push(proc);
  const raw: Uint8Array[] = [];
  let out = '';
  let err = '';
  void (async () => {
    const decoder = new TextDecoder();
    const reader = proc.stdout.getReader();
    for (let r = await reader.read(); !r.done; r = await reader.read()) {
      raw.push(r.value);
      out += decoder.decode(r.value, { stream: true });
    }
  })();
  void (async () => {
    const decoder = new TextDecoder();
    const reader = proc.stderr.getReader();
    for (let r = await reader.read(); !r.done; r = await reader.read()) err += decoder.decode(r.value, { stream: true });
  })();
  const chat = {
    proc,
    out: () => out,
    err: () => err,
    bytes: () => Buffer.concat(raw),
    send(line: string) {
      proc.stdin.write(`${line}\n`);
      proc.stdin.flush();
    },
    end() {
      proc.stdin.end();
    },
    async waitOut(what: string | RegExp, timeoutMs = 5000) {
      const seen = () => (typeof what === 'string' ? out.includes(what) : what.test(out));
      try {
        await waitFor(seen, timeoutMs, `output ${what}`);
      } catch (e) {
        throw new Error(`${(e as Error).message}\n--- stdout ---\n${out}\n--- stderr ---\n${err}`);
      }
    },
    async waitErr(what: string | RegExp, timeoutMs = 5000) {
      const seen = () => (typeof what === 'string' ? err.includes(what) : what.test(err));
      try {
        await waitFor(seen, timeoutMs, `stderr ${what}`);
      } catch (e) {
        throw new Error(`${(e as Error).message}\n--- stdout ---\n${out}\n--- stderr ---\n${err}`);
      }
    },
    async exit(timeoutMs = 5000) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`client did not exit\n--- stdout ---\n${out}\n--- stderr ---\n${err}`)), timeoutMs);
      });
      try {
        return await Promise.race([proc.exited, late]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
  return chat;
}

export type Chat = ReturnType<typeof spawnChat>;
