// Room pages: the chat itself, the join form, and the page for a room that is gone.
import { renderSVG } from 'uqr';
import type { Room } from '../rooms/types.ts';
import { ErrorList } from './layout.tsx';
import { MemberItems, MessageItem, type MessageView } from './fragments.tsx';

export type RoomPageProps = {
  room: Room;
  link: string;
  me: { memberId: string; username: string; owner: boolean };
  messages: MessageView[];
  users: string[];
  error?: string | null;
  /** The text of a refused message, back in the composer. */
  draft?: string | null;
};

/** The room link as a QR code: an SVG in a data: URL (the page's CSP allows data: images, not inline styles). */
export function qrDataUrl(link: string): string {
  return `data:image/svg+xml;base64,${Buffer.from(renderSVG(link, { border: 2 })).toString('base64')}`;
}

export function RoomPage({ room, link, me, messages, users, error, draft }: RoomPageProps) {
  const lastSeq = messages.length ? messages[messages.length - 1]!.seq : 0;
  // A room can last a day: when its messages are not all from today (UTC), times show their date too.
  const today = new Date().toISOString().slice(0, 10);
  const spansDays = messages.some((m) => m.timestamp.slice(0, 10) !== today);
  const wsAttrs = { 'hx-ws:connect': `/rooms/${room.id}/live?since=${lastSeq}` };
  return (
    <main class="room" id="room" data-room={room.id} data-me={me.memberId} data-my-name={me.username}>
      <div class="room-head">
        <div>
          <h1>{room.name}</h1>
          <p class="room-meta">
            <span>
              You are <strong>{me.username}</strong>
              {me.owner ? ' (owner)' : ''}
            </span>
            <span class="countdown-wrap" id="countdown-wrap">
              Vanishes in{' '}
              <time id="countdown" datetime={new Date(room.expiresAt).toISOString()} data-expires-at={String(room.expiresAt)}>
                {formatLeft(room.expiresAt - Date.now())}
              </time>
            </span>
            <span id="conn-status" class="conn" aria-live="polite"></span>
          </p>
        </div>
        <div class="room-actions">
          <label class="visually-hidden" for="room-link">
            Room link
          </label>
          <input id="room-link" class="link-box" readonly value={link} />
          <button type="button" id="copy-link" class="copy-link" data-link={link}>
            Copy link
          </button>
          <details class="qr">
            <summary>Show QR code</summary>
            <img class="qr-code" width="180" height="180" alt="QR code of the room link" src={qrDataUrl(link)} />
          </details>
        </div>
      </div>
      <div class="room-grid">
        <section class="chat" aria-label="Chat" {...wsAttrs}>
          {/* Without JavaScript this box scrolls (bottom first, see style.css); with it, the list itself does. */}
          <div class="scroller">
            <ol id="messages" class="messages" aria-live="polite" aria-relevant="additions">
              {messages.length === 0 && <li class="notice empty">No messages yet. Say hello — nothing here will last.</li>}
              {messages.map((m) => (
                <MessageItem m={m} mine={m.member_id === me.memberId} withDate={spansDays} />
              ))}
              {/* The place a reload (/rooms/{id}#latest) opens at, without JavaScript too. */}
              <li id="latest" class="anchor" aria-hidden="true"></li>
            </ol>
          </div>
          <p id="typing" class="typing" aria-live="polite"></p>
          <p id="chat-error" class="chat-error" role="alert"></p>
          {error && (
            <div class="alert" role="alert">
              {error}
            </div>
          )}
          <form id="composer" class="composer" method="post" action={`/rooms/${room.id}/messages`} hx-ws:send="">
            <input type="hidden" name="type" value="message" />
            <label for="content" class="visually-hidden">
              Message
            </label>
            <textarea
              id="content"
              name="content"
              rows={2}
              maxlength={2000}
              required
              placeholder="Write a message…"
              autocomplete="off"
              enterkeyhint="send"
              autofocus
            >
              {draft ?? ''}
            </textarea>
            <button type="submit" class="primary">
              Send
            </button>
          </form>
          <span hidden id="typing-signal" hx-ws:send="" hx-trigger="input from:#content throttle:2s" hx-vals='{"type":"typing"}'></span>
        </section>
        <aside class="side" aria-label="Room">
          <h2>
            People here (<span id="member-count">{String(users.length)}</span>)
          </h2>
          <ul id="members" class="members">
            <MemberItems users={users} />
          </ul>
          <p class="limits">
            Up to {room.maxUsers} people{room.passwordHash ? ' · password protected' : ''}
            {room.idleSeconds ? ` · vanishes after ${formatDuration(room.idleSeconds * 1000)} empty` : ''}
          </p>
          {me.owner ? (
            // Leaving gives the room up for good: the owner is asked first, on a page of its own.
            <a class="button" href={`/rooms/${room.id}/leave`}>
              Leave
            </a>
          ) : (
            <form method="post" action={`/rooms/${room.id}/leave`}>
              <button type="submit">Leave</button>
            </form>
          )}
          {me.owner && (
            <>
              {/* With JavaScript the form asks with confirm(); without, the link opens a page that asks. */}
              <form method="post" action={`/rooms/${room.id}/destroy`} id="destroy-form" class="js-only">
                <button type="submit" class="danger">
                  Destroy room
                </button>
              </form>
              <noscript>
                <a class="button danger" href={`/rooms/${room.id}/destroy`}>
                  Destroy room
                </a>
              </noscript>
            </>
          )}
        </aside>
      </div>
    </main>
  );
}

