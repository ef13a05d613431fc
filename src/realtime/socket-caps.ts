// Caps on the sockets one member and one client address hold open on this instance: counted from
// the upgrade (before a socket opens) to its close, so a flood of upgrades is refused early.

export type SocketCapsOptions = { perMember: number; perAddress: number; exempt: (address: string) => boolean };

export class SocketCaps {
  private byAddress = new Map<string, number>();
  /**
   * Per room, the token hash of each member socket counted here (a member with two sockets is in it twice):
   * one short array per room, not a Map entry per member (a JSC Map of 19,000 entries takes ~3.3 MB).
   */
  private byRoom = new Map<string, string[]>();

  constructor(private opts: SocketCapsOptions) {}

  /**
   * Counts a socket of this address (and of the room's member, when known); false, counting nothing, when
   * either already holds its cap. Exempt addresses (RATE_LIMIT_EXEMPT) have no address cap.
   */
  take(address: string, roomId: string, tokenHash: string | null): boolean {
    const byAddress = this.byAddress.get(address) ?? 0;
    if (!this.opts.exempt(address) && byAddress >= this.opts.perAddress) return false;
    if (tokenHash && this.memberSockets(roomId, tokenHash) >= this.opts.perMember) return false;
    this.byAddress.set(address, byAddress + 1);
    if (tokenHash) this.addMember(roomId, tokenHash);
    return true;
  }

  /** A guest's token, known once its seat is taken: its socket counts for it from then on. */
  addMember(roomId: string, tokenHash: string): void {
    const sockets = this.byRoom.get(roomId);
    if (sockets) sockets.push(tokenHash);
    else this.byRoom.set(roomId, [tokenHash]);
  }

  /** The socket closed (or never opened). */
  give(address: string, roomId: string, tokenHash: string | null): void {
    drop(this.byAddress, address);
    const sockets = tokenHash ? this.byRoom.get(roomId) : undefined;
    const at = sockets && tokenHash ? sockets.indexOf(tokenHash) : -1;
    if (!sockets || at < 0) return;
    sockets.splice(at, 1);
    if (sockets.length === 0) this.byRoom.delete(roomId);
  }

  private memberSockets(roomId: string, tokenHash: string): number {
    let n = 0;
    for (const counted of this.byRoom.get(roomId) ?? []) if (counted === tokenHash) n++;
    return n;
  }
}

function drop(map: Map<string, number>, key: string): void {
  const n = (map.get(key) ?? 0) - 1;
  if (n > 0) map.set(key, n);
  else map.delete(key);
}
