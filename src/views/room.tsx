// Room pages: the chat itself, the join form, and the page for a room that is gone.
import { renderSVG } from 'uqr';
import type { Room } from '../rooms/types.ts';
import { ErrorList } from './layout.tsx';
import {
  ApprovalControl,
  Countdown,
  LockControl,
  LockState,
  MemberItems,
  MessageItem,
  type MessageView,
  RoomName,
  RequestItem,
  type RequestView,
} from './fragments.tsx';

export type RoomPageProps = {
  room: Room;
  link: string;
  me: { memberId: string; username: string; owner: boolean };
  messages: MessageView[];
  users: string[];
  error?: string | null;
  /** The text of a refused message, back in the composer. */
  draft?: string | null;
  /** For the owner: requests to join waiting for an answer. */
  requests?: RequestView[];
  /** For the owner: the latest the room can be extended to (epoch ms). */
  latest?: number;
};

/** Time an owner can add at once, in seconds, with its words. */
const EXTEND_CHOICES: Array<[number, string]> = [
  [600, '10 minutes'],
  [1800, '30 minutes'],
  [3600, '1 hour'],
  [6 * 3600, '6 hours'],
  [86400, '1 day'],
];

/** The room link as a QR code: an SVG in a data: URL (the page's CSP allows data: images, not inline styles). */
export function qrDataUrl(link: string): string {
  return `data:image/svg+xml;base64,${Buffer.from(renderSVG(link, { border: 2 })).toString('base64')}`;
}

