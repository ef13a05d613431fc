// End-to-end encryption of a room's text: AES-256-GCM with a key that lives only in the link's fragment
// (#k=…). The envelope format, shared by the server (shape checks), the terminal client and the tests;
// static/e2e.js does the same in browsers. Format: `e2e1.<nonce>.<ciphertext>`, both base64url without
// padding: a fresh 12-byte nonce per text, and the AES-GCM output (ciphertext and its 16-byte tag).

export const ENVELOPE_PREFIX = 'e2e1';
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;

/** base64url characters for n bytes (no padding). */
const b64Length = (bytes: number) => Math.ceil((bytes * 4) / 3);

/** The longest envelope for a text of at most `maxChars` UTF-16 units (at most 3 UTF-8 bytes each). */
export const envelopeMaxLength = (maxChars: number) =>
  ENVELOPE_PREFIX.length + 1 + b64Length(NONCE_BYTES) + 1 + b64Length(maxChars * 3 + TAG_BYTES);

/** An envelope's shape: version, a 12-byte nonce, and a ciphertext of at least one byte plus its tag. */
export const ENVELOPE_SHAPE = new RegExp(
  `^${ENVELOPE_PREFIX}\\.[A-Za-z0-9_-]{${b64Length(NONCE_BYTES)}}\\.[A-Za-z0-9_-]{${b64Length(1 + TAG_BYTES)},}$`,
);

export const isEnvelope = (text: string, maxChars: number) => text.length <= envelopeMaxLength(maxChars) && ENVELOPE_SHAPE.test(text);

/** A room key as it sits in the link: `#k=<43 base64url characters>`. */
const KEY_IN_FRAGMENT = /(?:^#|[#&])k=([A-Za-z0-9_-]{43})(?:&|$)/;

const toB64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');
const fromB64 = (text: string) => new Uint8Array(Buffer.from(text, 'base64url'));

/** A new random room key, as base64url (what follows `#k=`). */
export function newRoomKey(): string {
  return toB64(crypto.getRandomValues(new Uint8Array(KEY_BYTES)));
}

/** The key from a room link's fragment, or null. */
export function keyFromLink(link: string): string | null {
  const hash = link.includes('#') ? link.slice(link.indexOf('#')) : '';
  return hash.match(KEY_IN_FRAGMENT)?.[1] ?? null;
}

export async function importRoomKey(key: string): Promise<CryptoKey> {
  const raw = fromB64(key);
  if (raw.length !== KEY_BYTES) throw new Error('a room key is 32 bytes');
  return crypto.subtle.importKey('raw', raw, { name: 'AES-GCM' }, false, ['encrypt', 'decrypt']);
}

export async function encrypt(key: CryptoKey, text: string): Promise<string> {
  const nonce = crypto.getRandomValues(new Uint8Array(NONCE_BYTES));
  const sealed = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv: nonce }, key, new TextEncoder().encode(text)));
  return `${ENVELOPE_PREFIX}.${toB64(nonce)}.${toB64(sealed)}`;
}

/** The text in an envelope, or null when it is not one or this key cannot open it. */
export async function decrypt(key: CryptoKey, envelope: string): Promise<string | null> {
  const [version, nonce, sealed] = envelope.split('.');
  if (version !== ENVELOPE_PREFIX || !nonce || !sealed) return null;
  try {
    const plain = await crypto.subtle.decrypt({ name: 'AES-GCM', iv: fromB64(nonce) }, key, fromB64(sealed));
    return new TextDecoder('utf-8', { fatal: true }).decode(plain);
  } catch {
    return null;
  }
}
