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
export function messageHtml(m: MessageView, mine = false, withDate = false, e2e = false): string {
  const verified = m.verified ? '<span class="verified" title="Registered account" aria-label="verified">✓</span>' : '';
  // An encrypted room's message travels as its envelope, for static/e2e.js to open in place.
  const body = e2e
    ? `<p class="body" dir="auto" data-e2e="${escapeHtml(m.content)}">${ENCRYPTED_TEXT}</p>`
    : `<p class="body" dir="auto">${linkifyHtml(m.content)}</p>`;
  return (
    `<li class="${mine ? 'msg mine' : 'msg'}" id="msg-${m.seq}" data-seq="${m.seq}" data-member="${escapeHtml(m.member_id)}">` +
    `<div class="msg-head"><span class="who">${escapeHtml(m.username)}</span>${verified}` +
    `<time datetime="${escapeHtml(m.timestamp)}">${hhmm(m.timestamp, withDate)}</time></div>${body}</li>`
  );
}

/** What an encrypted text reads until the page opens it (and for good, without the key). */
const ENCRYPTED_TEXT = 'Encrypted message';

export function MessageItem({ m, mine, withDate, e2e }: { m: MessageView; mine?: boolean; withDate?: boolean; e2e?: boolean }) {
  return raw(messageHtml(m, mine, withDate, e2e));
}

/** A room's name on a page: an encrypted room's as its envelope, which static/e2e.js opens in place. */
export function RoomName({ room }: { room: { name: string; e2e?: boolean } }) {
  if (!room.e2e) return <>{room.name}</>;
  return (
    <span class="e2e-name" data-e2e={room.name}>
      Encrypted room
    </span>
  );
}

/** A room's name where only text goes (a tab title): an encrypted one's is not shown. */
export const plainRoomName = (room: { name: string; e2e?: boolean }) => (room.e2e ? 'Encrypted room' : room.name);

export function Notice({ text, timestamp }: { text: string; timestamp: string }) {
  return (
    <li class="notice">
      <span>{text}</span> <time datetime={timestamp}>{hhmm(timestamp)}</time>
    </li>
  );
}

/**
 * The people here. Each name carries the owner's actions (remove, make owner): the list also travels
 * to everyone over /live, so they are in every copy and shown only on the owner's page (#room[data-owner],
 * style.css). `me`: the reader's own name, which gets none (app.js marks it on lists that arrive live).
 */
export function MemberItems({ users, roomId, me }: { users: string[]; roomId: string; me?: string }) {
  return (
    <>
      {users.map((u) => (
        <li data-name={u} class={u === me ? 'me' : undefined}>
          <span class="member-name">{u}</span>
          {u !== me && (
            <span class="member-actions">
              <form method="post" action={`/rooms/${roomId}/kick`} hx-ws:send="" class="inline">
                <input type="hidden" name="type" value="kick" />
                <input type="hidden" name="username" value={u} />
                <button
                  type="submit"
                  class="small danger"
                  aria-label={`Remove ${u}`}
                  title="Remove from the room (their name cannot come back)"
                >
                  Remove
                </button>
              </form>
              <form method="post" action={`/rooms/${roomId}/owner`} hx-ws:send="" class="inline">
                <input type="hidden" name="type" value="owner" />
                <input type="hidden" name="username" value={u} />
                <button type="submit" class="small" aria-label={`Make ${u} the owner`} title="Hand the room over">
                  Make owner
                </button>
              </form>
            </span>
          )}
        </li>
      ))}
    </>
  );
}

/** The lock badge in the room's header, for everyone. */
export function LockState({ locked }: { locked: boolean }) {
  return (
    <span id="lock-state" class="badge lock" hidden={!locked}>
      Locked
    </span>
  );
}

