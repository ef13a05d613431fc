// Command line of the terminal client: options, and a room link or id turned into a server and room id
// (and, for an end-to-end encrypted room, the key from the link's fragment, which is kept and never sent).
import { keyFromLink } from '../e2e/envelope.ts';

export const DEFAULT_SERVER = 'http://127.0.0.1:3000';

export const USAGE = `Usage: bun run chat <room link or id> [options]

  <room link or id>   a link such as https://chat.example.com/rooms/<id>, or the bare 21-character id;
                      an end-to-end encrypted room needs its full link, ending in #k=<key> (quote it for
                      the shell): the key stays on this computer, and every message is sealed with it

Options:
  --name NAME         your name in the room (asked for when omitted on a terminal; else guest-XXXX)
  --password PW       the room password (or set MAYFLY_ROOM_PASSWORD; asked for on a terminal)
  --server URL        the server for a bare id (default: $MAYFLY_SERVER or ${DEFAULT_SERVER})
  --login             sign in to your account first (password asked for, or $MAYFLY_ACCOUNT_PASSWORD)
  --owner-token TOKEN the owner_token from creating the room over the API (or set MAYFLY_OWNER_TOKEN):
                      you join as the room's owner (the token then stops working: one owner at a time)
  -h, --help          show this help

In the room: type a line and press Enter to send it; /who lists who is here; /help lists the commands
(the owner's too: /kick, /lock, /approve, /extend, /owner, …); /quit (or Ctrl-D) leaves.
In a room that asks its owner, the client waits until the owner lets you in.`;

export type Options = {
  server: string;
  roomId: string;
  name?: string;
  password?: string;
  /** The room's owner_token: the client makes itself the owner after joining. */
  ownerToken?: string;
  login: boolean;
  /**
   * The room key from the link's fragment (#k=…), for an end-to-end encrypted room: kept in this
   * process only, never part of a URL the client requests, never printed.
   */
  key?: string;
};

export type ParsedArgs = { kind: 'help' } | { kind: 'error'; message: string } | { kind: 'ok'; options: Options };

const ROOM_ID = /^[A-Za-z0-9_-]{21}$/;
const ROOM_PATH = /^(.*?)\/rooms\/([A-Za-z0-9_-]{21})(?:\/(?:ws|live|join|messages))?\/?$/;

/** The base URL of a server (`http(s)://host[:port][/prefix]`, no trailing slash), or null when it is not one. */
export function normaliseServer(value: string): string | null {
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    return null;
  }
  if (url.protocol === 'ws:' || url.protocol === 'wss:') url = new URL(value.trim().replace(/^ws/i, 'http'));
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  return (url.origin + url.pathname).replace(/\/+$/, '');
}

/** A room link (http, https, or a ws_url) or a bare id: the server it lives on and its id; null when it is neither. */
export function parseRoomRef(ref: string, defaultServer: string): { server: string; roomId: string } | null {
  const trimmed = ref.trim();
  if (ROOM_ID.test(trimmed)) return { server: defaultServer, roomId: trimmed };
  let url: URL;
  try {
    url = new URL(trimmed.replace(/^ws(s?):/i, 'http$1:'));
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  const match = url.pathname.match(ROOM_PATH);
  if (!match) return null;
  return { server: (url.origin + match[1]).replace(/\/+$/, ''), roomId: match[2]! };
}

/** Parses argv (without the runtime and script); `env` supplies MAYFLY_SERVER, MAYFLY_ROOM_PASSWORD and MAYFLY_OWNER_TOKEN. */
export function parseArgs(argv: string[], env: Record<string, string | undefined> = {}): ParsedArgs {
  const positional: string[] = [];
  const values: Record<string, string> = {};
  let login = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (arg === '-h' || arg === '--help') return { kind: 'help' };
    if (arg === '--login') {
      login = true;
      continue;
    }
    const option = arg.match(/^--(name|password|server|owner-token)(?:=(.*))?$/s);
    if (option) {
      const key = option[1]!;
      let value = option[2];
      if (value === undefined) {
        value = argv[++i];
        if (value === undefined) return { kind: 'error', message: `--${key} needs a value.` };
      }
      values[key] = value;
      continue;
    }
    // A room id may itself start with '-' (nanoid's alphabet): 21 id characters are never an option.
    if (arg.startsWith('-') && arg.length > 1 && !ROOM_ID.test(arg)) return { kind: 'error', message: `Unknown option ${arg}.` };
    positional.push(arg);
  }
  if (positional.length === 0) return { kind: 'error', message: 'Give the room link or id.' };
  if (positional.length > 1) return { kind: 'error', message: `Give one room link or id (got ${positional.length} arguments).` };

  const serverValue = values.server ?? env.MAYFLY_SERVER ?? DEFAULT_SERVER;
  const server = normaliseServer(serverValue);
  if (!server)
    return {
      kind: 'error',
      message: `The server must be an http(s) URL such as ${DEFAULT_SERVER} (got "${withoutFragment(serverValue)}").`,
    };
  // The fragment (#k=<key>) is taken off here: only the link before it names the server and the room.
  const link = positional[0]!;
  const hashAt = link.indexOf('#');
  const fragment = hashAt < 0 ? '' : link.slice(hashAt);
  const roomKey = keyFromLink(link);
  if (!roomKey && /(?:^#|[#&])k=/.test(fragment)) {
    return { kind: 'error', message: 'The key in the link (after #k=) is not whole: a room key is 43 characters. Copy the full link.' };
  }
  const ref = parseRoomRef(hashAt < 0 ? link : link.slice(0, hashAt), server);
  if (!ref) return { kind: 'error', message: `"${withoutFragment(link)}" is not a mayfly room link or id (ids are 21 characters).` };

  const name = values.name?.trim();
  if (values.name !== undefined && !name) return { kind: 'error', message: '--name must not be empty.' };
  const password = values.password ?? (env.MAYFLY_ROOM_PASSWORD || undefined);
  const ownerToken = (values['owner-token'] ?? env.MAYFLY_OWNER_TOKEN ?? '').trim();
  if (values['owner-token'] !== undefined && !ownerToken) return { kind: 'error', message: '--owner-token must not be empty.' };
  return {
    kind: 'ok',
    options: {
      ...ref,
      login,
      ...(name ? { name } : {}),
      ...(password !== undefined ? { password } : {}),
      ...(ownerToken ? { ownerToken } : {}),
      ...(roomKey ? { key: roomKey } : {}),
    },
  };
}

/** A link as it may be shown: whatever follows `#` (a room key) becomes `#…`. */
export const withoutFragment = (text: string) => (text.includes('#') ? `${text.slice(0, text.indexOf('#'))}#…` : text);
