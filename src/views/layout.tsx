// The page shell every HTML page shares: head, styles, htmx scripts, header and footer.
import type { Child } from 'hono/jsx';
import { raw } from 'hono/html';
import { integrity } from '../web/assets.ts';

/** One of our scripts, with its Subresource Integrity. */
const Script = ({ src, defer }: { src: string; defer?: boolean }) => <script src={src} integrity={integrity(src)} defer={defer}></script>;

export type LayoutProps = {
  title: string;
  children: Child;
  /** Load htmx and the room script (only the room page needs them). */
  live?: boolean;
  account?: { username: string } | null;
  /** Without JavaScript, reload the page every this many seconds (a page waiting for something). */
  refreshSeconds?: number;
  /** The page shows an end-to-end encrypted room: load the script that opens and seals its texts. */
  e2e?: boolean;
};

export function Layout({ title, children, live, account, refreshSeconds, e2e }: LayoutProps) {
  return (
    <>
      {raw('<!DOCTYPE html>')}
      <html lang="en">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <meta name="color-scheme" content="light dark" />
          {refreshSeconds && (
            <noscript>
              <meta http-equiv="refresh" content={String(refreshSeconds)} />
            </noscript>
          )}
          <title>{title === 'mayfly' ? 'mayfly — ephemeral chat rooms' : `${title} · mayfly`}</title>
          <meta name="htmx-config" content='{"includeIndicatorCSS":false}' />
          <link rel="icon" href="/static/favicon.svg" type="image/svg+xml" />
          <link rel="stylesheet" href="/static/style.css" />
          <Script src="/static/app.js" defer />
          {e2e && <Script src="/static/e2e.js" defer />}
        </head>
        <body>
          <header class="site-head">
            <a class="brand" href="/">
              <img src="/static/favicon.svg" alt="" width="24" height="24" />
              mayfly
            </a>
            {account !== undefined && (
              <nav class="site-nav" aria-label="Account">
                {account ? (
                  <>
                    <span class="whoami">
                      Signed in as <strong>{account.username}</strong>
                    </span>
                    <form method="post" action="/logout" class="inline">
                      <button type="submit" class="link">
                        Log out
                      </button>
                    </form>
                  </>
                ) : (
                  <>
                    <a href="/login">Log in</a>
                    <a href="/register">Register</a>
                  </>
                )}
              </nav>
            )}
          </header>
          {children}
          <footer class="site-foot">
            <p>
              Rooms vanish when their time is up. Nothing is kept. · <a href="/docs">API</a>
            </p>
          </footer>
          {/* Parser-blocking on purpose, at the end of the body: htmx then starts on DOMContentLoaded, after hx-ws has
              registered. With `defer`, htmx starts from a setTimeout that can run before hx-ws.min.js has loaded, and
              then no socket is ever opened. app.js (deferred, in the head) runs after both. */}
          {live && (
            <>
              <Script src="/vendor/htmx.min.js" />
              <Script src="/vendor/hx-ws.min.js" />
            </>
          )}
        </body>
      </html>
    </>
  );
}

export function ErrorList({ errors }: { errors?: Record<string, string> | null }) {
  if (!errors || Object.keys(errors).length === 0) return null;
  return (
    <div class="alert" role="alert">
      <ul>
        {Object.entries(errors).map(([field, msg]) => (
          <li>{field === 'body' || field === 'form' ? msg : `${fieldLabel(field)}: ${msg}`}</li>
        ))}
      </ul>
    </div>
  );
}

const LABELS: Record<string, string> = {
  name: 'Room name',
  owner_name: 'Your name',
  username: 'Your name',
  password: 'Password',
  expiry_seconds: 'Expires in',
  max_users: 'Max users',
  idle_seconds: 'Vanish when empty for',
  content: 'Message',
  room: 'Room link or id',
};
export const fieldLabel = (f: string) => LABELS[f] ?? f;