/** The owner's lock switch. */
export function LockControl({ roomId, locked }: { roomId: string; locked: boolean }) {
  const verb = locked ? 'unlock' : 'lock';
  return (
    <form id="lock-control" method="post" action={`/rooms/${roomId}/${verb}`} hx-ws:send="" class="owner-control">
      <input type="hidden" name="type" value={verb} />
      <button type="submit" aria-pressed={locked ? 'true' : 'false'}>
        {locked ? 'Unlock the room' : 'Lock the room'}
      </button>
      <small>{locked ? 'Nobody new can join.' : 'Anyone with the link can join.'}</small>
    </form>
  );
}

/** The owner's switch for asking before each join. */
export function ApprovalControl({ roomId, on }: { roomId: string; on: boolean }) {
  return (
    <form id="approval-control" method="post" action={`/rooms/${roomId}/approval`} hx-ws:send="" class="owner-control">
      <input type="hidden" name="type" value="approval" />
      <input type="hidden" name="approve_joins" value={on ? 'off' : 'on'} />
      <button type="submit" aria-pressed={on ? 'true' : 'false'}>
        {on ? 'Let people in freely' : 'Approve each join'}
      </button>
      <small>{on ? 'You approve each person who asks to join.' : 'People join without asking.'}</small>
    </form>
  );
}

/** The room's countdown: app.js counts it down; a new end (the owner added time) replaces it. */
export function Countdown({ expiresAt }: { expiresAt: number }) {
  return (
    <time id="countdown" datetime={new Date(expiresAt).toISOString()} data-expires-at={String(expiresAt)}>
      {formatLeft(expiresAt - Date.now())}
    </time>
  );
}

export type RequestView = { request_id: string; username: string; expires_at: string };

/** One request to join, on the owner's page, with its answers. */
export function RequestItem({ roomId, r }: { roomId: string; r: RequestView }) {
  const base = `/rooms/${roomId}/requests/${r.request_id}`;
  return (
    <li id={`req-${r.request_id}`} class="request" data-until={String(Date.parse(r.expires_at))}>
      <span class="request-name">{r.username}</span>
      <span class="request-actions">
        <form method="post" action={`${base}/approve`} hx-ws:send="" class="inline">
          <input type="hidden" name="type" value="approve" />
          <input type="hidden" name="request_id" value={r.request_id} />
          <button type="submit" class="small primary" aria-label={`Let ${r.username} in`}>
            Approve
          </button>
        </form>
        <form method="post" action={`${base}/deny`} hx-ws:send="" class="inline">
          <input type="hidden" name="type" value="deny" />
          <input type="hidden" name="request_id" value={r.request_id} />
          <button type="submit" class="small" aria-label={`Turn ${r.username} away`}>
            Deny
          </button>
        </form>
      </span>
    </li>
  );
}

