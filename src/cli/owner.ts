// The owner's commands of the terminal client, over the owner's HTTP routes with the member token: each
// answers at once (a refusal is shown as the server words it), and what changed reaches everyone,
// this client too, as an event on the socket.
import { CliError, isObject, ownerCall, type OwnerReply } from './api.ts';
import { formatError, when } from './format.ts';
import { clean } from './sanitize.ts';

/** The owner's commands with what /help says of them; anyone may type them, the server refuses non-owners. */
export const OWNER_HELP: ReadonlyArray<readonly [usage: string, what: string]> = [
  ['/kick NAME', 'remove someone from the room; that name cannot join again'],
  ['/lock', 'let nobody new in (the people here stay)'],
  ['/unlock', 'let new people in again'],
  ['/approval on|off', 'whether new people must ask you to let them in'],
  ['/requests', 'who is waiting to be let in'],
  ['/approve NAME', 'let someone who is waiting in'],
  ['/deny NAME', 'turn someone who is waiting away'],
  ['/extend TIME', 'give the room more time: 90s, 10m, 2h, 1d, or seconds'],
  ['/owner NAME', 'hand the room over to someone here'],
];

/** The commands everyone has. */
const COMMAND_HELP: ReadonlyArray<readonly [string, string]> = [
  ['/who', 'who is in the room'],
  ['/quit', 'leave the room (also Ctrl-D)'],
  ['//text', 'send a message that starts with /'],
];

/** /help: every command, the owner's last (said to be refused for others unless we own the room). */
export function helpText(owner: boolean): string {
  const width = Math.max(...[...COMMAND_HELP, ...OWNER_HELP].map(([usage]) => usage.length)) + 2;
  const line = ([usage, what]: readonly [string, string]) => `*   ${usage.padEnd(width)}${what}`;
  return [
    '* Commands:',
    ...COMMAND_HELP.map(line),
    owner ? "* The owner's commands (you own this room):" : "* The owner's commands (the server refuses them unless you own the room):",
    ...OWNER_HELP.map(line),
  ].join('\n');
}

export const OWNER_COMMANDS: ReadonlySet<string> = new Set(OWNER_HELP.map(([usage]) => usage.split(' ')[0]!));

/** The most one /extend may add (the server's limit; the room's own limit may be lower). */
export const MAX_EXTEND_SECONDS = 30 * 86400;

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };
const PART = /(\d+)\s*(seconds?|secs?|s|minutes?|mins?|m|hours?|hrs?|h|days?|d)/y;

/**
 * A duration in whole seconds: plain seconds (`600`), or numbers with units, also together (`90s`,
 * `10m`, `2h`, `1d`, `1h30m`, `2 hours`). Null for anything else, and for zero.
 */
export function parseDuration(text: string): number | null {
  const value = text.trim().toLowerCase();
  if (/^\d+$/.test(value)) {
    const seconds = Number(value);
    return seconds > 0 && Number.isSafeInteger(seconds) ? seconds : null;
  }
  let total = 0;
  let at = 0;
  while (at < value.length) {
    PART.lastIndex = at;
    const match = PART.exec(value);
    if (!match) return null;
    total += Number(match[1]) * UNITS[match[2]![0]!]!;
    at = PART.lastIndex;
    while (value[at] === ' ') at++;
  }
  return at > 0 && total > 0 && Number.isSafeInteger(total) ? total : null;
}

/** A name as the server compares them for this purpose, near enough: NFKC, case-insensitive. */
const fold = (name: string) => name.normalize('NFKC').toLowerCase();

export type OwnerContext = {
  server: string;
  roomId: string;
  /** Our member token: the server checks on every call that it is the owner's. */
  token: string;
  print(text: string): void;
  /** The room's settings as this client last heard (events): a /lock that changes nothing says so. */
  state: { locked?: boolean; approveJoins?: boolean };
};

type Pending = { request_id: string; username: string; expires_at?: string };

/** Runs one owner command (`name` lower-case, with its `/`); never throws: every outcome is printed. */
export async function ownerCommand(ctx: OwnerContext, name: string, arg: string): Promise<void> {
  try {
    await run(ctx, name, arg.trim());
  } catch (err) {
    if (err instanceof CliError) ctx.print(formatError(err.message));
    else ctx.print(formatError(`${name} failed: ${err instanceof Error ? err.message : String(err)}`));
  }
}

