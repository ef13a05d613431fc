#!/usr/bin/env bun
// The terminal client: `bun run chat <room link or id>` joins a mayfly room and chats over its JSON WebSocket.
import * as readline from 'node:readline';
import {
  type Asking,
  CliError,
  describeJoinFailure,
  isObject,
  join,
  type Joined,
  leave,
  login,
  ownerCall,
  requestState,
  roomInfo,
} from './api.ts';
import { parseArgs, USAGE, type Options } from './args.ts';
import { NEEDS_KEY, NOT_ENCRYPTED, outgoingProblem, roomSealer, type Sealer, WRONG_KEY } from './e2e.ts';
import {
  DESTROYED,
  EXPIRED,
  formatApproval,
  formatError,
  formatExtended,
  formatJoined,
  formatJoinRequest,
  formatKicked,
  formatLeft,
  formatMessage,
  formatOwnerChanged,
  formatRequestClosed,
  formatTyping,
  formatUsers,
  GONE,
  LOCKED,
  NO_SUCH_ROOM,
  UNLOCKED,
  when,
} from './format.ts';
import { helpText, OWNER_COMMANDS, ownerCommand, type OwnerContext } from './owner.ts';
import { ask, askHidden } from './prompt.ts';
import { clean } from './sanitize.ts';

const TYPING_SHOW_MS = 5000; // at most one "… is typing" line per user in this time
const TYPING_SEND_MS = 3000; // at most one typing frame of ours in this time
const MAX_RECONNECTS = 20; // about three minutes of backoff before giving up
const MAX_FIRST_CONNECTS = 5;
const POLL_MS = 2000; // how often a request to join asks whether the owner has decided
const POLL_FAILURES = 15; // status checks that fail in a row (about half a minute) before giving up

/** Our own terminal control (never applied to server text): clear the current line / the line above. */
const CLEAR_LINE = '\r\u001b[2K';
const CLEAR_LINE_ABOVE = '\u001b[1A\u001b[2K';

const interactive = Boolean(process.stdin.isTTY);
const fancy = interactive && Boolean(process.stdout.isTTY);

function guestName(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(2));
  return `guest-${[...bytes].map((b) => b.toString(16).padStart(2, '0')).join('')}`;
}

async function flushed(): Promise<void> {
  await Promise.all(
    [process.stdout, process.stderr].map(
      (stream) =>
        new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 500);
          stream.write('', () => {
            clearTimeout(timer);
            resolve();
          });
        }),
    ),
  );
}

async function exit(code: number): Promise<never> {
  await flushed();
  process.exit(code);
}

async function askName(): Promise<string> {
  for (;;) {
    const answer = await ask('Your name: ');
    if (answer === null) throw new CliError('No name given.');
    const name = answer.trim();
    if (name) return name;
  }
}

async function askPassword(question: string): Promise<string> {
  const answer = await askHidden(question);
  if (answer === null) throw new CliError('No password given.');
  return answer;
}

/**
 * Signs in (with --login), then joins the room: the member token, or a CliError saying why not. An
 * encrypted room (room.e2e: what the room's JSON said, if it could be read) is not joined without its key,
 * nor with a key that does not open its name (when the name is shown before joining).
 */
