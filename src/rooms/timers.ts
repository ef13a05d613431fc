// Expiry timers for the rooms this instance knows: storage drivers without TTLs still end rooms on time.

// setTimeout fires at once for delays above 2^31-1 ms, so long waits are chained.
const MAX_DELAY = 2 ** 31 - 1;

type Entry = { expiresAt: number; idleSeconds: number | null; timer: ReturnType<typeof setTimeout> };

export class RoomTimers {
  private entries = new Map<string, Entry>();

  constructor(private onExpire: (roomId: string) => void) {}

  schedule(room: { id: string; expiresAt: number; idleSeconds: number | null }): void {
    const existing = this.entries.get(room.id);
    if (existing && existing.expiresAt === room.expiresAt) return;
    if (existing) clearTimeout(existing.timer);
    const arm = (): ReturnType<typeof setTimeout> => {
      const wait = room.expiresAt - Date.now();
      return setTimeout(
        () => {
          if (room.expiresAt - Date.now() > 0) {
            const e = this.entries.get(room.id);
            if (e) e.timer = arm();
            return;
          }
          this.entries.delete(room.id);
          this.onExpire(room.id);
        },
        Math.max(0, Math.min(wait, MAX_DELAY)),
      );
    };
    this.entries.set(room.id, { expiresAt: room.expiresAt, idleSeconds: room.idleSeconds, timer: arm() });
  }

  /** The room's end moved (the owner gave it more time): re-armed if this instance keeps a timer for it. */
  move(roomId: string, expiresAt: number): void {
    const e = this.entries.get(roomId);
    if (e && Number.isFinite(expiresAt)) this.schedule({ id: roomId, expiresAt, idleSeconds: e.idleSeconds });
  }

  cancel(roomId: string): void {
    const e = this.entries.get(roomId);
    if (e) clearTimeout(e.timer);
    this.entries.delete(roomId);
  }

  roomIds(): string[] {
    return [...this.entries.keys()];
  }

  idleSeconds(roomId: string): number | null {
    return this.entries.get(roomId)?.idleSeconds ?? null;
  }

  clear(): void {
    for (const e of this.entries.values()) clearTimeout(e.timer);
    this.entries.clear();
  }
}
