// Abuse limits by name, over rate-limiter-flexible: in this process (memory, SQLite) or in Redis,
// where every instance shares them. One place lists every limit, its numbers and whose key counts.
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { Config } from '../config.ts';
import type { RedisClient } from '../storage/redis-store.ts';
import { storageError } from '../storage/store.ts';

/** Every limit, and what its key is. */
export type LimitName =
  /** room creations (and account registrations) per client address */
  | 'create'
  /** joins per client address: HTTP joins and WebSocket guests */
  | 'join'
  /** wrong room passwords per room and client address */
  | 'password'
  /** wrong room passwords per room, from every address together (a ceiling for many guessers) */
  | 'passwordRoom'
  /** wrong logins per client address and username */
  | 'login'
  /** password hashes and checks (login, register, room passwords) per client address: argon2 costs CPU */
  | 'passwordChecks'
  /** messages per member */
  | 'message'
  /** messages per client address, every member from it together */
  | 'messageAddress';

/**
 * hot: checked on every message. In Redis mode such a limit is counted here first (no round trip
 * before a message is stored) and in Redis in the background, once per key every HOT_FLUSH_MS: a
 * key that is over its limit on all instances together is refused here from then on.
 */
type Spec = { points: number; seconds: number; exemptable: boolean; hot?: boolean };

/** The numbers of every limit, from the configuration. */
export function limitSpecs(config: Config): Record<LimitName, Spec> {
  // Messages: MESSAGE_BURST at once, MESSAGE_RATE a second on average, as a window of BURST/RATE seconds.
  const messageWindow = Math.max(1, Math.round(config.MESSAGE_BURST / config.MESSAGE_RATE));
  return {
    create: { points: config.CREATE_RATE_PER_MINUTE, seconds: 60, exemptable: true },
    join: { points: config.JOIN_RATE_PER_MINUTE, seconds: 60, exemptable: true },
    password: { points: config.PASSWORD_TRIES_PER_MINUTE, seconds: 60, exemptable: false },
    passwordRoom: { points: config.PASSWORD_TRIES_PER_ROOM_PER_MINUTE, seconds: 60, exemptable: false },
    login: { points: config.LOGIN_TRIES_PER_MINUTE, seconds: 60, exemptable: false },
    passwordChecks: { points: config.PASSWORD_CHECKS_PER_MINUTE, seconds: 60, exemptable: true },
    message: { points: config.MESSAGE_BURST, seconds: messageWindow, exemptable: false, hot: true },
    messageAddress: { points: config.MESSAGE_ADDRESS_BURST, seconds: messageWindow, exemptable: true, hot: true },
  };
}

/** Allowed, or refused with how long until the next try can succeed. */
export type LimitResult = { ok: true } | { ok: false; retryAfterMs: number };

const OK: LimitResult = { ok: true };

type Limiter = RateLimiterMemory | RateLimiterRedis;

/**
 * How often a hot limit's counts go to Redis: one call per key per interval (a busy member sends
 * several messages in it), so the shared count costs Redis far fewer calls than messages.
 */
export const HOT_FLUSH_MS = 1000;

/** The share of a hot limit's points a key uses here before its count goes to Redis. */
const HOT_SHARE = 0.25;

/**
 * A hot limit's count in this process: a fixed window per key, as RateLimiterMemory counts, without
 * its promise, result object and timer per try (the profile at saturation put those at a tenth of
 * the server's CPU). Windows that ended are swept once per window length.
 */
export class LocalWindow {
  private windows = new Map<string, { used: number; resetAt: number }>();
  private sweptAt = 0;

  constructor(
    readonly points: number,
    private readonly ms: number,
  ) {}

  /** Counts one try: refused (with the wait) once the window's points are used, else how many it has used. */
  consume(key: string, now = Date.now()): { used: number } | { retryAfterMs: number } {
    let w = this.windows.get(key);
    if (!w || w.resetAt <= now) {
      if (now - this.sweptAt >= this.ms) this.sweep(now);
      w = { used: 0, resetAt: now + this.ms };
      this.windows.set(key, w);
    }
    if (w.used >= this.points) return { retryAfterMs: Math.max(1, w.resetAt - now) };
    w.used++;
    return w;
  }

  /** The points a key has used in its current window (0 when none is open). */
  used(key: string, now = Date.now()): { used: number; retryAfterMs: number } {
    const w = this.windows.get(key);
    return w && w.resetAt > now ? { used: w.used, retryAfterMs: Math.max(1, w.resetAt - now) } : { used: 0, retryAfterMs: 0 };
  }

  private sweep(now: number): void {
    this.sweptAt = now;
    for (const [key, w] of this.windows) if (w.resetAt <= now) this.windows.delete(key);
  }
}

const countHere = (local: LocalWindow, key: string): LimitResult | number => {
  const res = local.consume(key);
  return 'used' in res ? res.used : { ok: false, retryAfterMs: res.retryAfterMs };
};

/** A hot limit in Redis mode: counted in this process at once, and in Redis shortly after. */
class HotLimit {
  /** Keys Redis found over the limit (all instances together), until when. */
  private blockedUntil = new Map<string, number>();
  /** Tries not yet counted in Redis, per key. */
  private pending = new Map<string, number>();

  constructor(
    readonly local: LocalWindow,
    private shared: RateLimiterRedis,
  ) {}

