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
      .refine((v) => /^(memory:|redis:\/\/|rediss:\/\/|sqlite:)/.test(v), {
        message: 'must start with memory:, redis://, rediss:// or sqlite:',
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
    CREATE_RATE_PER_MINUTE: int(30, 1, 1_000_000),
    JOIN_RATE_PER_MINUTE: int(120, 1, 1_000_000),
    PASSWORD_TRIES_PER_MINUTE: int(5, 1, 1000),
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
