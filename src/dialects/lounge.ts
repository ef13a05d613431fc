// The lounge: the one room of a deployment for signed-in accounts (Chatterbox's chat), made on demand and renewed while in use.
import type { Storage } from 'unstorage';
import type { Config } from '../config.ts';
import type { Logger } from '../log.ts';
import { nameKey } from '../rooms/names.ts';
import { type CreateRoomInput, LIMITS } from '../rooms/schema.ts';
import type { Member, RoomService } from '../rooms/service.ts';
import type { Room } from '../rooms/types.ts';
import type { ClaimKey } from '../storage/account-store.ts';

/**
 * Where the lounge is: its room, and the secret its members' tokens are derived from (never sent anywhere).
 * Each lounge is a generation: `lounge:<n>` is written once (claimed, atomically across instances) and names
 * one room; when that room has ended, the next generation is claimed with a new room.
 */
type Pointer = { roomId: string; secret: string };

export type LoungeDeps = {
  storage: Storage;
  claimKey: ClaimKey;
  rooms: RoomService;
  config: Config;
  log: Logger;
  /** Token hashes with a socket here, per room (the hub's): a lounge with sockets here is in use. */
  connectedTokens: () => Map<string, string[]>;
};

export const LOUNGE_NAME = 'The lounge';

export class Lounge {
  /** The generation this instance last saw, and its pointer. */
  private current: { generation: number; pointer: Pointer } | null = null;
  private opening: Promise<{ room: Room; pointer: Pointer }> | null = null;
  private renewer: ReturnType<typeof setInterval> | null = null;

  constructor(private d: LoungeDeps) {}

  /** Seconds the lounge lives from its creation or last renewal (LOUNGE_SECONDS, else DEFAULT_EXPIRY_SECONDS). */
  get seconds(): number {
    return this.d.config.LOUNGE_SECONDS ?? this.d.config.DEFAULT_EXPIRY_SECONDS;
  }

  /** The lounge as it is now, or null while there is none (nothing is made). */
  async find(): Promise<Room | null> {
    return (await this.follow(false))?.room ?? null;
  }

  /**
   * The lounge, made when there is none (or the last one ended), and renewed when used; `address` is the
   * client's whose use made it (its creation counts against that address's creation limit, as any room's).
   */
  async open(address: string): Promise<{ room: Room; tokenFor: (username: string) => string }> {
    this.opening ??= this.follow(true, address).finally(() => {
      this.opening = null;
    }) as Promise<{ room: Room; pointer: Pointer }>;
    let { room, pointer } = await this.opening;
    if (room.expiresAt - Date.now() < (this.seconds * 1000) / 2) room = (await this.d.rooms.renew(room.id, this.seconds)) ?? room;
    this.startRenewing();
    return { room, tokenFor: (username) => this.tokenFor(pointer, username) };
  }

  /** A signed-in account's member of the lounge: the same one on every connection (its token is derived). */
  async join(address: string, username: string): Promise<{ room: Room; member: Member }> {
    const { room, tokenFor } = await this.open(address);
    return { room, member: await this.d.rooms.joinAccount(room, username, tokenFor(username), address, 'api') };
  }

  /** An account's token in the lounge: an HMAC of its name (by nameKey) under the lounge's secret. */
  private tokenFor(pointer: Pointer, username: string): string {
    return new Bun.CryptoHasher('sha256', pointer.secret).update(`account:${nameKey(username)}`).digest('base64url');
  }

  /** Follows the generations from the last one known to the live lounge; with `create`, makes it when there is none. */
  private async follow(create: boolean, address = 'unknown'): Promise<{ room: Room; pointer: Pointer } | null> {
    const { storage, claimKey, rooms } = this.d;
    let generation = this.current?.generation ?? (await storage.getItem<number>('lounge:generation')) ?? 0;
    for (;;) {
      let pointer = await storage.getItem<Pointer>(`lounge:${generation}`);
      if (!pointer) {
        if (!create) return null;
        const made = await this.make(address);
        const mine = { roomId: made.id, secret: crypto.randomUUID() + crypto.randomUUID() };
        if (await claimKey(`lounge:${generation}`, mine)) {
          await storage.setItem('lounge:generation', generation);
          this.current = { generation, pointer: mine };
          this.d.log.info('lounge opened', { room_id: made.id });
          return { room: made, pointer: mine };
        }
        // Another instance made this generation's lounge at the same moment: theirs is the lounge.
        await rooms.expire(made.id);
        pointer = await storage.getItem<Pointer>(`lounge:${generation}`);
        if (!pointer) continue;
      }
      const room = await rooms.find(pointer.roomId);
      if (room) {
        this.current = { generation, pointer };
        return { room, pointer };
      }
      generation++; // that lounge ended: the next one
    }
  }

  /** A new lounge room: locked (only accounts are let in, past the lock), mayfly's limits, LOUNGE_SECONDS to live. */
  private async make(address: string): Promise<Room> {
    const input: CreateRoomInput = {
      name: LOUNGE_NAME,
      owner_name: 'mayfly',
      expiry_seconds: this.seconds,
      max_users: LIMITS.maxUsers,
      idle_seconds: undefined,
      password: undefined,
      approve_joins: false,
      e2e: false,
    };
    // Nobody owns it: the owner token is dropped here, and no member is the owner.
    const { room } = await this.d.rooms.create(input, { ownerJoins: false, address, locked: true });
    return room;
  }

  /** While this instance has sockets in the lounge, its end keeps moving to LOUNGE_SECONDS from now. */
  private startRenewing(): void {
    if (this.renewer) return;
    const every = Math.min(60_000, Math.max(1000, (this.seconds * 1000) / 4));
    this.renewer = setInterval(
      () => void this.renewIfInUse().catch((e) => this.d.log.warn('lounge renewal failed', { error: String(e) })),
      every,
    );
    this.renewer.unref?.();
  }

  private async renewIfInUse(): Promise<void> {
    const roomId = this.current?.pointer.roomId;
    if (!roomId || !this.d.connectedTokens().get(roomId)?.length) return;
    const room = await this.d.rooms.find(roomId);
    if (room && room.expiresAt - Date.now() < (this.seconds * 1000) / 2) await this.d.rooms.renew(roomId, this.seconds);
  }

  stop(): void {
    if (this.renewer) clearInterval(this.renewer);
    this.renewer = null;
  }
}
