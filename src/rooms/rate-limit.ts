// Rate limits kept in this process: token buckets (messages per member) and windows (per address).

/** Token bucket: `rate` tokens per second, at most `burst` saved up. */
export class TokenBuckets {
  private buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private rate: number,
    private burst: number,
  ) {}

  take(key: string, now = performance.now()): boolean {
    let b = this.buckets.get(key);
    if (!b) {
      b = { tokens: this.burst, at: now };
      this.buckets.set(key, b);
    }
    b.tokens = Math.min(this.burst, b.tokens + ((now - b.at) / 1000) * this.rate);
    b.at = now;
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  forget(key: string): void {
    this.buckets.delete(key);
  }

  /** Drops buckets that have refilled completely; they behave exactly like new ones. */
  prune(now = performance.now()): void {
    const full = (this.burst / this.rate) * 1000;
    for (const [k, b] of this.buckets) if (now - b.at > full) this.buckets.delete(k);
  }
}

/** Fixed one-minute windows: at most `limit` hits per key per window. */
export class WindowLimiter {
  private hits = new Map<string, { count: number; resetAt: number }>();

  constructor(
    private limit: number,
    private windowMs = 60_000,
  ) {}

  /** Counts a hit; false when the key is over its limit. */
  hit(key: string, now = Date.now()): boolean {
    const w = this.hits.get(key);
    if (!w || w.resetAt <= now) {
      if (this.hits.size > 100_000) this.prune(now);
      this.hits.set(key, { count: 1, resetAt: now + this.windowMs });
      return true;
    }
    w.count++;
    return w.count <= this.limit;
  }

  /** True when the key has already used its limit (does not count a hit). */
  blocked(key: string, now = Date.now()): boolean {
    const w = this.hits.get(key);
    return !!w && w.resetAt > now && w.count >= this.limit;
  }

  prune(now = Date.now()): void {
    for (const [k, w] of this.hits) if (w.resetAt <= now) this.hits.delete(k);
  }
}

/** Per-address limits on room creations and joins; addresses in RATE_LIMIT_EXEMPT are never limited. */
export class AddressLimits {
  private creates: WindowLimiter;
  private joins: WindowLimiter;
  private exempt: Set<string>;

  constructor(opts: { createsPerMinute: number; joinsPerMinute: number; exempt: string[] }) {
    this.creates = new WindowLimiter(opts.createsPerMinute);
    this.joins = new WindowLimiter(opts.joinsPerMinute);
    this.exempt = new Set(opts.exempt);
  }

  allowCreate(address: string): boolean {
    return this.exempt.has(address) || this.creates.hit(address);
  }

  allowJoin(address: string): boolean {
    return this.exempt.has(address) || this.joins.hit(address);
  }
}
