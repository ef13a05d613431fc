// Turns room events into terminal lines; everything from the server passes through the sanitizer here.
import { clean, cleanLines } from './sanitize.ts';

const pad = (n: number) => String(n).padStart(2, '0');

/** `HH:MM` in local time, or `--:--` for a missing or malformed timestamp. */
export function clock(timestamp: unknown): string {
  const date = typeof timestamp === 'string' || typeof timestamp === 'number' ? new Date(timestamp) : null;
  if (!date || Number.isNaN(date.getTime())) return '--:--';
  return `${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** `[HH:MM] name: text`; continuation lines of a multi-line message are indented under the text. */
export function formatMessage(m: { timestamp?: unknown; username?: unknown; content?: unknown }): string {
  const prefix = `[${clock(m.timestamp)}] ${clean(m.username)}: `;
  const [first = '', ...rest] = cleanLines(m.content);
  const indent = ' '.repeat(Math.min(prefix.length, 48));
  return [prefix + first, ...rest.map((line) => indent + line)].join('\n');
}

/** `HH:MM` for a time today (local), else `YYYY-MM-DD HH:MM`; `--:--` for a missing or malformed timestamp. */
export function when(timestamp: unknown, now = new Date()): string {
  const date = typeof timestamp === 'string' || typeof timestamp === 'number' ? new Date(timestamp) : null;
  if (!date || Number.isNaN(date.getTime())) return '--:--';
  const sameDay = date.getFullYear() === now.getFullYear() && date.getMonth() === now.getMonth() && date.getDate() === now.getDate();
  return sameDay
    ? clock(date.getTime())
    : `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${clock(date.getTime())}`;
}

export const formatJoined = (username: unknown) => `* ${clean(username)} joined`;
export const formatLeft = (username: unknown) => `* ${clean(username)} left`;
export const formatTyping = (username: unknown) => `${clean(username)} is typing…`;
export const formatError = (message: unknown) => `! ${clean(message)}`;
export const formatUsers = (users: unknown[]) => (users.length ? `* Here: ${users.map(clean).join(', ')}` : '* Nobody else is here yet.');

// The owner's controls, as everyone in the room sees them.
export const formatKicked = (username: unknown) => `* ${clean(username)} was removed by the owner`;
export const LOCKED = '* The owner locked the room: nobody new can join.';
export const UNLOCKED = '* The owner unlocked the room: people can join again.';
export const formatApproval = (on: unknown) =>
  on === true ? "* New people now need the owner's approval to join." : '* New people can join without asking the owner again.';
export const formatExtended = (expiresAt: unknown) => `* The room was given more time: it now vanishes at ${when(expiresAt)}.`;

/** An owner_changed event; `me`: who we are (the lines say "you" where it is us). */
export function formatOwnerChanged(
  e: { username?: unknown; member_id?: unknown; previous?: unknown; reason?: unknown },
  me: { memberId: string; username: string },
): string {
  const to = clean(e.username);
  const from = typeof e.previous === 'string' && e.previous ? clean(e.previous) : null;
  if (me.memberId && e.member_id === me.memberId) {
    const how = e.reason === 'owner_left' ? (from ? ` (${from} left)` : '') : from ? ` (${from} handed it over)` : '';
    return `* You are the room's owner now${how}; /help lists the owner's commands.`;
  }
  if (e.reason === 'owner_left') return from ? `* ${from} left; ${to} is the owner now.` : `* ${to} is the owner now.`;
  if (e.previous === me.username) return `* You handed the room over to ${to}.`;
  return from ? `* ${from} handed the room over to ${to}.` : `* ${to} is the owner now.`;
}

/** To the owner: someone asks to join, and how to answer. */
export const formatJoinRequest = (username: unknown) => {
  const name = clean(username);
  return `* ${name} asks to join — /approve ${name} or /deny ${name}`;
};
export const formatRequestClosed = (username: unknown, status: unknown) =>
  status === 'approved'
    ? `* ${clean(username)} was let in`
    : status === 'withdrawn'
      ? `* ${clean(username)} stopped waiting to join`
      : `* ${clean(username)} was turned away`;

export const EXPIRED = 'The room has expired. Everything in it is gone.';
export const DESTROYED = 'The room was destroyed by its owner. Everything in it is gone.';
export const NO_SUCH_ROOM = 'No such room: it does not exist or has already vanished.';
export const GONE = 'The room is gone (it expired or was destroyed). Everything in it is gone.';