async function enter(opts: Options, sealer: Sealer | null, room: { e2e?: boolean }): Promise<Joined> {
  if (opts.login && !opts.name && !interactive) throw new CliError('--login needs --name when stdin is not a terminal.');
  let username = opts.name ?? (interactive ? await askName() : guestName());

  const info = await roomInfo(opts.server, opts.roomId);
  if (info && !info.exists) throw new CliError(NO_SUCH_ROOM);
  room.e2e = info?.e2e;
  if (info?.e2e) {
    if (!sealer) throw new CliError(NEEDS_KEY);
    if (info.name !== undefined && (await sealer.tryOpen(info.name)) === null) throw new CliError(WRONG_KEY);
  }
  let password = opts.password;
  if (info?.passwordProtected && password === undefined) {
    if (!interactive)
      throw new CliError('This room is password protected: give the password with --password PW (or set MAYFLY_ROOM_PASSWORD).');
    password = await askPassword('Room password: ');
  }

  let accountToken: string | undefined;
  if (opts.login) {
    const secret = interactive ? await askPassword(`Account password for ${clean(username)}: `) : process.env.MAYFLY_ACCOUNT_PASSWORD;
    if (!secret) throw new CliError('--login needs your account password: type it on a terminal, or set MAYFLY_ACCOUNT_PASSWORD.');
    accountToken = await login(opts.server, username, secret);
  }

  for (let attempt = 1; ; attempt++) {
    const result = await join(opts.server, opts.roomId, { username, password, accountToken });
    if (result.kind === 'joined') return result.joined;
    if (result.kind === 'asking') return (await admitSelf(opts, result.asking)) ?? (await waitForOwner(opts, result.asking));
    const failure = result.failure;
    const why = describeJoinFailure(failure, { username, hadPassword: password !== undefined });
    const nameProblem = failure.code === 'name_taken' || failure.code === 'name_reserved' || failure.code === 'validation_failed';
    if (attempt < 3 && interactive && failure.code === 'wrong_password') {
      process.stderr.write(`${why}\n`);
      password = await askPassword('Room password: ');
      continue;
    }
    if (attempt < 3 && nameProblem && !opts.login) {
      if (interactive) {
        process.stderr.write(`${why}\n`);
        username = await askName();
        continue;
      }
      if (!opts.name && failure.code === 'name_taken') {
        username = guestName();
        continue;
      }
    }
    throw new CliError(why);
  }
}

/** The owner (holding the room's owner_token) asking to join their own room that asks its owner: approves it at once. */
async function admitSelf(opts: Options, asking: Asking): Promise<Joined | null> {
  if (!opts.ownerToken) return null;
  const reply = await ownerCall(
    opts.server,
    opts.roomId,
    opts.ownerToken,
    'POST',
    `/requests/${encodeURIComponent(asking.requestId)}/approve`,
  );
  if (!reply.ok) return null; // not the owner after all: wait like anyone else (the hand-over below says why)
  return { token: asking.token, username: asking.username, memberId: asking.requestId };
}

/**
 * A room that asks its owner: waits, polling the request's status URL with its token, until the owner lets
 * us in (then the token is a member's). Denied, lapsed or the room gone: a CliError. Ctrl-C withdraws the request.
 */
async function waitForOwner(opts: Options, asking: Asking): Promise<Joined> {
  const until = asking.expiresAt ? ` (the request lapses at ${when(asking.expiresAt)} unanswered; Ctrl-C withdraws it)` : '';
  process.stdout.write(`Waiting for the owner to let you in…${until}\n`);
  let withdrawn = false;
  const withdraw = () => {
    if (withdrawn) return;
    withdrawn = true;
    void (async () => {
      await leave(opts.server, opts.roomId, asking.token); // POST /leave with a pending token withdraws the request
      process.stderr.write('You withdrew your request to join.\n');
      await exit(130);
    })();
  };
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  for (const signal of signals) process.on(signal, withdraw);
  try {
    let failures = 0;
    for (;;) {
      await Bun.sleep(POLL_MS);
      if (withdrawn) await new Promise(() => {}); // exiting
      let answer: Awaited<ReturnType<typeof requestState>>;
      try {
        answer = await requestState(opts.server, opts.roomId, asking);
      } catch (err) {
        if (!(err instanceof CliError) || ++failures >= POLL_FAILURES) throw err;
        continue;
      }
      if (!answer.ok) {
        if (answer.failure.code === 'not_found') throw new CliError(NO_SUCH_ROOM);
        if (answer.failure.status < 500 && answer.failure.status !== 429) {
          throw new CliError(
            `The server stopped answering about your request to join: ${answer.failure.message || `HTTP ${answer.failure.status}`}`,
          );
        }
        if (++failures >= POLL_FAILURES)
          throw new CliError(`The server could not say whether you were let in (HTTP ${answer.failure.status}).`);
        continue;
      }
      failures = 0;
      switch (answer.status) {
        case 'approved':
          process.stdout.write('The owner let you in.\n');
          return { token: asking.token, username: asking.username, memberId: asking.requestId };
        case 'denied':
          throw new CliError('The owner did not let you in.');
        case 'expired':
          throw new CliError('The owner did not answer your request to join in time; run the command again to ask again.');
      }
    }
  } finally {
    for (const signal of signals) process.off(signal, withdraw);
  }
}

