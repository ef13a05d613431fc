// The terminal client's owner commands (kick, lock, approval, extend, hand over, approve/deny) and how it shows
// their events, against a real server: the CLI as a child process, other members over the JSON API and /ws.
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'bun:test';
import { parseArgs } from '../src/cli/args.ts';
import { formatOwnerChanged, when } from '../src/cli/format.ts';
import { helpText, OWNER_COMMANDS, parseDuration } from '../src/cli/owner.ts';
import { type Chat, count, killChats, READY, spawnChat } from './helpers/chat.ts';
import { createRoom, joinRoom, startTestServer, type TestServer, waitFor } from './helpers/server.ts';
import { connect, type TestSocket } from './helpers/ws.ts';

const ID = 'abcdefghijklmnopqrstu';

describe('owner commands: the pure parts', () => {
  test('durations: plain seconds, 90s, 10m, 2h, 1d, and units together', () => {
    expect(parseDuration('600')).toBe(600);
    expect(parseDuration('90s')).toBe(90);
    expect(parseDuration('10m')).toBe(600);
    expect(parseDuration('2h')).toBe(7200);
    expect(parseDuration('1d')).toBe(86400);
    expect(parseDuration('1h30m')).toBe(5400);
    expect(parseDuration(' 1h 30m ')).toBe(5400);
    expect(parseDuration('10 min')).toBe(600);
    expect(parseDuration('2 hours')).toBe(7200);
    expect(parseDuration('3 days')).toBe(3 * 86400);
    expect(parseDuration('5M')).toBe(300);
    for (const bad of ['', '0', '0m', 'soon', '10x', 'm', '1.5h', '-5', '10ms', '1h and 2m']) expect(parseDuration(bad)).toBeNull();
  });

  test("/help lists every command the client knows, the owner's included", () => {
    for (const owner of [true, false]) {
      const help = helpText(owner);
      for (const name of [...OWNER_COMMANDS, '/who', '/quit', '//text']) expect(help).toMatch(new RegExp(`^\\*\\s+${name}\\b`, 'm'));
      expect(help).toContain('/extend TIME');
      expect(help).toContain('90s, 10m, 2h, 1d');
    }
    expect(helpText(true)).toContain('you own this room');
    expect(helpText(false)).toContain('the server refuses them unless you own the room');
  });

  test('--owner-token and MAYFLY_OWNER_TOKEN', () => {
    expect(parseArgs([ID, '--owner-token', 'tok'])).toMatchObject({ kind: 'ok', options: { ownerToken: 'tok' } });
    expect(parseArgs([ID, '--owner-token=tok'])).toMatchObject({ kind: 'ok', options: { ownerToken: 'tok' } });
    expect(parseArgs([ID], { MAYFLY_OWNER_TOKEN: 'env' })).toMatchObject({ kind: 'ok', options: { ownerToken: 'env' } });
    expect(parseArgs([ID, '--owner-token', 'arg'], { MAYFLY_OWNER_TOKEN: 'env' })).toMatchObject({ options: { ownerToken: 'arg' } });
    expect(parseArgs([ID, '--owner-token', ' '])).toMatchObject({ kind: 'error' });
    expect(parseArgs([ID])).toEqual({ kind: 'ok', options: { server: 'http://127.0.0.1:3000', roomId: ID, login: false } });
  });

  test('owner changes read from where you stand; times on another day carry the date', () => {
    const me = { memberId: 'm1', username: 'olga' };
    expect(formatOwnerChanged({ username: 'bob', member_id: 'm2', previous: 'olga', reason: 'handed_over' }, me)).toBe(
      '* You handed the room over to bob.',
    );
    expect(formatOwnerChanged({ username: 'olga', member_id: 'm1', previous: 'ann', reason: 'handed_over' }, me)).toContain(
      "You are the room's owner now (ann handed it over)",
    );
    expect(formatOwnerChanged({ username: 'bob', member_id: 'm2', previous: 'ann', reason: 'owner_left' }, me)).toBe(
      '* ann left; bob is the owner now.',
    );
    expect(formatOwnerChanged({ username: 'b\u001bob', member_id: 'm2', previous: null, reason: 'handed_over' }, me)).toBe(
      '* b\\x1bob is the owner now.',
    );
    const now = new Date(2030, 0, 2, 9, 5);
    expect(when(new Date(2030, 0, 2, 18, 30).toISOString(), now)).toBe('18:30');
    expect(when(new Date(2030, 0, 3, 8, 0).toISOString(), now)).toBe('2030-01-03 08:00');
    expect(when('nonsense', now)).toBe('--:--');
  });
});

