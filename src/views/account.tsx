// Account pages: register, log in, and the signed-in account's page.
import { ErrorList } from './layout.tsx';

export function RegisterPage({ values = {}, errors }: { values?: Record<string, string>; errors?: Record<string, string> | null }) {
  return (
    <main class="narrow">
      <section class="card">
        <h1>Register</h1>
        <p class="muted">Optional: an account reserves your name in every room and marks your messages as verified.</p>
        <ErrorList errors={errors} />
        <form method="post" action="/register" class="stack">
          <div class="field">
            <label for="reg-username">Username</label>
            <input id="reg-username" name="username" required maxlength={32} value={values.username ?? ''} autocomplete="username" />
          </div>
          <div class="field">
            <label for="reg-password">Password</label>
            <input id="reg-password" name="password" type="password" required minlength={8} maxlength={128} autocomplete="new-password" />
            <small>At least 8 characters. Stored only as an argon2id hash.</small>
          </div>
          <button type="submit" class="primary">
            Register
          </button>
        </form>
        <p class="muted">
          Already registered? <a href="/login">Log in</a>
        </p>
      </section>
    </main>
  );
}

export function LoginPage({
  values = {},
  errors,
  notice,
}: {
  values?: Record<string, string>;
  errors?: Record<string, string> | null;
  notice?: string | null;
}) {
  return (
    <main class="narrow">
      <section class="card">
        <h1>Log in</h1>
        {notice && (
          <p class="notice-box" role="status">
            {notice}
          </p>
        )}
        <ErrorList errors={errors} />
        <form method="post" action="/login" class="stack">
          <div class="field">
            <label for="login-username">Username</label>
            <input id="login-username" name="username" required maxlength={64} value={values.username ?? ''} autocomplete="username" />
          </div>
          <div class="field">
            <label for="login-password">Password</label>
            <input id="login-password" name="password" type="password" required maxlength={128} autocomplete="current-password" />
          </div>
          <button type="submit" class="primary">
            Log in
          </button>
        </form>
        <p class="muted">
          No account? <a href="/register">Register</a> — or just <a href="/">create a room</a>; accounts are optional.
        </p>
      </section>
    </main>
  );
}

export function MePage({ username }: { username: string }) {
  return (
    <main class="narrow">
      <section class="card stack">
        <h1>{username}</h1>
        <p class="muted">Your name is reserved in every room, and your messages carry a ✓.</p>
        <form method="post" action="/lounge">
          <button type="submit" class="primary">
            Enter the lounge
          </button>
        </form>
        <p class="muted">The lounge is one room for everyone with an account (Chatterbox's clients meet there too).</p>
        <form method="post" action="/logout">
          <button type="submit">Log out</button>
        </form>
        <form method="post" action="/me/delete" id="delete-account-form">
          <button type="submit" class="danger">
            Delete account
          </button>
        </form>
      </section>
    </main>
  );
}