/**
 * --owner-token: makes our member the owner (the owner_token hands the room to us, and stops working).
 * True when we own the room now; a token that is refused is reported and we stay an ordinary member.
 */
async function claimOwnership(opts: Options, me: Joined): Promise<boolean> {
  if (!opts.ownerToken) return false;
  const reply = await ownerCall(opts.server, opts.roomId, opts.ownerToken, 'POST', '/owner', { username: me.username });
  if (reply.ok) return true;
  process.stderr.write(`The owner token was not accepted (${reply.message}); you are in the room as an ordinary member.\n`);
  return false;
}

/** The connected part: prints the room's events, sends typed lines, reconnects, leaves. */
class Session {
  private ws: WebSocket | null = null;
  private rl: readline.Interface | null = null;
  private lastSeq = 0;
  private connected = false;
  private everConnected = false;
  private attempts = 0;
  private outbox: string[] = [];
  private ending: 'expired' | 'destroyed' | null = null;
  private quitting = false;
  private users: string[] = [];
  private typingShown = new Map<string, number>();
  private typingSent = 0;
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  /** Encrypted rooms: incoming frames are handled one after another (opening is async), and so are outgoing lines. */
  private inbox: Promise<void> = Promise.resolve();
  private sealing: Promise<void> = Promise.resolve();
  /** What the owner's commands need: the room, our token, and its settings as last heard. */
  private readonly control: OwnerContext;
  /** Requests to join already shown to us (the owner): shown once, whether heard as an event or listed on arrival. */
  private readonly askers = new Set<string>();

  constructor(
    private readonly opts: Options,
    private readonly me: Joined,
    /** Whether we own the room, as far as we know (ownership moves: owner_changed keeps it current). */
    private owner: boolean,
    settings: { locked?: boolean; approveJoins?: boolean } = {},
    /** An end-to-end encrypted room's key: every message is opened on arrival and sealed before it leaves. Null: a plain room. */
    private readonly sealer: Sealer | null = null,
  ) {
    this.control = { server: opts.server, roomId: opts.roomId, token: me.token, print: (text) => this.print(text), state: { ...settings } };
  }

