// A room's recent messages in memory, packed: content and id as UTF-8 in one reused byte buffer,
// seq and time in typed arrays, authors in a small per-room table. A busy room's history keeps no
// object per message, so it costs a quarter of the memory and leaves nothing for the collector.
import type { Message } from '../rooms/types.ts';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Bytes per message in the shared buffer (id + content); a longer one gets a buffer of its own. */
const SLOT = 128;

type Author = { username: string; memberId: string; verified: boolean };

/** The newest `limit` messages, oldest first. */
export class HistoryRing {
  /** Slot k holds bytes [k·SLOT, (k+1)·SLOT): `id\ncontent`. 16 slots at first, then `limit`. */
  private buf = new Uint8Array(0);
  /** Messages that did not fit their slot, by slot. */
  private big = new Map<number, Uint8Array>();
  private lengths: Int32Array;
  private seqs: Float64Array;
  private times: Float64Array;
  private authorOf: Int32Array;
  private authors: Author[] = [];
  /** Author indexes by member id (a member who renames or gets verified has more than one). */
  private authorIndex = new Map<string, number[]>();
  /** Slot of the oldest message, and how many are kept. */
  private first = 0;
  private count = 0;

  constructor(readonly limit: number) {
    this.lengths = new Int32Array(limit);
    this.seqs = new Float64Array(limit);
    this.times = new Float64Array(limit);
    this.authorOf = new Int32Array(limit);
  }

  get size(): number {
    return this.count;
  }

  push(m: Message): void {
    let slot: number;
    if (this.count < this.limit) {
      slot = this.count++; // nothing dropped yet, so the oldest is slot 0
      if ((slot + 1) * SLOT > this.buf.length) this.grow();
    } else {
      slot = this.first; // full: the oldest message's slot takes the new one
      this.first = (this.first + 1) % this.limit;
    }
    const text = `${m.id}\n${m.content}`; // ids never hold a newline
    const at = slot * SLOT;
    const r = encoder.encodeInto(text, this.buf.subarray(at, at + SLOT));
    if (r.read === text.length) {
      this.lengths[slot] = r.written;
      if (this.big.size > 0) this.big.delete(slot);
    } else {
      this.lengths[slot] = -1;
      this.big.set(slot, encoder.encode(text));
    }
    this.seqs[slot] = m.seq;
    this.times[slot] = Date.parse(m.timestamp); // the service's timestamps are toISOString(): exact both ways
    this.authorOf[slot] = this.author(m);
  }

  /** Message k (0 = oldest). */
  get(k: number): Message {
    const slot = (this.first + k) % this.limit;
    const n = this.lengths[slot]!;
    const text = decoder.decode(n < 0 ? this.big.get(slot)! : this.buf.subarray(slot * SLOT, slot * SLOT + n));
    const cut = text.indexOf('\n');
    const a = this.authors[this.authorOf[slot]!]!;
    return {
      seq: this.seqs[slot]!,
      id: text.slice(0, cut),
      content: text.slice(cut + 1),
      timestamp: new Date(this.times[slot]!).toISOString(),
      username: a.username,
      memberId: a.memberId,
      verified: a.verified,
    };
  }

  /** Message k's seq (0 = oldest). */
  seq(k: number): number {
    return this.seqs[(this.first + k) % this.limit]!;
  }

  /** The index of the message's author (member id, name, verified) in the table: no string built per message. */
  private author(m: Message): number {
    let list = this.authorIndex.get(m.memberId);
    if (!list) this.authorIndex.set(m.memberId, (list = []));
    for (const i of list) {
      const a = this.authors[i]!;
      if (a.username === m.username && a.verified === m.verified) return i;
    }
    const i = this.authors.push({ username: m.username, memberId: m.memberId, verified: m.verified }) - 1;
    list.push(i);
    return i;
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
