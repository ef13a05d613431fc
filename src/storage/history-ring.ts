// A room's recent messages in memory, as encoded event JSON in one reused byte buffer: a busy room's
// history keeps no object per message, so it leaves nothing behind for the garbage collector.
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Bytes per entry in the shared buffer; a longer entry gets a buffer of its own. */
const SLOT = 256;

/** The newest `limit` entries (seq + JSON), oldest first. */
export class HistoryRing {
  /** Slot k of the ring is bytes [k·SLOT, (k+1)·SLOT); it grows as the first entries arrive. */
  private buf = new Uint8Array(0);
  /** Entries that did not fit their slot, by slot. */
  private big = new Map<number, Uint8Array>();
  private lengths: Int32Array;
  private seqs: Float64Array;
  /** Slot of the oldest entry, and how many entries are kept. */
  private first = 0;
  private count = 0;

  constructor(readonly limit: number) {
    this.lengths = new Int32Array(limit);
    this.seqs = new Float64Array(limit);
  }

  get size(): number {
    return this.count;
  }

  push(seq: number, json: string): void {
    let slot: number;
    if (this.count < this.limit) {
      slot = this.count++; // nothing dropped yet, so the oldest is slot 0
      if ((slot + 1) * SLOT > this.buf.length) this.grow();
    } else {
      slot = this.first; // full: the oldest entry's slot takes the new one
      this.first = (this.first + 1) % this.limit;
    }
    const at = slot * SLOT;
    const r = encoder.encodeInto(json, this.buf.subarray(at, at + SLOT));
    if (r.read === json.length) {
      this.lengths[slot] = r.written;
      if (this.big.size > 0) this.big.delete(slot);
    } else {
      this.lengths[slot] = -1;
      this.big.set(slot, encoder.encode(json));
    }
    this.seqs[slot] = seq;
  }

  /** Entry k (0 = oldest) as JSON. */
  json(k: number): string {
    const slot = (this.first + k) % this.limit;
    const n = this.lengths[slot]!;
    return decoder.decode(n < 0 ? this.big.get(slot)! : this.buf.subarray(slot * SLOT, slot * SLOT + n));
  }

  /** Entry k's seq (0 = oldest). */
  seq(k: number): number {
    return this.seqs[(this.first + k) % this.limit]!;
  }

  /**
   * 16 slots at first (a quiet room keeps a small buffer), then all `limit` at once: growing step by
   * step made each busy room allocate again and again, and those allocations set off collections.
   */
  private grow(): void {
    const slots = this.buf.length === 0 ? Math.min(this.limit, 16) : this.limit;
    const next = new Uint8Array(slots * SLOT);
    next.set(this.buf);
    this.buf = next;
  }
}