  start(): void {
    this.rl = readline.createInterface({ input: process.stdin, output: process.stdout, terminal: fancy, prompt: '> ' });
    this.rl.on('line', (line) => this.onLine(line));
    this.rl.on('close', () => void this.quit()); // end of stdin (Ctrl-D, or the end of a pipe)
    this.rl.on('SIGINT', () => void this.quit());
    if (fancy) process.stdin.on('keypress', (_s: string, key: { name?: string; ctrl?: boolean } | undefined) => this.onKeypress(key));
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void this.quit());
    this.connect();
  }

  /** Prints one (already sanitized) block of lines without mangling the line being typed. */
  print(text: string): void {
    if (this.rl && fancy && !this.quitting) {
      process.stdout.write(`${CLEAR_LINE}${text}\n`);
      this.rl.prompt(true);
    } else {
      process.stdout.write(`${text}\n`);
    }
  }

  private connect(): void {
    this.reconnectTimer = null;
    const base = this.opts.server.replace(/^http/, 'ws');
    const since = this.everConnected ? `&since=${this.lastSeq}` : '';
    let ws: WebSocket;
    try {
      ws = new WebSocket(`${base}/rooms/${this.opts.roomId}/ws?token=${encodeURIComponent(this.me.token)}${since}`);
    } catch (err) {
      const why = (err instanceof Error ? err.message : String(err)).replaceAll(this.me.token, '…'); // never print the token
      this.fail(`Cannot open the WebSocket: ${clean(why)}`);
      return;
    }
    this.ws = ws;
    ws.onmessage = (e) => {
      if (this.ws === ws && typeof e.data === 'string') {
        const data = e.data;
        this.inOrder(() => this.onFrame(data));
      }
    };
    ws.onclose = (e) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.connected = false;
      this.inOrder(() => this.onClose(e.code, e.reason));
    };
    ws.onerror = () => {}; // a close event follows with the code
  }

  /**
   * Runs the handling of what the socket brings in the order it came. In a plain room at once; in an
   * encrypted one after what came before it, since opening a message takes a moment (WebCrypto is async).
   */
  private inOrder(step: () => void | Promise<void>): void {
    if (!this.sealer) {
      void step();
      return;
    }
    this.inbox = this.inbox.then(step).catch((err) => this.print(formatError(err instanceof Error ? err.message : err)));
  }

  /** An encrypted room: the text of each message (or "[cannot be decrypted]") in place of its envelope. */
  private async open(event: Record<string, unknown>): Promise<void> {
    const sealer = this.sealer;
    if (!sealer) return;
    const messages = event.type === 'message' ? [event] : event.type === 'history' && Array.isArray(event.messages) ? event.messages : [];
    await Promise.all(
      messages.map(async (m: unknown) => {
        if (isObject(m)) m.content = await sealer.open(m.content);
      }),
    );
  }

  private async onFrame(data: string): Promise<void> {
    let event: unknown;
    try {
      event = JSON.parse(data);
    } catch {
      return;
    }
    if (!isObject(event)) return;
    if (this.sealer) await this.open(event);
    switch (event.type) {
      case 'history': {
        if (this.everConnected) this.print('* Reconnected.');
        for (const m of Array.isArray(event.messages) ? event.messages : []) this.showMessage(m);
        if (Array.isArray(event.users)) this.users = event.users.map(String);
        if (!this.everConnected) {
          this.print(formatUsers(this.users.filter((u) => u !== this.me.username)));
          this.print('* Type a line and press Enter to send it; /help for commands, /quit to leave.');
          if (this.owner) void this.showWaiting();
        }
        this.connected = true;
        this.everConnected = true;
        this.attempts = 0;
        this.flush();
        break;
      }
      case 'message':
        this.showMessage(event);
        break;
      case 'user_joined':
      case 'user_left':
      case 'user_kicked':
        if (Array.isArray(event.users)) this.users = event.users.map(String);
        if (event.username === this.me.username) break;
        this.print(
          event.type === 'user_joined'
            ? formatJoined(event.username)
            : event.type === 'user_left'
              ? formatLeft(event.username)
              : formatKicked(event.username),
        );
        break;
      case 'room_locked':
      case 'room_unlocked':
        this.control.state.locked = event.type === 'room_locked';
        this.print(event.type === 'room_locked' ? LOCKED : UNLOCKED);
        break;
      case 'approval_changed':
        this.control.state.approveJoins = event.approve_joins === true;
        this.print(formatApproval(event.approve_joins));
        break;
      case 'room_extended':
        this.print(formatExtended(event.expires_at));
        break;
      case 'owner_changed':
        this.owner = event.member_id === this.me.memberId;
        this.print(formatOwnerChanged(event, this.me));
        if (this.owner) void this.showWaiting();
        break;
      case 'join_request':
        this.showRequest(event.request_id, event.username);
        break;
      case 'join_request_closed':
        this.print(formatRequestClosed(event.username, event.status));
        break;
      case 'typing': {
        const who = String(event.username ?? '');
        const now = Date.now();
        if (!who || who === this.me.username || now - (this.typingShown.get(who) ?? -Infinity) < TYPING_SHOW_MS) break;
        this.typingShown.set(who, now);
        this.print(formatTyping(who));
        break;
      }
      case 'room_expired':
      case 'room_destroyed':
        this.end(event.type === 'room_expired' ? 'expired' : 'destroyed');
        break;
      case 'error':
        this.print(formatError(event.message ?? event.code ?? 'error'));
        break;
    }
  }

  /** Prints a message once: catch-up after a reconnect may repeat what was seen, `seq` filters it. */
  private showMessage(m: unknown): void {
    if (!isObject(m)) return;
    if (typeof m.seq === 'number') {
      if (m.seq <= this.lastSeq) return;
      this.lastSeq = m.seq;
    }
    this.print(formatMessage(m));
  }

  private end(kind: 'expired' | 'destroyed'): void {
    if (this.ending) return;
    this.ending = kind;
    this.print(kind === 'expired' ? EXPIRED : DESTROYED);
    setTimeout(() => void this.finish(0), 2000).unref?.(); // the 4410 close normally comes first
  }

  private onClose(code: number, reason: string): void {
    if (this.quitting) return;
    if (this.ending || code === 4410) {
      if (!this.ending) this.print(GONE);
      void this.finish(0);
      return;
    }
    const why = clean(reason);
    const detail = why ? ` (${why})` : '';
    switch (code) {
      case 4401:
        return this.fail(`The server no longer admits you to this room${detail}. Join again.`);
      case 4403:
        if (why === 'removed by the owner') return this.fail('You were removed from the room by the owner.');
        return this.fail(`The server refused the connection${detail}.`);
      case 4423:
        return this.fail('The room is locked: the owner is not letting anyone new in.');
      case 4404:
        if (this.everConnected) {
          this.print(GONE);
          void this.finish(0);
          return;
        }
        return this.fail(NO_SUCH_ROOM);
      case 4409:
        return this.fail(`The room is full${detail}.`);
      case 4429:
        return this.fail('Disconnected: you sent too many messages too fast.');
    }
    this.reconnect(code, why);
  }

  private reconnect(code: number, why: string): void {
    this.attempts++;
    if (this.attempts > (this.everConnected ? MAX_RECONNECTS : MAX_FIRST_CONNECTS)) {
      return this.fail(`Lost the connection to ${clean(this.opts.server)} and could not reconnect; giving up.`);
    }
    const delay = Math.min(10_000, 500 * 2 ** (this.attempts - 1)) * (0.8 + Math.random() * 0.4);
    if (this.attempts === 1) {
      const what =
        code === 1012 ? 'the server is restarting' : code === 1006 ? 'the connection dropped' : `code ${code}${why ? `, ${why}` : ''}`;
      this.print(`! Disconnected (${what}); reconnecting…`);
    } else if (this.attempts % 5 === 0) {
      this.print(`! Still reconnecting (attempt ${this.attempts})…`);
    }
    this.reconnectTimer = setTimeout(() => this.connect(), delay);
  }

  private onLine(line: string): void {
    if (this.quitting) return;
    if (fancy) process.stdout.write(CLEAR_LINE_ABOVE); // the server's echo of the message replaces the typed line
    const text = line.trim();
    if (text.startsWith('/') && !text.startsWith('//')) this.command(text);
    else if (text) this.send(text.startsWith('//') ? text.slice(1) : line);
    if (fancy && !this.quitting) this.rl?.prompt(true);
  }

  private command(text: string): void {
    const name = text.split(/\s+/)[0]!.toLowerCase();
    const arg = text.slice(name.length).trim();
    if (name === '/quit' || name === '/exit' || name === '/leave') return void this.quit();
    if (name === '/who') return this.print(this.everConnected ? formatUsers(this.users) : '* Not connected yet.');
    if (name === '/help') return this.print(helpText(this.owner));
    if (OWNER_COMMANDS.has(name)) return void ownerCommand(this.control, name, arg);
    this.print(`! Unknown command ${clean(name)}; /help lists the commands.`);
  }

  /** The owner, on arriving (or on being handed the room): who is already waiting to be let in. */
  private async showWaiting(): Promise<void> {
    const reply = await ownerCall(this.opts.server, this.opts.roomId, this.me.token, 'GET', '/requests').catch(() => null);
    if (!reply?.ok || !Array.isArray(reply.body.requests)) return;
    for (const r of reply.body.requests) if (isObject(r)) this.showRequest(r.request_id, r.username);
  }

  private showRequest(requestId: unknown, username: unknown): void {
    if (typeof requestId !== 'string' || typeof username !== 'string' || this.askers.has(requestId)) return;
    this.askers.add(requestId);
    this.print(formatJoinRequest(username));
  }

  private send(content: string): void {
    const sealer = this.sealer;
    if (!sealer) return this.enqueue(JSON.stringify({ type: 'message', content }));
    // An encrypted room: the text is checked here (the server sees only its envelope), then sealed; never sent plain.
    const text = content.trim();
    const problem = outgoingProblem(text);
    if (problem) return this.print(formatError(problem));
    this.sealing = this.sealing
      .then(async () => this.enqueue(JSON.stringify({ type: 'message', content: await sealer.seal(text) })))
      .catch((err) =>
        this.print(formatError(`Not sent: the message could not be encrypted (${err instanceof Error ? err.message : err}).`)),
      );
  }

  /** Sends a frame now, or once connected (in the order given). */
  private enqueue(frame: string): void {
    if (this.connected && this.ws?.readyState === WebSocket.OPEN) {
      this.ws.send(frame);
      return;
    }
    this.outbox.push(frame);
    if (this.everConnected) this.print('* Not connected; the message goes out when the connection is back.');
  }

  private flush(): void {
    while (this.outbox.length && this.connected && this.ws?.readyState === WebSocket.OPEN) this.ws.send(this.outbox.shift()!);
  }

  private onKeypress(key: { name?: string; ctrl?: boolean } | undefined): void {
    if (!this.connected || this.quitting || !key || key.ctrl || key.name === 'return' || key.name === 'enter') return;
    const now = Date.now();
    if (now - this.typingSent < TYPING_SEND_MS) return;
    this.typingSent = now;
    this.ws?.send(JSON.stringify({ type: 'typing' }));
  }

  /** /quit, Ctrl-D, end of stdin or a signal: sends what is queued, gives up the seat, closes the socket. */
  async quit(): Promise<void> {
    if (this.quitting) return;
    this.quitting = true;
    await this.sealing; // lines typed just before are sealed and queued first
    const deadline = Date.now() + 5000;
    while ((this.outbox.length > 0 || (this.ws?.bufferedAmount ?? 0) > 0) && this.ws && !this.ending && Date.now() < deadline) {
      await Bun.sleep(25);
    }
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    if (!this.ending) await leave(this.opts.server, this.opts.roomId, this.me.token);
    const ws = this.ws;
    if (ws && ws.readyState !== WebSocket.CLOSED) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 1000);
        ws.addEventListener('close', () => {
          clearTimeout(timer);
          resolve();
        });
        ws.close(1000, 'left');
      });
    }
    if (!this.ending) this.print('* You left the room.');
    await this.finish(0);
  }

  private fail(message: string): void {
    process.stderr.write(`${fancy && process.stderr.isTTY ? CLEAR_LINE : ''}${message}\n`);
    void this.finish(1);
  }

  private async finish(code: number): Promise<void> {
    this.quitting = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.rl?.close();
    await exit(code);
  }
}

