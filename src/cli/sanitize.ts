// Terminal safety: text from the server is neutralised (control, escape and bidi characters made visible) before printing.

/**
 * Characters that must never reach a terminal raw: C0 controls (ESC, BEL, CR, BS, …), DEL, C1
 * controls (including the 8-bit CSI U+009B), and invisible direction or format characters that can
 * reorder or hide text (LRM/RLM, ALM, bidi embeddings/overrides/isolates, word joiners, BOM, line and
 * paragraph separators, interlinear annotations). ZWNJ/ZWJ (U+200C/U+200D) stay: emoji and scripts
 * need them and they cannot move or hide text.
 */
const UNSAFE = /[\u0000-\u001F\u007F-\u009F\u061C\u200B\u200E\u200F\u2028\u2029\u202A-\u202E\u2060-\u206F\uFEFF\uFFF9-\uFFFB]/g;

const visible = (ch: string): string => {
  const code = ch.charCodeAt(0);
  return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
};

/** One line of safe text: every unsafe character (newlines and tabs too) becomes a visible escape such as `\x1b`. */
export function clean(value: unknown): string {
  const text = typeof value === 'string' ? value : value === null || value === undefined ? '' : String(value);
  return text.toWellFormed().replace(UNSAFE, visible);
}

/**
 * Multi-line safe text: splits on `\n` (and `\r\n`), so a message keeps its line breaks, while a lone
 * `\r` (which would overwrite the line on screen) and every other control character is escaped.
 * Tabs become spaces.
 */
export function cleanLines(value: unknown): string[] {
  const text = typeof value === 'string' ? value : clean(value);
  return text.split(/\r?\n/).map((line) => clean(line.replace(/\t/g, '    ')));
}
