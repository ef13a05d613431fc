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

export const formatJoined = (username: unknown) => `* ${clean(username)} joined`;
export const formatLeft = (username: unknown) => `* ${clean(username)} left`;
export const formatTyping = (username: unknown) => `${clean(username)} is typing…`;
export const formatError = (message: unknown) => `! ${clean(message)}`;
export const formatUsers = (users: unknown[]) => (users.length ? `* Here: ${users.map(clean).join(', ')}` : '* Nobody else is here yet.');

export const EXPIRED = 'The room has expired. Everything in it is gone.';
export const DESTROYED = 'The room was destroyed by its owner. Everything in it is gone.';
export const NO_SUCH_ROOM = 'No such room: it does not exist or has already vanished.';
export const GONE = 'The room is gone (it expired or was destroyed). Everything in it is gone.';