export function RoomPage({ room, link, me, messages, users, error, draft, requests = [], latest }: RoomPageProps) {
  const lastSeq = messages.length ? messages[messages.length - 1]!.seq : 0;
  // A room can last a day: when its messages are not all from today (UTC), times show their date too.
  const today = new Date().toISOString().slice(0, 10);
  const spansDays = messages.some((m) => m.timestamp.slice(0, 10) !== today);
  const wsAttrs = { 'hx-ws:connect': `/rooms/${room.id}/live?since=${lastSeq}` };
  return (
    <main
      class="room"
      id="room"
      data-room={room.id}
      data-me={me.memberId}
      data-my-name={me.username}
      data-owner={me.owner ? '' : undefined}
      data-e2e-room={room.e2e ? '' : undefined}
      {...wsAttrs}
    >
      <div class="room-head">
        <div>
          <h1>
            <RoomName room={room} />
          </h1>
          <p class="room-meta">
            <span>
              You are <strong>{me.username}</strong>
              {me.owner ? ' (owner)' : ''}
            </span>
            {/* The owner's page keeps it hidden; a new owner's name replaces it live (app.js reloads whose controls change). */}
            <span hidden={me.owner}>
              Owner: <strong id="owner-name">{room.ownerName}</strong>
            </span>
            <span class="countdown-wrap" id="countdown-wrap">
              Vanishes in <Countdown expiresAt={room.expiresAt} />
            </span>
            <LockState locked={!!room.locked} />
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
          {/* An encrypted room's key is added to the link in the browser, which a QR code made here would lack. */}
          {!room.e2e && (
            <details class="qr">
              <summary>Show QR code</summary>
              <img class="qr-code" width="180" height="180" alt="QR code of the room link" src={qrDataUrl(link)} />
            </details>
          )}
        </div>
      </div>
      {room.e2e && <E2eNotice />}
      <div class="room-grid">
        <section class="chat" aria-label="Chat">
          {/* Without JavaScript this box scrolls (bottom first, see style.css); with it, the list itself does. */}
          <div class="scroller">
            <ol id="messages" class="messages" aria-live="polite" aria-relevant="additions">
              {messages.length === 0 && <li class="notice empty">No messages yet. Say hello — nothing here will last.</li>}
              {messages.map((m) => (
                <MessageItem m={m} mine={m.member_id === me.memberId} withDate={spansDays} e2e={room.e2e} />
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
            <MemberItems users={users} roomId={room.id} me={me.username} />
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
          {me.owner && <OwnerPanel room={room} requests={requests} latest={latest ?? room.expiresAt} />}
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

/** The owner's controls: requests to join, lock, approval and more time. */
function OwnerPanel({ room, requests, latest }: { room: Room; requests: RequestView[]; latest: number }) {
  const headroom = Math.floor((latest - room.expiresAt) / 1000);
  const choices = EXTEND_CHOICES.filter(([s], i) => i === 0 || s <= headroom);
  return (
    <section class="owner-panel" aria-label="Owner controls">
      <h2 class="requests-title">Asking to join</h2>
      <ul id="requests" class="requests">
        <li class="none">Nobody is waiting.</li>
        {requests.map((r) => (
          <RequestItem roomId={room.id} r={r} />
        ))}
      </ul>
      {/* Folded by default: on a phone the chat keeps the screen. */}
      <details class="owner-more">
        <summary>Owner controls</summary>
        <LockControl roomId={room.id} locked={!!room.locked} />
        <ApprovalControl roomId={room.id} on={!!room.approveJoins} />
        {headroom > 0 ? (
          <form id="extend-control" method="post" action={`/rooms/${room.id}/extend`} hx-ws:send="" class="owner-control">
            <input type="hidden" name="type" value="extend" />
            <label for="extend-seconds">Add time</label>
            <span class="row-inline">
              <select id="extend-seconds" name="seconds">
                {choices.map(([seconds, words]) => (
                  <option value={String(seconds)}>{words}</option>
                ))}
              </select>
              <button type="submit">Add</button>
            </span>
            <small>A room lasts at most {formatDuration(latest - room.createdAt)} from its creation.</small>
          </form>
        ) : (
          <p class="limits">This room already lasts as long as a room can.</p>
        )}
      </details>
    </section>
  );
}

/** The page of someone who asked to join a room that asks its owner: waiting, or turned away. */
export function AskingPage({
  room,
  asking,
}: {
  room: Room;
  asking: { requestId: string; username: string; status: string; until: number };
}) {
  if (asking.status === 'denied') {
    return (
      <main class="narrow">
        <section class="card">
          <h1>The owner did not let you in</h1>
          <p>
            Your request to join “<RoomName room={room} />” as {asking.username} was turned away.
          </p>
          <p>
            <a class="button primary" href="/">
              Back to the lobby
            </a>
          </p>
        </section>
      </main>
    );
  }
  return (
    <main class="narrow">
      <section class="card" id="waiting" data-status-url={`/rooms/${room.id}/requests/${asking.requestId}`}>
        <h1>Waiting for the owner</h1>
        <p>
          You asked to join “<RoomName room={room} />” as <strong>{asking.username}</strong>. The owner decides who comes in; this page
          opens the room as soon as they let you in.
        </p>
        <p class="muted">Your request lapses in {formatDuration(asking.until - Date.now())} if nobody answers.</p>
        <div class="confirm-actions">
          <a class="button" href={`/rooms/${room.id}`}>
            Check again
          </a>
          <form method="post" action={`/rooms/${room.id}/leave`} class="inline">
            <button type="submit">Withdraw</button>
          </form>
        </div>
      </section>
    </main>
  );
}

/** What an encrypted room tells its reader: what stays hidden from the server, what does not, and that it needs JavaScript. */
function E2eNotice() {
  return (
    <>
      <p class="e2e-note">
        End-to-end encrypted: the room's name and messages are sealed in your browser with the key in the link, which never reaches the
        server. Names, times and how many people are here are not hidden.
      </p>
      {/* Shown by style.css only where scripting is off (a <noscript> is not rendered everywhere that is so). */}
      <p class="alert nojs-only">This room is end-to-end encrypted: reading and writing in it need JavaScript.</p>
    </>
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
        <h1>{locked ? 'This room is password protected' : <RoomName room={room} />}</h1>
        <p class="muted">
          {locked ? 'Enter the password to see the room.' : 'Pick a name to join the conversation.'} It vanishes in{' '}
          {formatDuration(room.expiresAt - Date.now())}.
        </p>
        {room.approveJoins && <p class="muted">The owner lets each person in: you wait until they approve.</p>}
        {room.e2e && <E2eNotice />}
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
            {room.approveJoins ? 'Ask to join' : 'Join'}
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
        <p class="muted">
          Room: <RoomName room={room} />
        </p>
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