async function main(): Promise<void> {
  const parsed = parseArgs(process.argv.slice(2), process.env);
  if (parsed.kind === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return exit(0);
  }
  if (parsed.kind === 'error') {
    process.stderr.write(`${parsed.message}\n\n${USAGE}\n`);
    return exit(2);
  }
  const opts = parsed.options;
  try {
    const sealer = opts.key ? await roomSealer(opts.key) : null;
    const seen: { e2e?: boolean } = {};
    const me = await enter(opts, sealer, seen);
    const info = await roomInfo(opts.server, opts.roomId, me.token).catch(() => null);
    // Encrypted when the room says so; when it could not be asked, a link with a key is taken at its word.
    const e2e = info?.e2e ?? seen.e2e ?? sealer !== null;
    let name = info?.name;
    if (e2e) {
      // Checked again now that we are in (a password room shows its name only to members): never plain text here.
      let problem = sealer ? null : NEEDS_KEY;
      if (sealer && name !== undefined) {
        name = (await sealer.tryOpen(name)) ?? undefined;
        if (name === undefined) problem = WRONG_KEY;
      }
      if (problem) {
        await leave(opts.server, opts.roomId, me.token);
        throw new CliError(problem);
      }
    }
    const claimed = await claimOwnership(opts, me);
    const title = name ? `“${clean(name)}”` : 'the room';
    const until = info?.expiresAt ? ` It vanishes at ${when(info.expiresAt)} unless destroyed sooner.` : '';
    const sealed = e2e ? ' (end-to-end encrypted)' : '';
    process.stdout.write(`Joined ${title}${sealed} as ${clean(me.username)}.${until}\n`);
    if (!e2e && sealer) process.stdout.write(`${NOT_ENCRYPTED}\n`);
    if (claimed) process.stdout.write("You own this room: /help lists the owner's commands.\n");
    new Session(opts, me, claimed, { locked: info?.locked, approveJoins: info?.approveJoins }, e2e ? sealer : null).start();
  } catch (err) {
    if (err instanceof CliError) {
      process.stderr.write(`${err.message}\n`);
      return exit(err.exitCode);
    }
    process.stderr.write(`Unexpected error: ${clean(err instanceof Error ? err.message : err)}\n`);
    return exit(1);
  }
}

await main();