async function run(ctx: OwnerContext, name: string, arg: string): Promise<void> {
  const call = (method: 'GET' | 'POST', path: string, json?: Record<string, unknown>) =>
    ownerCall(ctx.server, ctx.roomId, ctx.token, method, path, json);
  const refused = (reply: OwnerReply): reply is Exclude<OwnerReply, { ok: true }> => {
    if (!reply.ok) ctx.print(formatError(reply.message));
    return !reply.ok;
  };
  const usage = () => ctx.print(formatError(`Usage: ${OWNER_HELP.find(([u]) => u.split(' ')[0] === name)?.[0] ?? name}`));
  const target = arg.replace(/^@/, '').trim();

  switch (name) {
    case '/kick':
    case '/owner': {
      if (!target) return usage();
      // Success shows as the event everyone gets (user_kicked, owner_changed).
      refused(await call('POST', name === '/kick' ? '/kick' : '/owner', { username: target }));
      return;
    }
    case '/lock':
    case '/unlock': {
      const locked = name === '/lock';
      const before = ctx.state.locked;
      if (refused(await call('POST', locked ? '/lock' : '/unlock'))) return;
      // A change is told by its event; no change, no event: say so here.
      if (before === locked) ctx.print(locked ? '* The room was already locked.' : '* The room was not locked.');
      ctx.state.locked = locked;
      return;
    }
    case '/approval': {
      const on = /^(on|yes|true)$/i.test(arg) ? true : /^(off|no|false)$/i.test(arg) ? false : null;
      if (on === null) return usage();
      const before = ctx.state.approveJoins;
      if (refused(await call('POST', '/approval', { approve_joins: on }))) return;
      if (before === on) ctx.print(on ? "* New people already need the owner's approval." : '* New people already join without asking.');
      ctx.state.approveJoins = on;
      return;
    }
    case '/extend': {
      const seconds = parseDuration(arg);
      if (seconds === null || seconds > MAX_EXTEND_SECONDS) {
        ctx.print(formatError('Usage: /extend TIME, such as 90s, 10m, 2h, 1d or plain seconds (at most 30 days).'));
        return;
      }
      refused(await call('POST', '/extend', { seconds })); // the room_extended event shows the new end
      return;
    }
    case '/requests': {
      const waiting = await pending(ctx, call);
      if (!waiting) return;
      if (waiting.length === 0) return ctx.print('* Nobody is waiting to join.');
      const list = waiting.map((r) => `${clean(r.username)}${r.expires_at ? ` (until ${when(r.expires_at)})` : ''}`).join(', ');
      ctx.print(`* Waiting to join: ${list}; /approve NAME or /deny NAME`);
      return;
    }
    case '/approve':
    case '/deny': {
      if (!target) return usage();
      const waiting = await pending(ctx, call);
      if (!waiting) return;
      const found = waiting.find((r) => r.username === target) ?? waiting.find((r) => fold(r.username) === fold(target));
      if (!found) {
        ctx.print(formatError(`Nobody named "${clean(target)}" is waiting to join; /requests lists who is.`));
        return;
      }
      const verdict = name === '/approve' ? 'approve' : 'deny';
      // Success shows as join_request_closed (to the owner), and user_joined once approved.
      refused(await call('POST', `/requests/${encodeURIComponent(found.request_id)}/${verdict}`));
      return;
    }
  }
  ctx.print(formatError(`Unknown command ${clean(name)}; /help lists the commands.`));
}

/** GET /rooms/{id}/requests: who is waiting, oldest first; null (the refusal printed) when the server says no. */
async function pending(ctx: OwnerContext, call: (method: 'GET', path: string) => Promise<OwnerReply>): Promise<Pending[] | null> {
  const reply = await call('GET', '/requests');
  if (!reply.ok) {
    ctx.print(formatError(reply.message));
    return null;
  }
  const list = Array.isArray(reply.body.requests) ? reply.body.requests : [];
  return list.filter((r): r is Pending => isObject(r) && typeof r.request_id === 'string' && typeof r.username === 'string');
}