export type JoinPageProps = {
  room: Room;
  values?: Record<string, string>;
  errors?: Record<string, string> | null;
};

export function JoinPage({ room, values = {}, errors }: JoinPageProps) {
  const locked = !!room.passwordHash;
  const problems = Object.values(errors ?? {});
  const wrongPassword = problems.some((e) => /password/i.test(e));
  const badName = !!errors?.username || problems.some((e) => /\bname\b/i.test(e));
  const focusPassword = locked && !!values.username && !badName;
  return (
    <main class="narrow">
      <section class="card">
        <h1>{locked ? 'This room is password protected' : room.name}</h1>
        <p class="muted">
          {locked ? 'Enter the password to see the room.' : 'Pick a name to join the conversation.'} It vanishes in{' '}
          {formatDuration(room.expiresAt - Date.now())}.
        </p>
        <ErrorList errors={errors} />
        <form method="post" action={`/rooms/${room.id}/join`} class="stack">
          <div class="field">
            <label for="username">Your name</label>
            <input
              id="username"
              name="username"
              required
              maxlength={32}
              value={values.username ?? ''}
              autocomplete="nickname"
              autofocus={!focusPassword}
              {...(badName ? { 'aria-invalid': 'true' as const } : {})}
            />
          </div>
          {locked && (
            <div class="field">
              <label for="join-password">Password</label>
              <input
                id="join-password"
                name="password"
                type="password"
                required
                maxlength={128}
                autocomplete="current-password"
                autofocus={focusPassword}
                {...(errors?.password || wrongPassword ? { 'aria-invalid': 'true' as const } : {})}
              />
            </div>
          )}
          <button type="submit" class="primary">
            Join
          </button>
        </form>
      </section>
    </main>
  );
}

/** Asks before something that cannot be undone; works without JavaScript (a plain POST form and a way back). */
export function ConfirmPage({
  room,
  title,
  text,
  action,
  button,
}: {
  room: Room;
  title: string;
  text: string;
  action: string;
  button: string;
}) {
  return (
    <main class="narrow">
      <section class="card confirm">
        <h1>{title}</h1>
        <p>{text}</p>
        <p class="muted">Room: {room.name}</p>
        <form method="post" action={action} class="confirm-actions">
          <input type="hidden" name="confirmed" value="1" />
          <button type="submit" class="danger" autofocus>
            {button}
          </button>
          <a class="button" href={`/rooms/${room.id}#latest`}>
            Cancel
          </a>
        </form>
      </section>
    </main>
  );
}

export function GonePage() {
  return (
    <main class="narrow">
      <section class="card gone">
        <h1>This room is gone</h1>
        <p>It expired, was destroyed by its owner, or never existed. Nothing of it was kept.</p>
        <p>
          <a class="button primary" href="/">
            Create a new room
          </a>
        </p>
      </section>
    </main>
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

/** A duration in words for sentences ("10 minutes", "1 hour 5 minutes", "45 seconds"). */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const plural = (n: number, unit: string) => `${n} ${unit}${n === 1 ? '' : 's'}`;
  if (s < 60) return plural(s, 'second');
  const m = Math.round(s / 60);
  if (m < 60) return plural(m, 'minute');
  const h = Math.floor(m / 60);
  return m % 60 ? `${plural(h, 'hour')} ${plural(m % 60, 'minute')}` : plural(h, 'hour');
}
