// Names as people read them: what a name may contain, and the one key two names are compared by.
import { confusablesMap } from 'confusables';

/**
 * Characters a name may not contain: controls (Cc), format characters (Cf: zero-width, bidi controls,
 * tags, soft hyphen, word joiner…), every default-ignorable code point (variation selectors, Hangul
 * fillers, …), lone surrogates (Cs), and line and paragraph separators. All come from Unicode's own
 * properties, not a list of ours.
 */
export const INVISIBLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}\p{Default_Ignorable_Code_Point}]/u;

/** True when the string has no lone surrogate (it can be encoded as UTF-8 as it is). */
export const wellFormed = (s: string) => s.isWellFormed();

// A join compares the new name with every seat's (~1 µs a key): the keys of recent names are kept.
const MEMO_SIZE = 10_000;
const memo = new Map<string, string>();

/**
 * The key two names are compared by, for uniqueness in a room and for account reservation: NFKC,
 * lower case, then each character that looks like a Latin letter or digit replaced by it (the table of
 * the `confusables` package: Cyrillic "а" and Greek "α" → "a", "ѕ" → "s"), lower-cased again, runs of
 * spaces as one. Two names with the same key look alike and clash. Marks are kept (unlike the package's
 * remove(), which drops them), so names in scripts where a mark makes another name stay apart.
 *
 * The same function runs everywhere a name is compared (seats, the Redis claim script's argument,
 * account keys, the service's own-name check), so the stores can never disagree.
 */
export function nameKey(name: string): string {
  let key = memo.get(name);
  if (key === undefined) {
    let out = '';
    for (const ch of name.toWellFormed().normalize('NFKC').toLowerCase()) out += confusablesMap.get(ch) ?? ch;
    key = out.toLowerCase().replace(/\s+/g, ' ').trim();
    if (memo.size >= MEMO_SIZE) memo.clear();
    memo.set(name, key);
  }
  return key;
}
