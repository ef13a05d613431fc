// End-to-end encrypted rooms in the terminal client: the room key (from the link's #k=…) stays in this
// process, never sent or printed; texts are sealed and opened with src/e2e/envelope.ts, as browsers do.
import { decrypt, encrypt, importRoomKey } from '../e2e/envelope.ts';

/** What a message (or name) shows as when this key cannot open it. */
export const UNREADABLE = '[cannot be decrypted]';

/** An encrypted room opened without its key: nothing is joined, nothing sent. */
export const NEEDS_KEY = 'Not joined — this room is end-to-end encrypted: use the full link, ending in #k=…';

/** The key in the link does not open the room's name: it is not this room's key. */
export const WRONG_KEY =
  'Not joined — the key in this link does not open this room (end-to-end encrypted): check that you have the whole link, ending in #k= and 43 more characters.';

/** A key given for a room that is not encrypted: said once, so nobody believes the server cannot read it. */
export const NOT_ENCRYPTED =
  '! This room is not end-to-end encrypted: the key in the link is not used, and the server can read what is written here.';

/** The plaintext limit of a message (the server can only check the envelope's size: this client checks the text). */
const MAX_CHARS = 2000;
/** C0/C1 control characters except tab and newline: the server refuses them in plain text, so they are not sealed either. */
const CONTROL = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/;

export type Sealer = {
  /** An envelope of `text` (a fresh nonce each time). */
  seal(text: string): Promise<string>;
  /** The text in an envelope, or UNREADABLE when it is not one or this key cannot open it. */
  open(content: unknown): Promise<string>;
  /** The text in an envelope, or null. */
  tryOpen(content: unknown): Promise<string | null>;
};

/** The sealer of a room key (43 base64url characters, as in the link). */
export async function roomSealer(key: string): Promise<Sealer> {
  const cryptoKey = await importRoomKey(key);
  const tryOpen = async (content: unknown) => (typeof content === 'string' ? decrypt(cryptoKey, content) : null);
  return {
    seal: (text) => encrypt(cryptoKey, text),
    tryOpen,
    open: async (content) => (await tryOpen(content)) ?? UNREADABLE,
  };
}

/**
 * Why an outgoing (trimmed) text cannot be sealed, or null when it can: the same rules the server applies
 * to plain messages, which it cannot check in an encrypted room.
 */
export function outgoingProblem(text: string): string | null {
  if (!text) return 'Not sent: the message is empty.';
  if (!text.isWellFormed()) return 'Not sent: the message must be valid Unicode text.';
  if (text.length > MAX_CHARS) return `Not sent: a message must be at most ${MAX_CHARS} characters (this one has ${text.length}).`;
  if (CONTROL.test(text)) return 'Not sent: a message must not contain control characters.';
  return null;
}