  consume(key: string): LimitResult {
    if (this.blockedUntil.size > 0) {
      const until = this.blockedUntil.get(key);
      if (until !== undefined) {
        const wait = until - Date.now();
        if (wait > 0) return { ok: false, retryAfterMs: wait };
        this.blockedUntil.delete(key);
      }
    }
    const used = countHere(this.local, key);
    if (typeof used !== 'number') return used;
    // Only a key past a quarter of its points here is counted in Redis (from then on, with what it
    // used before): ordinary senders cost Redis nothing, and a member spread over k instances gets
    // at most max(1, k/4) times its limit before the shared count stops it.
    const threshold = Math.ceil(this.local.points * HOT_SHARE);
    if (used < threshold) return OK;
    if (this.pending.size === 0) setTimeout(() => this.flush(), HOT_FLUSH_MS).unref?.();
    this.pending.set(key, (this.pending.get(key) ?? 0) + (used === threshold ? used : 1));
    return OK;
  }

  /** One Redis call per key for the tries since the last flush; a refusal blocks the key here. */
  private flush(): void {
    const now = Date.now();
    for (const [key, points] of this.pending) {
      this.shared.consume(key, points).catch((res: unknown) => {
        // Redis down or silent: the limit in this process still holds.
        if (res instanceof RateLimiterRes) this.blockedUntil.set(key, now + Math.max(1, res.msBeforeNext));
      });
    }
    this.pending.clear();
    if (this.blockedUntil.size > 10_000) for (const [k, t] of this.blockedUntil) if (t <= now) this.blockedUntil.delete(k);
  }
}

export class Limits {
  /** Every limit but the hot ones of memory mode (those are `local`). */
  private limiters: Partial<Record<LimitName, Limiter>> = {};
  /** Hot limits in Redis mode: here first, then in Redis. */
  private hot: Partial<Record<LimitName, HotLimit>> = {};
  /** Hot limits in memory mode: only here. */
  private local: Partial<Record<LimitName, LocalWindow>> = {};
  private exemptable: Record<LimitName, boolean>;
  private exempt: Set<string>;

  /** redis: keep the counters there (shared by every instance); otherwise in this process. */
  /**
   * On a Redis Cluster every counter is one key of its own (`mayfly:limit:<name>:<key>`, changed by
   * single-key commands), so the limits spread over the shards by key with no hash tag needed.
   */
  constructor(config: Config, opts: { redis?: RedisClient; prefix?: string } = {}) {
    const specs = limitSpecs(config);
    this.exempt = new Set(config.RATE_LIMIT_EXEMPT);
    this.exemptable = {} as Record<LimitName, boolean>;
    for (const [name, spec] of Object.entries(specs) as [LimitName, Spec][]) {
      const options = { points: spec.points, duration: spec.seconds, keyPrefix: `${opts.prefix ?? 'mayfly'}:limit:${name}` };
      const here = spec.hot ? new LocalWindow(spec.points, spec.seconds * 1000) : null;
      if (opts.redis) {
        const shared = new RateLimiterRedis({ ...options, storeClient: opts.redis });
        this.limiters[name] = shared;
        if (here) this.hot[name] = new HotLimit(here, shared);
      } else if (here) this.local[name] = here;
      else this.limiters[name] = new RateLimiterMemory(options);
      this.exemptable[name] = spec.exemptable;
    }
  }

  /** Whether an address is in RATE_LIMIT_EXEMPT (load tests, health checks). */
  isExempt(address: string | undefined): boolean {
    return address !== undefined && this.exempt.has(address);
  }

  /**
   * Counts one try against the limit; refused once the window's points are used.
   * `address` is the client's: limits that allow it are skipped for exempt addresses.
   * A storage failure (Redis down or silent) throws a StorageError, like any storage call.
   */
  consume(name: LimitName, key: string, address?: string): LimitResult | Promise<LimitResult> {
    // Exempt: answered at once, without a promise (the message path asks on every message).
    if (this.exemptable[name] && this.isExempt(address ?? key)) return OK;
    const hot = this.hot[name];
    if (hot) return hot.consume(key);
    const local = this.local[name];
    if (local) {
      const used = countHere(local, key);
      return typeof used === 'number' ? OK : used;
    }
    return this.limiters[name]!.consume(key).then(
      () => OK,
      (err: unknown): LimitResult => {
        if (err instanceof RateLimiterRes) return { ok: false, retryAfterMs: Math.max(1, err.msBeforeNext) };
        throw storageError(err);
      },
    );
  }

  /** Refused when the key has used its points already; counts nothing (checked before costly work). */
  async check(name: LimitName, key: string): Promise<LimitResult> {
    const here = this.local[name] ?? this.hot[name]?.local;
    if (here) {
      const { used, retryAfterMs } = here.used(key);
      return used >= here.points ? { ok: false, retryAfterMs } : OK;
    }
    const limiter = this.limiters[name]!;
    try {
      const res = await limiter.get(key);
      if (res && res.consumedPoints >= limiter.points) return { ok: false, retryAfterMs: Math.max(1, res.msBeforeNext) };
      return OK;
    } catch (err) {
      throw storageError(err);
    }
  }
}

/** Whole seconds for a Retry-After header: at least 1. */
export const retryAfterSeconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

/**
 * Bounds how many password hashes and checks (argon2, deliberately slow) run at once in this
 * process, so a flood of logins cannot take every core; past `maxWaiting` queued, new ones are refused.
 */
export class PasswordGate {
  private running = 0;
  private waiting: Array<() => void> = [];

  constructor(
    private concurrency: number,
    private maxWaiting = 64,
  ) {}

  /** Runs fn when a slot is free; null (nothing run) when too many are waiting already. */
  async run<T>(fn: () => Promise<T>): Promise<{ value: T } | null> {
    if (this.running >= this.concurrency) {
      if (this.waiting.length >= this.maxWaiting) return null;
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.running++;
    }
    try {
      return { value: await fn() };
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}
