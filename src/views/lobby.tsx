// The lobby: create a room, or join one by its link or id.
import { ErrorList } from './layout.tsx';

export const EXPIRY_CHOICES: Array<[number, string]> = [
  [300, '5 minutes'],
  [600, '10 minutes'],
  [1800, '30 minutes'],
  [3600, '1 hour'],
  [6 * 3600, '6 hours'],
  [86400, '24 hours'],
];

export const IDLE_CHOICES: Array<[number | '', string]> = [
  ['', 'Never (only at expiry)'],
  [60, '1 minute'],
  [300, '5 minutes'],
  [900, '15 minutes'],
  [3600, '1 hour'],
];

export type LobbyProps = {
  values?: Record<string, string>;
  errors?: Record<string, string> | null;
  joinError?: string | null;
  /** A neutral message at the top of the page, e.g. after leaving or destroying a room. */
  notice?: string | null;
  maxExpiry: number;
  defaultExpiry: number;
  defaultMaxUsers: number;
};

export function Lobby({ values = {}, errors, joinError, notice, maxExpiry, defaultExpiry, defaultMaxUsers }: LobbyProps) {
  const expiry = Number(values.expiry_seconds ?? defaultExpiry);
  const choices = EXPIRY_CHOICES.filter(([s]) => s <= maxExpiry);
  // An expiry that is not one of the choices (an API-style form post, a configured default) is still offered.
  if (Number.isInteger(expiry) && expiry > 0 && expiry <= maxExpiry && !choices.some(([s]) => s === expiry)) {
    choices.push([expiry, formatChoice(expiry)]);
    choices.sort((a, b) => a[0] - b[0]);
  }
  const invalid = (field: string) => (errors?.[field] ? { 'aria-invalid': 'true' as const } : {});
  return (
    <main class="lobby">
      {notice && (
        <p class="notice-banner" role="status">
          {notice}
        </p>
      )}
      <section class="hero">
        <h1>Chat rooms that vanish.</h1>
        <p class="lede">
          Create a room, share the link, talk in real time. When its time is up — or you destroy it — every message is gone for good.
        </p>
      </section>
      <div class="lobby-grid">
        <section class="card" aria-labelledby="create-title">
          <h2 id="create-title">Create a room</h2>
          <ErrorList errors={errors} />
          <form method="post" action="/rooms" class="stack">
            <div class="field">
              <label for="room-name">Room name</label>
              <input
                id="room-name"
                {...invalid('name')}
                name="name"
                required
                maxlength={80}
                value={values.name ?? ''}
                placeholder="Friday planning"
                autocomplete="off"
                autofocus={!joinError}
              />
            </div>
            <div class="field">
              <label for="owner-name">Your name</label>
              <input
                id="owner-name"
                {...invalid('owner_name')}
                name="owner_name"
                required
                maxlength={32}
                value={values.owner_name ?? ''}
                autocomplete="nickname"
              />
            </div>
            <div class="row">
              <div class="field">
                <label for="expiry">Expires in</label>
                <select id="expiry" name="expiry_seconds" {...invalid('expiry_seconds')}>
                  {choices.map(([s, label]) => (
                    <option value={String(s)} selected={s === expiry}>
                      {label}
                    </option>
                  ))}
                </select>
              </div>
              <div class="field">
                <label for="max-users">Max users</label>
                <input
                  id="max-users"
                  {...invalid('max_users')}
                  name="max_users"
                  type="number"
                  min={2}
                  max={1000}
                  value={values.max_users ?? String(defaultMaxUsers)}
                />
              </div>
            </div>
            <div class="field">
              <label for="idle">Vanish when empty for</label>
              <select id="idle" name="idle_seconds" {...invalid('idle_seconds')}>
                {IDLE_CHOICES.map(([s, label]) => (
                  <option value={String(s)} selected={String(s) === (values.idle_seconds ?? '')}>
                    {label}
                  </option>
                ))}
              </select>
            </div>
            <div class="field">
              <label for="create-password">Password</label>
              <input
                id="create-password"
                {...invalid('password')}
                name="password"
                type="password"
                maxlength={128}
                autocomplete="new-password"
                aria-describedby="password-hint"
              />
              <small id="password-hint">Optional. Guests must enter it before they see anything.</small>
            </div>
            <label class="check" for="approve-joins">
              <input
                id="approve-joins"
                type="checkbox"
                name="approve_joins"
                value="on"
                checked={['on', 'true', '1', 'yes'].includes(values.approve_joins ?? '')}
              />
              Approve each person who joins
            </label>
            {/* Needs JavaScript (the key is made and kept in the browser): hidden without it. */}
            <label class="check js-only" for="e2e">
              <input id="e2e" type="checkbox" name="e2e" value="on" checked={values.e2e === 'on'} />
              End-to-end encrypted
            </label>
            <button type="submit" class="primary">
              Create room
            </button>
          </form>
        </section>
        <section class="card" aria-labelledby="join-title">
          <h2 id="join-title">Join a room</h2>
          {joinError && (
            <div class="alert" role="alert">
              {joinError}
            </div>
          )}
          <form method="get" action="/join" class="stack">
            <div class="field">
              <label for="room-ref">Room link or id</label>
              <input
                id="room-ref"
                name="room"
                required
                {...(joinError ? { 'aria-invalid': 'true' as const } : {})}
                placeholder="https://…/rooms/V1StGXR8_Z5jdHi6B-myT"
                autocomplete="off"
                autofocus={!!joinError}
              />
            </div>
            <button type="submit">Join</button>
          </form>
          <ul class="facts">
            <li>No account needed.</li>
            <li>Max users 2 makes a private two-person room.</li>
            <li>Passwords are stored only as argon2id hashes.</li>
          </ul>
        </section>
      </div>
    </main>
  );
}

function formatChoice(seconds: number): string {
  if (seconds % 3600 === 0) return seconds === 3600 ? '1 hour' : `${seconds / 3600} hours`;
  if (seconds % 60 === 0) return seconds === 60 ? '1 minute' : `${seconds / 60} minutes`;
  return `${seconds} seconds`;
}