export function formatLeft(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (h > 0) return `${h}h ${String(m).padStart(2, '0')}m`;
  return `${m}:${String(sec).padStart(2, '0')}`;
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
export function renderLive(event: RoomEvent, room: { e2e: boolean } = { e2e: false }): string | null {
  switch (event.type) {
    case 'message':
      return `<hx-partial hx-target="#messages" hx-swap="beforeend">${messageHtml(event, false, false, room.e2e)}</hx-partial>`;
    case 'user_joined':
    case 'user_left':
    case 'user_kicked': {
      const did = event.type === 'user_joined' ? 'joined' : event.type === 'user_left' ? 'left' : 'was removed by the owner';
      return (
        <>
          <hx-partial hx-target="#messages" hx-swap="beforeend">
            <Notice text={`${event.username} ${did}`} timestamp={event.timestamp} />
          </hx-partial>
          <hx-partial hx-target="#members" hx-swap="innerHTML">
            <MemberItems users={event.users} roomId={event.room_id} />
          </hx-partial>
          <hx-partial hx-target="#member-count" hx-swap="innerHTML">
            {String(event.users.length)}
          </hx-partial>
        </>
      ).toString();
    }
    case 'room_locked':
    case 'room_unlocked': {
      const locked = event.type === 'room_locked';
      return (
        <>
          <hx-partial hx-target="#messages" hx-swap="beforeend">
            <Notice
              text={locked ? 'The owner locked the room: nobody new can join.' : 'The owner unlocked the room.'}
              timestamp={event.timestamp}
            />
          </hx-partial>
          <hx-partial hx-target="#lock-state" hx-swap="outerHTML">
            <LockState locked={locked} />
          </hx-partial>
          <hx-partial hx-target="#lock-control" hx-swap="outerHTML">
            <LockControl roomId={event.room_id} locked={locked} />
          </hx-partial>
        </>
      ).toString();
    }
    case 'approval_changed':
      return (
        <>
          <hx-partial hx-target="#messages" hx-swap="beforeend">
            <Notice
              text={event.approve_joins ? 'The owner now approves each person who joins.' : 'People can join without asking again.'}
              timestamp={event.timestamp}
            />
          </hx-partial>
          <hx-partial hx-target="#approval-control" hx-swap="outerHTML">
            <ApprovalControl roomId={event.room_id} on={event.approve_joins} />
          </hx-partial>
        </>
      ).toString();
    case 'room_extended': {
      const until = Date.parse(event.expires_at);
      return (
        <>
          <hx-partial hx-target="#messages" hx-swap="beforeend">
            <Notice text="The owner added time: the countdown shows the new end." timestamp={event.timestamp} />
          </hx-partial>
          <hx-partial hx-target="#countdown" hx-swap="outerHTML">
            <Countdown expiresAt={until} />
          </hx-partial>
        </>
      ).toString();
    }
    case 'owner_changed':
      return (
        <>
          <hx-partial hx-target="#messages" hx-swap="beforeend">
            <Notice
              text={
                event.reason === 'owner_left'
                  ? `${event.previous ?? 'The owner'} left: ${event.username} is the owner now.`
                  : event.reason === 'unowned'
                    ? `Nobody owned this room: ${event.username}, the first to join since, is the owner now.`
                    : `${event.previous ?? 'The owner'} made ${event.username} the owner.`
              }
              timestamp={event.timestamp}
            />
          </hx-partial>
          {/* app.js reloads the page of the new owner and of the one before, whose controls change. */}
          <hx-partial hx-target="#owner-name" hx-swap="outerHTML">
            <strong id="owner-name" data-member={event.member_id}>
              {event.username}
            </strong>
          </hx-partial>
        </>
      ).toString();
    case 'join_request':
      return (
        <>
          <hx-partial hx-target="#requests" hx-swap="beforeend">
            <RequestItem roomId={event.room_id} r={event} />
          </hx-partial>
          <hx-partial hx-target="#messages" hx-swap="beforeend">
            <Notice text={`${event.username} asks to join: answer under Owner controls.`} timestamp={event.timestamp} />
          </hx-partial>
        </>
      ).toString();
    case 'join_request_closed':
      return (
        <>
          <hx-partial hx-target={`#req-${event.request_id}`} hx-swap="delete">
            {''}
          </hx-partial>
          <hx-partial hx-target="#messages" hx-swap="beforeend">
            <Notice
              text={
                event.status === 'approved'
                  ? `You let ${event.username} in.`
                  : event.status === 'denied'
                    ? `You turned ${event.username} away.`
                    : `${event.username} stopped waiting to join.`
              }
              timestamp={event.timestamp}
            />
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
export function renderCatchUp(messages: MessageView[], e2e = false): string | null {
  if (messages.length === 0) return null;
  return `<hx-partial hx-target="#messages" hx-swap="beforeend">${messages.map((m) => messageHtml(m, false, false, e2e)).join('')}</hx-partial>`;
}

declare module 'hono/jsx' {
  namespace JSX {
    interface IntrinsicElements {
      'hx-partial': { 'hx-target': string; 'hx-swap': string; children?: unknown };
    }
  }
}