describe('terminal client: the owner', () => {
  let server: TestServer;
  const sockets: TestSocket[] = [];

  beforeAll(async () => {
    server = await startTestServer({ PRESENCE_GRACE_SECONDS: '3', MAX_EXPIRY_SECONDS: '86400' });
  });

  afterEach(() => {
    killChats();
    for (const s of sockets.splice(0)) s.close();
  });

  afterAll(async () => {
    await server.stop();
  });

  type Room = Awaited<ReturnType<typeof createRoom>>;

  /** A room created over the API; olga runs the client with its owner token; alice watches over /ws. */
  async function ownedRoom(body: Record<string, unknown> = {}) {
    const room = await createRoom(server.origin, body);
    const link = `${server.origin}/rooms/${room.room_id}`;
    const olga = spawnChat([link, '--name', 'olga'], { MAYFLY_OWNER_TOKEN: room.owner_token });
    await olga.waitOut(READY);
    expect(olga.out()).toContain("You own this room: /help lists the owner's commands.");
    return { room, link, olga };
  }

  /** alice, a member over the API with a socket that records every event. */
  async function watcher(room: Room) {
    const alice = await joinRoom(server.origin, room.room_id, 'alice');
    const ws = await connect(`${server.wsOrigin}/rooms/${room.room_id}/ws?token=${alice.token}`);
    sockets.push(ws);
    await ws.type('history');
    return { alice, ws };
  }

  async function member(link: string, name: string, owner?: Chat): Promise<Chat> {
    const chat = spawnChat([link, '--name', name]);
    await chat.waitOut(READY);
    await owner?.waitOut(`* ${name} joined\n`);
    return chat;
  }

  const roomJson = async (roomId: string) =>
    (await (await fetch(`${server.origin}/rooms/${roomId}`, { headers: { accept: 'application/json' } })).json()) as Record<string, any>;

  /** No token ever reaches the terminal. */
  const noSecrets = (room: Room, ...chats: Chat[]) => {
    for (const chat of chats) {
      expect(chat.out()).not.toContain(room.owner_token);
      expect(chat.err()).not.toContain(room.owner_token);
    }
  };

  test('/kick: the member is told, exits without reconnecting, and the name cannot come back', async () => {
    const { room, link, olga } = await ownedRoom();
    const { ws } = await watcher(room);
    const bob = await member(link, 'bob', olga);

    olga.send('/kick bob');
    expect(await bob.exit()).toBe(1);
    expect(bob.err()).toContain('You were removed from the room by the owner.');
    expect(bob.out()).not.toContain('reconnecting');
    await olga.waitOut('* bob was removed by the owner\n');
    const kicked = await ws.next((f) => f.type === 'user_kicked');
    expect(kicked).toMatchObject({ username: 'bob', users: ['olga', 'alice'] });

    const again = spawnChat([link, '--name', 'BOB']);
    expect(await again.exit()).toBe(1);
    expect(again.err()).toContain('The owner removed "BOB" from this room');

    olga.send('/kick olga');
    await olga.waitOut(/^! The owner cannot be removed/m);
    olga.send('/kick nobody');
    await olga.waitOut('! Nobody by that name is in this room.');
    olga.send('/kick');
    await olga.waitOut('! Usage: /kick NAME');
    noSecrets(room, olga, bob);
  });

  test('/lock refuses new joins (members keep chatting); /unlock lets them in again', async () => {
    const { room, link, olga } = await ownedRoom();
    const { ws } = await watcher(room);
    const bob = await member(link, 'bob', olga);

    olga.send('/lock');
    await olga.waitOut('* The owner locked the room: nobody new can join.\n');
    await bob.waitOut('* The owner locked the room: nobody new can join.\n');
    await ws.type('room_locked');
    expect((await roomJson(room.room_id)).locked).toBe(true);

    const carol = spawnChat([link, '--name', 'carol']);
    expect(await carol.exit()).toBe(1);
    expect(carol.err()).toContain('The room is locked: the owner is not letting anyone new in.');

    bob.send('still talking');
    await olga.waitOut('bob: still talking');

    olga.send('/lock');
    await olga.waitOut('* The room was already locked.');
    bob.send('/unlock');
    await bob.waitOut('! Only the room owner can do that.');

    olga.send('/unlock');
    await olga.waitOut('* The owner unlocked the room: people can join again.\n');
    await ws.type('room_unlocked');
    const carol2 = await member(link, 'carol', olga);
    carol2.send('/quit');
    expect(await carol2.exit()).toBe(0);
  });

  test('/extend gives the room more time, up to its limit; bad durations and non-owners are refused', async () => {
    const { room, link, olga } = await ownedRoom({ expiry_seconds: 3600 });
    const { ws } = await watcher(room);
    const bob = await member(link, 'bob', olga);
    const before = Date.parse((await roomJson(room.room_id)).expires_at);

    olga.send('/extend 10m');
    const event = await ws.next((f) => f.type === 'room_extended');
    expect(Date.parse(event.expires_at) - before).toBe(600_000);
    const shown = `* The room was given more time: it now vanishes at ${when(event.expires_at)}.`;
    await olga.waitOut(shown);
    await bob.waitOut(shown);
    expect(Date.parse((await roomJson(room.room_id)).expires_at)).toBe(Date.parse(event.expires_at));

    olga.send('/extend soon');
    await olga.waitOut('! Usage: /extend TIME, such as 90s, 10m, 2h, 1d or plain seconds (at most 30 days).');

    bob.send('/extend 1h');
    await bob.waitOut('! Only the room owner can do that.');
    const refusals = () => count(bob.out(), '! Only the room owner can do that.\n');
    bob.send('/approve carol');
    await waitFor(() => refusals() === 2, 5000, 'the refused /approve');
    bob.send('/requests');
    await waitFor(() => refusals() === 3, 5000, 'the refused /requests');
    bob.send('bob is fine');
    await ws.next((f) => f.type === 'message' && f.content === 'bob is fine');

    olga.send('/extend 2d'); // past the room's limit (a day from its creation): the end is capped there
    const capped = await ws.next((f) => f.type === 'room_extended' && f.expires_at !== event.expires_at);
    const max = Date.parse((await roomJson(room.room_id)).max_expires_at);
    expect(Date.parse(capped.expires_at)).toBe(max);
    await olga.waitOut(`it now vanishes at ${when(capped.expires_at)}.`);
    olga.send('/extend 90s');
    await olga.waitOut(/^! This room already lasts as long as a room can/m);
    expect(bob.proc.exitCode).toBeNull();
  });

  test('/owner hands the room over: the new owner can act, the old one (and the owner token) no longer', async () => {
    const { room, link, olga } = await ownedRoom();
    const { ws } = await watcher(room);
    const bob = await member(link, 'bob', olga);

    olga.send('/owner bob');
    await olga.waitOut('* You handed the room over to bob.\n');
    await bob.waitOut("* You are the room's owner now (olga handed it over); /help lists the owner's commands.\n");
    expect(await ws.next((f) => f.type === 'owner_changed')).toMatchObject({ username: 'bob', previous: 'olga', reason: 'handed_over' });
    expect((await roomJson(room.room_id)).owner_name).toBe('bob');

    olga.send('/lock');
    await olga.waitOut('! Only the room owner can do that.');
    const stale = await fetch(`${server.origin}/rooms/${room.room_id}/lock`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${room.owner_token}` },
      body: '{}',
    });
    expect(stale.status).toBe(403);

    bob.send('/help');
    await bob.waitOut("* The owner's commands (you own this room):");
    bob.send('/lock');
    await olga.waitOut('* The owner locked the room: nobody new can join.');

    // The owner leaving hands the room to whoever has been here longest.
    bob.send('/quit');
    expect(await bob.exit()).toBe(0);
    await olga.waitOut("* You are the room's owner now (bob left); /help lists the owner's commands.\n");
    olga.send('/unlock');
    await olga.waitOut('* The owner unlocked the room: people can join again.');
    noSecrets(room, olga, bob);
  });

  test('a room that asks its owner: the asker waits, /approve lets them in, /deny turns them away', async () => {
    const room = await createRoom(server.origin, { approve_joins: true });
    const link = `${server.origin}/rooms/${room.room_id}`;
    // Someone already waiting when the owner arrives is shown to them.
    const early = await fetch(`${server.origin}/rooms/${room.room_id}/join`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ username: 'erin' }),
    });
    expect(early.status).toBe(202);

    const olga = spawnChat([link, '--name', 'olga', '--owner-token', room.owner_token]);
    await olga.waitOut(READY);
    expect(olga.out()).toContain('You own this room');
    await olga.waitOut('* erin asks to join — /approve erin or /deny erin\n');

    const carol = spawnChat([link, '--name', 'carol']);
    await carol.waitOut('Waiting for the owner to let you in…');
    await olga.waitOut('* carol asks to join — /approve carol or /deny carol\n');
    olga.send('/requests');
    await olga.waitOut(/\* Waiting to join: erin \(until [\d: -]+\), carol \(until [\d: -]+\); \/approve NAME or \/deny NAME\n/);

    olga.send('/approve Carol');
    await olga.waitOut('* carol was let in\n');
    await olga.waitOut('* carol joined\n');
    await carol.waitOut('The owner let you in.\n');
    await carol.waitOut(READY, 8000);
    carol.send('thanks for letting me in');
    await olga.waitOut('carol: thanks for letting me in');

    const dave = spawnChat([link, '--name', 'dave']);
    await dave.waitOut('Waiting for the owner to let you in…');
    await olga.waitOut('* dave asks to join');
    olga.send('/deny dave');
    await olga.waitOut('* dave was turned away\n');
    expect(await dave.exit(8000)).toBe(1);
    expect(dave.err()).toContain('The owner did not let you in.');
    expect(dave.out()).not.toContain(READY);

    olga.send('/approve nobody');
    await olga.waitOut('! Nobody named "nobody" is waiting to join; /requests lists who is.');
    olga.send('/deny erin');
    await olga.waitOut('* erin was turned away');
    olga.send('/requests');
    await olga.waitOut('* Nobody is waiting to join.');

    // Approval off: the next person walks straight in.
    olga.send('/approval off');
    await olga.waitOut('* New people can join without asking the owner again.');
    await carol.waitOut('* New people can join without asking the owner again.');
    const frank = spawnChat([link, '--name', 'frank']);
    await frank.waitOut(READY);
    expect(frank.out()).not.toContain('Waiting for the owner');
    olga.send('/approval on');
    await olga.waitOut("* New people now need the owner's approval to join.");
    noSecrets(room, olga, carol, dave, frank);
  }, 20000);

  test('Ctrl-C while waiting withdraws the request', async () => {
    const { link, olga } = await ownedRoom({ approve_joins: true });
    const gina = spawnChat([link, '--name', 'gina']);
    await gina.waitOut('Waiting for the owner to let you in…');
    await olga.waitOut('* gina asks to join');
    gina.proc.kill('SIGINT');
    expect(await gina.exit()).toBe(130);
    expect(gina.err()).toContain('You withdrew your request to join.');
    olga.send('/requests');
    await olga.waitOut('* Nobody is waiting to join.');
  });

  test('an owner token that is not accepted: told so, in the room as an ordinary member', async () => {
    const room = await createRoom(server.origin);
    const chat = spawnChat([`${server.origin}/rooms/${room.room_id}`, '--name', 'hank', '--owner-token', 'not-the-token']);
    await chat.waitOut(READY);
    expect(chat.err()).toContain(
      'The owner token was not accepted (Only the room owner can do that.); you are in the room as an ordinary member.',
    );
    expect(chat.out()).not.toContain('You own this room');
    chat.send('/lock');
    await chat.waitOut('! Only the room owner can do that.');
    chat.send('/quit');
    expect(await chat.exit()).toBe(0);
  });
});

describe('terminal client: a request nobody answers', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({ JOIN_REQUEST_SECONDS: '10' });
  });

  afterEach(() => killChats());

  afterAll(async () => {
    await server.stop();
  });

  test('lapses: the asker is told and exits non-zero', async () => {
    const room = await createRoom(server.origin, { approve_joins: true });
    const ivan = spawnChat([`${server.origin}/rooms/${room.room_id}`, '--name', 'ivan']);
    await ivan.waitOut('Waiting for the owner to let you in…');
    expect(await ivan.exit(16000)).toBe(1);
    expect(ivan.err()).toContain('The owner did not answer your request to join in time; run the command again to ask again.');
    expect(ivan.out()).not.toContain(READY);
  }, 20000);
});
