// Caps on the sockets one member and one client address hold open on this instance: counted from
// the upgrade (before a socket opens) to its close, so a flood of upgrades is refused early.

export type SocketCapsOptions = { perMember: number; perAddress: number; exempt: (address: string) => boolean };

export class SocketCaps {
  private byAddress = new Map<string, number>();
  private byMember = new Map<string, number>();

  constructor(private opts: SocketCapsOptions) {}

  /**
   * Counts a socket of this address (and member, when known); false, counting nothing, when either
   * already holds its cap. Exempt addresses (RATE_LIMIT_EXEMPT) have no address cap.
   */
  take(address: string, tokenHash: string | null): boolean {
    const byAddress = this.byAddress.get(address) ?? 0;
    const byMember = tokenHash ? (this.byMember.get(tokenHash) ?? 0) : 0;
    if (!this.opts.exempt(address) && byAddress >= this.opts.perAddress) return false;
    if (tokenHash && byMember >= this.opts.perMember) return false;
    this.byAddress.set(address, byAddress + 1);
    if (tokenHash) this.byMember.set(tokenHash, byMember + 1);
    return true;
  }

  /** A guest's token, known once its seat is taken: its socket counts for it from then on. */
  addMember(tokenHash: string): void {
    this.byMember.set(tokenHash, (this.byMember.get(tokenHash) ?? 0) + 1);
  }

  /** The socket closed (or never opened). */
  give(address: string, tokenHash: string | null): void {
    drop(this.byAddress, address);
    if (tokenHash) drop(this.byMember, tokenHash);
  }
}

function drop(map: Map<string, number>, key: string): void {
  const n = (map.get(key) ?? 0) - 1;
  if (n > 0) map.set(key, n);
  else map.delete(key);
}
