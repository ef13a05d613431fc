// The pieces of a room page that also travel over the /live socket as HTML fragments.
import { raw } from 'hono/html';
import { find as findLinks } from 'linkifyjs';
import type { RoomEvent } from '../realtime/events.ts';

export type MessageView = {
  seq: number;
  username: string;
  member_id: string;
  content: string;
  timestamp: string;
  verified: boolean;
};

/** A time as the page shows it without JavaScript ("14:05 UTC", or "2026-11-30 14:05 UTC"); app.js shows local time. */
const hhmm = (iso: string, withDate = false) => `${withDate ? `${iso.slice(0, 10)} ` : ''}${iso.slice(11, 16)} UTC`;

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
/** Escapes text for HTML content and quoted attributes. */
export const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (ch) => ESCAPES[ch]!);

const MAYBE_LINK = /http|www\./i;
const LINK_START = /^(?:https?:\/\/|www\.)/i;
const LINK_ATTRS = 'rel="noopener noreferrer nofollow ugc" target="_blank"';

/**
 * A message's text as HTML: escaped, with its http(s) URLs (and www. names) as links. linkifyjs only finds them;
 * every piece, the link text and the href too, goes through escapeHtml. Only text that could hold a link is scanned.
 */
export function linkifyHtml(text: string): string {
  if (!MAYBE_LINK.test(text)) return escapeHtml(text);
  let out = '';
  let at = 0;
  for (const link of findLinks(text, 'url')) {
    if (!LINK_START.test(link.value)) continue;
    let href: URL;
    try {
      href = new URL(link.href);
    } catch {
      continue;
    }
    if (href.protocol !== 'http:' && href.protocol !== 'https:') continue;
    out += `${escapeHtml(text.slice(at, link.start))}<a href="${escapeHtml(href.href)}" ${LINK_ATTRS}>${escapeHtml(link.value)}</a>`;
    at = link.end;
  }
  return out + escapeHtml(text.slice(at));
}

/**
 * One chat message as HTML. A template, not JSX: it is rendered for every message that goes out on
 * /live (once per room), where hono/jsx costs ten times as much. Every value is escaped.
 */
export function messageHtml(m: MessageView, mine = false, withDate = false): string {
  const verified = m.verified ? '<span class="verified" title="Registered account" aria-label="verified">✓</span>' : '';
  return (
    `<li class="${mine ? 'msg mine' : 'msg'}" id="msg-${m.seq}" data-seq="${m.seq}" data-member="${escapeHtml(m.member_id)}">` +
    `<div class="msg-head"><span class="who">${escapeHtml(m.username)}</span>${verified}` +
    `<time datetime="${escapeHtml(m.timestamp)}">${hhmm(m.timestamp, withDate)}</time></div>` +
    `<p class="body" dir="auto">${linkifyHtml(m.content)}</p></li>`
  );
}

export function MessageItem({ m, mine, withDate }: { m: MessageView; mine?: boolean; withDate?: boolean }) {
  return raw(messageHtml(m, mine, withDate));
}

export function Notice({ text, timestamp }: { text: string; timestamp: string }) {
  return (
    <li class="notice">
      <span>{text}</span> <time datetime={timestamp}>{hhmm(timestamp)}</time>
    </li>
  );
}

export function MemberItems({ users }: { users: string[] }) {
  return (
    <>
      {users.map((u) => (
        <li>{u}</li>
      ))}
    </>
  );
}

export function EndedNotice({ kind }: { kind: 'room_expired' | 'room_destroyed' }) {
  return (
    <div id="composer" class="ended" role="status">
      <strong>{kind === 'room_expired' ? 'This room has expired.' : 'The owner destroyed this room.'}</strong> Every message is gone.{' '}
      <a href="/">Start a new room</a>
    </div>
  );
}

/** The HTML fragment for one event on the /live socket, rendered once per room. */
export function renderLive(event: RoomEvent): string | null {
  switch (event.type) {
    case 'message':
      return `<hx-partial hx-target="#messages" hx-swap="beforeend">${messageHtml(event)}</hx-partial>`;
    case 'user_joined':
    case 'user_left':
      return (
        <>
          <hx-partial hx-target="#messages" hx-swap="beforeend">
            <Notice text={`${event.username} ${event.type === 'user_joined' ? 'joined' : 'left'}`} timestamp={event.timestamp} />
          </hx-partial>
          <hx-partial hx-target="#members" hx-swap="innerHTML">
            <MemberItems users={event.users} />
          </hx-partial>
          <hx-partial hx-target="#member-count" hx-swap="innerHTML">
            {String(event.users.length)}
          </hx-partial>
        </>
      ).toString();
    case 'typing':
      return (
        <hx-partial hx-target="#typing" hx-swap="innerHTML">
          <span data-member={event.member_id}>{event.username} is typing…</span>
        </hx-partial>
      ).toString();
    case 'room_expired':
    case 'room_destroyed':
      return (
        <>
          <hx-partial hx-target="#composer" hx-swap="outerHTML">
            <EndedNotice kind={event.type} />
          </hx-partial>
          {/* One clear state: the messages and the people are gone too, and the tab says so. */}
          <hx-partial hx-target="#messages" hx-swap="innerHTML">
            <li class="notice ended-notice">The room has ended. Nothing of it was kept.</li>
          </hx-partial>
          <hx-partial hx-target="#members" hx-swap="innerHTML"></hx-partial>
          <hx-partial hx-target="#member-count" hx-swap="innerHTML">
            0
          </hx-partial>
          <hx-partial hx-target="title" hx-swap="innerHTML">
            Room ended · mayfly
          </hx-partial>
        </>
      ).toString();
  }
}

/**
 * A refusal shown under the composer (bad frame, too fast, storage down). `refused`: a message the
 * person sent was not taken (data-refused: app.js puts its text back into the composer).
 */
export function renderError(message: string, refused = false): string {
  return (
    <hx-partial hx-target="#chat-error" hx-swap="innerHTML">
      <span data-refused={refused ? '' : undefined}>{message}</span>
    </hx-partial>
  ).toString();
}

/** The /live catch-up after a (re)connect: the messages the page does not have yet. */
export function renderCatchUp(messages: MessageView[]): string | null {
  if (messages.length === 0) return null;
  return `<hx-partial hx-target="#messages" hx-swap="beforeend">${messages.map((m) => messageHtml(m)).join('')}</hx-partial>`;
}

declare module 'hono/jsx' {
  namespace JSX {
    interface IntrinsicElements {
      'hx-partial': { 'hx-target': string; 'hx-swap': string; children?: unknown };
    }
  }
}
