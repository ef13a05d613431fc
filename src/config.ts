// Configuration: the environment parsed and validated with zod; a bad value stops the start.
import { z } from 'zod';

const int = (def: number, min: number, max: number) => z.coerce.number().int().min(min).max(max).default(def);

const ConfigSchema = z
  .object({
    PORT: int(3000, 0, 65535),
    HOST: z.string().min(1).default('0.0.0.0'),
    STORAGE_URL: z
      .string()
      .default('memory:')
      .refine((v) => /^(memory:|redis:\/\/|rediss:\/\/|redis-cluster:\/\/|rediss-cluster:\/\/|sqlite:)/.test(v), {
        message: 'must start with memory:, redis://, rediss://, redis-cluster://, rediss-cluster:// or sqlite:',
      }),
    PUBLIC_URL: z
      .url({ message: 'must be an absolute http(s) URL such as https://chat.example.com' })
      .optional()
      .transform((v) => (v ? new URL(v).origin : undefined)),
    DEFAULT_EXPIRY_SECONDS: int(600, 5, 86400),
    MAX_EXPIRY_SECONDS: int(86400, 5, 30 * 86400),
    DEFAULT_MAX_USERS: int(20, 2, 1000),
    HISTORY_LIMIT: int(200, 1, 10000),
    MESSAGE_RATE: z.coerce.number().positive().default(10),
    MESSAGE_BURST: int(20, 1, 10000),
    /** Seconds a seat is kept for a member whose socket dropped (tab hidden, network, crash). */
    PRESENCE_GRACE_SECONDS: int(30, 3, 3600),
    /** Seconds a request to join (rooms that ask the owner) waits for an answer before it lapses. */
    JOIN_REQUEST_SECONDS: int(300, 10, 86400),
    /** Seconds a DisposableChat session (src/dialects) lasts without use; every use renews it. */
    DISPOSABLE_SESSION_SECONDS: int(3600, 5, 7 * 86400),
    /** Seconds the Chatterbox lounge lives from its creation or last renewal (renewed while in use); unset: DEFAULT_EXPIRY_SECONDS. */
    LOUNGE_SECONDS: z.coerce
      .number()
      .int()
      .min(5)
      .max(30 * 86400)
      .optional(),
    CREATE_RATE_PER_MINUTE: int(30, 1, 1_000_000),
    JOIN_RATE_PER_MINUTE: int(120, 1, 1_000_000),
    /** Wrong room passwords per room and client address, a minute. */
    PASSWORD_TRIES_PER_MINUTE: int(5, 1, 1000),
    /** Wrong room passwords per room from all addresses together, a minute (a ceiling for many guessers). */
    PASSWORD_TRIES_PER_ROOM_PER_MINUTE: int(60, 1, 100_000),
    /** Wrong logins per client address and username, a minute. */
    LOGIN_TRIES_PER_MINUTE: int(10, 1, 1000),
    /** Password hashes and checks (login, register, room passwords) per client address, a minute. */
    PASSWORD_CHECKS_PER_MINUTE: int(30, 1, 100_000),
    /** Password hashes and checks running at once in one process (argon2 is deliberately slow). */
    PASSWORD_CONCURRENCY: int(2, 1, 64),
    /** Messages per client address (every member from it together) within the message window. */
    MESSAGE_ADDRESS_BURST: int(100, 1, 1_000_000),
    /** Open sockets per member and per client address, on each instance. */
    MAX_SOCKETS_PER_MEMBER: int(8, 1, 10_000),
    MAX_SOCKETS_PER_ADDRESS: int(64, 1, 1_000_000),
    /** The longest any storage call may take before it counts as failed (Redis up but silent). */
    STORAGE_TIMEOUT_MS: int(3000, 100, 60_000),
    /** GET /metrics (Prometheus): on, or off (404). With METRICS_TOKEN set, scrapes must send it as a Bearer token. */
    METRICS: z.enum(['on', 'off']).default('on'),
    METRICS_TOKEN: z.string().min(16, { message: 'must be at least 16 characters' }).optional(),
    RATE_LIMIT_EXEMPT: z
      .string()
      .default('')
      .transform((v) =>
        v
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
      ),
    MAX_FRAME_BYTES: int(16 * 1024, 1024, 16 * 1024 * 1024),
    MAX_BODY_BYTES: int(64 * 1024, 1024, 16 * 1024 * 1024),
    TRUST_PROXY: z
      .enum(['true', 'false', '1', '0'])
      .default('false')
      .transform((v) => v === 'true' || v === '1'),
    LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
  })
  .refine((c) => c.DEFAULT_EXPIRY_SECONDS <= c.MAX_EXPIRY_SECONDS, {
    message: 'DEFAULT_EXPIRY_SECONDS must not exceed MAX_EXPIRY_SECONDS',
    path: ['DEFAULT_EXPIRY_SECONDS'],
  })
  .refine((c) => c.LOUNGE_SECONDS === undefined || c.LOUNGE_SECONDS <= c.MAX_EXPIRY_SECONDS, {
    message: 'LOUNGE_SECONDS must not exceed MAX_EXPIRY_SECONDS',
    path: ['LOUNGE_SECONDS'],
  });

export type Config = z.infer<typeof ConfigSchema>;

export class ConfigError extends Error {}

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  // Empty strings count as unset, so `PORT= bun start` behaves like no PORT at all.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = ConfigSchema.safeParse(cleaned);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.') || 'config'}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  return parsed.data;
}
