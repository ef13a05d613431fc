// A room's recent messages in memory, packed by their real length: each `id\ncontent` as UTF-8, back to
// back in one circular byte buffer per room, with its offset, length, seq, time and author in typed
// arrays (authors in a small per-room table). No object per message, no slot half empty; a quiet room
// holds a small buffer, a busy one grows it a few times and then reuses it, allocating nothing.
import type { Message } from '../rooms/types.ts';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A room's first buffer, in bytes (about 16 messages), and the per-message arrays' first length. */
const FIRST_BYTES = 1024;
const FIRST_COUNT = 16;
const EMPTY = new Uint8Array(0);

type Author = { username: string; memberId: string; verified: boolean };

/** The newest `limit` messages, oldest first. */
export class HistoryRing {
  /**
   * Messages back to back, oldest first from `offsets[first]`, wrapping to 0 when one does not fit
   * at the end (the bytes it skipped stay unused until the oldest pass them); the newest ends at `head`.
   */
  private buf = EMPTY;
  private head = 0;
  /** Bytes the kept messages take (gaps not counted). */
  private used = 0;
  /** By index in the ring: where each message's bytes start and how many. */
  private offsets: Int32Array;
  private lengths: Int32Array;
  private seqs: Float64Array;
  private times: Float64Array;
  private authorOf: Int32Array;
  private authors: Author[] = [];
  /** Author indexes by member id (a member who renames or gets verified has more than one). */
  private authorIndex = new Map<string, number[]>();
  /** Index of the oldest message, and how many are kept. */
  private first = 0;
  private count = 0;

  constructor(readonly limit: number) {
    const n = Math.min(limit, FIRST_COUNT); // grown to `limit` while the ring fills
    this.offsets = new Int32Array(n);
    this.lengths = new Int32Array(n);
    this.seqs = new Float64Array(n);
    this.times = new Float64Array(n);
    this.authorOf = new Int32Array(n);
  }

  get size(): number {
    return this.count;
  }

  push(m: Message): void {
    if (this.count === this.limit) {
      // full: drop the oldest, whose index takes the new one
      this.used -= this.lengths[this.first]!;
      this.first = this.first + 1 === this.limit ? 0 : this.first + 1;
      this.count--;
    }
    let i = this.first + this.count;
    if (i >= this.limit) i -= this.limit;
    else if (i === this.seqs.length) this.more(); // still filling (first is 0)
    const text = `${m.id}\n${m.content}`; // ids never hold a newline
    const buf = this.buf;
    let at = 0;
    let written = -1;
    if ((this.used + 3 * text.length) * 4 < buf.length && buf.length > FIRST_BYTES) {
      [at, written] = this.repack(text, true); // its messages got much shorter (3 bytes per unit at most)
    } else if (this.count === 0) {
      written = this.fit(text, 0, buf.length);
    } else {
      const oldest = this.offsets[this.first]!;
      if (this.head > oldest) {
        // [oldest, head) in use: the end of the buffer, else its start (the end left as a gap)
        written = this.fit(text, (at = this.head), buf.length);
        if (written < 0) written = this.fit(text, (at = 0), oldest);
      } else written = this.fit(text, (at = this.head), oldest); // wrapped: the bytes between newest and oldest
    }
    if (written < 0) [at, written] = this.repack(text, false);
    this.offsets[i] = at;
    this.lengths[i] = written;
    this.head = at + written;
    this.used += written;
    this.count++;
    this.seqs[i] = m.seq;
    this.times[i] = Date.parse(m.timestamp); // the service's timestamps are toISOString(): exact both ways
    this.authorOf[i] = this.author(m);
  }

  /** Message k (0 = oldest). */
  get(k: number): Message {
    const i = this.index(k);
    const at = this.offsets[i]!;
    const text = decoder.decode(this.buf.subarray(at, at + this.lengths[i]!));
    const cut = text.indexOf('\n');
    const a = this.authors[this.authorOf[i]!]!;
    return {
      seq: this.seqs[i]!,
      id: text.slice(0, cut),
      content: text.slice(cut + 1),
      timestamp: new Date(this.times[i]!).toISOString(),
      username: a.username,
      memberId: a.memberId,
      verified: a.verified,
    };
  }

  /** Message k's seq (0 = oldest). */
  seq(k: number): number {
    return this.seqs[this.index(k)]!;
  }

  private index(k: number): number {
    const i = this.first + k;
    return i >= this.limit ? i - this.limit : i;
  }

  /** Writes `text` into bytes [from, to) of the buffer if it fits there: its length in bytes, else -1. */
  private fit(text: string, from: number, to: number): number {
    if (to - from < text.length) return -1; // UTF-8 takes at least a byte per UTF-16 unit
    const r = encoder.encodeInto(text, this.buf.subarray(from, to));
    return r.read === text.length ? r.written : -1;
  }

  /**
   * Moves the kept messages, oldest first, to the start of a new buffer, and writes `text` after them:
   * [where, bytes]. Sized with room to spare, so that a busy room's buffer grows only a few times and
   * then stays (growing step by step made each busy room allocate again and again, and those
   * allocations set off collections): while the ring fills, to what `limit` messages of the average
   * length so far would take, +1/8, but at most double at a time; never under 1.25× the old buffer
   * and what is needed. A `smaller` one, for messages that take under a quarter of the buffer, is
   * 1.5× what they take.
   */
  private repack(text: string, smaller: boolean): [number, number] {
    const bytes = encoder.encode(text);
    const need = this.used + bytes.length;
    const old = this.buf;
    let size = Math.ceil(Math.max(need, old.length) * 1.25);
    if (smaller) size = Math.ceil(need * 1.5);
    else if (this.count + 1 < this.limit)
      size = Math.max(size, Math.min(old.length * 2, Math.ceil(((need / (this.count + 1)) * this.limit * 9) / 8)));
    const buf = new Uint8Array(Math.max(FIRST_BYTES, size));
    // copy contiguous runs (at most two: before and after the wrap) rather than message by message
    let pos = 0;
    let runFrom = 0;
    let runTo = 0;
    let runAt = 0;
    for (let k = 0; k < this.count; k++) {
      const i = this.index(k);
      const at = this.offsets[i]!;
      if (at !== runTo) {
        buf.set(old.subarray(runFrom, runTo), runAt);
        runFrom = at;
        runAt = pos;
      }
      runTo = at + this.lengths[i]!;
      this.offsets[i] = pos;
      pos += this.lengths[i]!;
    }
    buf.set(old.subarray(runFrom, runTo), runAt);
    buf.set(bytes, pos);
    this.buf = buf;
    return [pos, bytes.length];
  }

  /** Doubles the per-message arrays, up to `limit`, while the ring fills (its oldest is at index 0). */
  private more(): void {
    const n = Math.min(this.limit, this.seqs.length * 2);
    const offsets = new Int32Array(n);
    const lengths = new Int32Array(n);
    const seqs = new Float64Array(n);
    const times = new Float64Array(n);
    const authorOf = new Int32Array(n);
    offsets.set(this.offsets);
    lengths.set(this.lengths);
    seqs.set(this.seqs);
    times.set(this.times);
    authorOf.set(this.authorOf);
    this.offsets = offsets;
    this.lengths = lengths;
    this.seqs = seqs;
    this.times = times;
    this.authorOf = authorOf;
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
}
