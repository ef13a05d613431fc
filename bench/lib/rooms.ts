// Rooms for the benches that call the store directly (no HTTP): an hour long, 20 seats, no password.
import { nanoid } from 'nanoid';
import type { Room } from '../../src/rooms/types.ts';
import type { RoomStore } from '../../src/storage/store.ts';

/** Creates n rooms in the store; their ids. */
export async function benchRooms(store: RoomStore, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const room: Room = {
      id: nanoid(21),
      name: 'b',
      ownerName: 'o',
      createdAt: Date.now(),
      expiresAt: Date.now() + 3600_000,
      maxUsers: 20,
      idleSeconds: null,
      passwordHash: null,
      ownerTokenHash: null,
    };
    await store.createRoom(room);
    ids.push(room.id);
  }
  return ids;
}
