// The room page's HTML for phones and for browsers without JavaScript: links in messages, the QR code, confirm pages,
// times with their zone, the #latest anchor, and the ended state pushed over /live.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test';
import { renderLive } from '../../src/views/fragments.tsx';
import { linkifyHtml, messageHtml } from '../../src/views/fragments.tsx';
import { startTestServer, type TestServer } from '../helpers/server.ts';

setDefaultTimeout(20_000);

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
});
afterAll(async () => {
  await s?.stop();
});

const COOKIE = 'mayfly_member';

async function form(path: string, fields: Record<string, string>, cookie?: string) {
  const res = await fetch(`${s.origin}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html', origin: s.origin, ...(cookie ? { cookie } : {}) },
    body: new URLSearchParams(fields).toString(),
    redirect: 'manual',
  });
  return { res, status: res.status, html: await res.text() };
}
async function page(path: string, cookie?: string) {
  const res = await fetch(`${s.origin}${path}`, { headers: { accept: 'text/html', ...(cookie ? { cookie } : {}) }, redirect: 'manual' });
  return { res, status: res.status, html: await res.text() };
}
const cookieOf = (res: Response) =>
  res.headers
    .getSetCookie()
    .find((c) => c.startsWith(`${COOKIE}=`))!
    .split(';')[0]!;

async function roomByForm(owner = 'Fiona') {
  const { res } = await form('/rooms', { name: 'Links', owner_name: owner, expiry_seconds: '600', max_users: '20' });
  const id = res.headers.get('location')!.split('/').pop()!;
  return { id, cookie: cookieOf(res) };
}

describe('links in messages', () => {
  test('http(s) and www. URLs become links with safe attributes; everything else stays escaped text', () => {
    const html = linkifyHtml('see https://example.com/a?b=1&c=2 and www.example.org, not javascript:alert(1) <script>x</script>');
    expect(html).toContain(
      '<a href="https://example.com/a?b=1&amp;c=2" rel="noopener noreferrer nofollow ugc" target="_blank">https://example.com/a?b=1&amp;c=2</a>',
    );
    expect(html).toContain('<a href="http://www.example.org/" rel="noopener noreferrer nofollow ugc" target="_blank">www.example.org</a>');
    expect(html).toContain('&lt;script&gt;x&lt;/script&gt;');
    expect(html).not.toContain('<script');
    expect(html).not.toMatch(/href="javascript/i);
    expect(linkifyHtml('javascript:alert(1)//http://x')).not.toMatch(/href="javascript/i);
    // Other schemes and bare names stay text.
    expect(linkifyHtml('ftp://example.com mailto:a@b.co example.com')).not.toContain('<a ');
    // A quote in a URL cannot leave the attribute.
    expect(linkifyHtml('https://e.com/"onmouseover="x')).not.toContain('" onmouseover');
  });

  test('text without a link costs nothing more and is plain escaped text', () => {
    expect(linkifyHtml(`it's <b>fine</b> & good`)).toBe('it&#39;s &lt;b&gt;fine&lt;/b&gt; &amp; good');
  });

  test('the room page and the /live fragment show links; JSON clients get the text unchanged', async () => {
    const { id, cookie } = await roomByForm();
    const text = 'read https://example.com/x <img src=x onerror=alert(1)>';
    expect((await form(`/rooms/${id}/messages`, { content: text }, cookie)).status).toBe(303);
    const room = await page(`/rooms/${id}`, cookie);
    expect(room.html).toContain('<a href="https://example.com/x" rel="noopener noreferrer nofollow ugc" target="_blank">');
    expect(room.html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    const json = (await (await fetch(`${s.origin}/rooms/${id}/messages`, { headers: { cookie } })).json()) as any;
    expect(json.messages[0].content).toBe(text);
    const m = { seq: 1, username: 'a', member_id: 'm', content: text, timestamp: '2026-01-01T10:00:00.000Z', verified: false };
    const live = renderLive({ type: 'message', room_id: id, ...m } as any)!;
    expect(live).toContain('rel="noopener noreferrer nofollow ugc"');
    expect(live).toBe(`<hx-partial hx-target="#messages" hx-swap="beforeend">${messageHtml(m)}</hx-partial>`);
  });
});

describe('the room page without JavaScript', () => {
  test('a QR code of the room link, as a data: image with a name (no inline styles for the CSP)', async () => {
    const { id, cookie } = await roomByForm();
    const { html } = await page(`/rooms/${id}`, cookie);
    const img = html.match(/<img[^>]*alt="QR code of the room link"[^>]*>/)?.[0];
    expect(img).toBeDefined();
    const src = img!.match(/src="data:image\/svg\+xml;base64,([^"]+)"/)![1]!;
    const svg = Buffer.from(src, 'base64').toString();
    expect(svg).toStartWith('<svg');
    expect(svg).not.toContain('style');
    expect(html).toContain('<summary>Show QR code</summary>');
  });

  test('times carry their zone; a sent message redirects to #latest, the page has the anchor', async () => {
    const { id, cookie } = await roomByForm();
    const sent = await form(`/rooms/${id}/messages`, { content: 'hello' }, cookie);
    expect(sent.res.headers.get('location')).toBe(`/rooms/${id}#latest`);
    const { html } = await page(`/rooms/${id}`, cookie);
    expect(html).toMatch(/<time datetime="[^"]+">\d\d:\d\d UTC<\/time>/);
    expect(html).toContain('id="latest"');
    expect(html).toMatch(/<textarea[^>]*enterkeyhint="send"/);
    expect(html).toMatch(/<textarea[^>]*autofocus/);
    const older = { seq: 1, username: 'a', member_id: 'm', content: 'x', timestamp: '2026-01-01T23:59:00.000Z', verified: false };
    expect(messageHtml(older, false, true)).toContain('>2026-01-01 23:59 UTC</time>');
  });

  test('destroy asks on a page of its own; only the owner gets it', async () => {
    const { id, cookie } = await roomByForm();
    const { html } = await page(`/rooms/${id}`, cookie);
    expect(html).toContain(`<noscript><a class="button danger" href="/rooms/${id}/destroy">Destroy room</a></noscript>`);
    const ask = await page(`/rooms/${id}/destroy`, cookie);
    expect(ask.status).toBe(200);
    expect(ask.html).toContain('<h1>Destroy this room?</h1><p>Everything in it is gone, for everyone.</p>');
    expect(ask.html).toMatch(new RegExp(`<form method="post" action="/rooms/${id}/destroy"`));
    const guest = cookieOf((await form(`/rooms/${id}/join`, { username: 'Guest' })).res);
    expect((await page(`/rooms/${id}/destroy`, guest)).status).toBe(303);
    const done = await form(`/rooms/${id}/destroy`, { confirmed: '1' }, cookie);
    expect(done.res.headers.get('location')).toBe('/?ended=destroyed');
  });

  test('an owner who leaves is asked first; a guest leaves at once', async () => {
    const { id, cookie } = await roomByForm();
    const { html } = await page(`/rooms/${id}`, cookie);
    expect(html).toContain(`<a class="button" href="/rooms/${id}/leave">Leave</a>`);
    const ask = await page(`/rooms/${id}/leave`, cookie);
    expect(ask.html).toContain('if you leave, nobody will own it');
    // A POST without the confirmation goes to the question.
    const unasked = await form(`/rooms/${id}/leave`, {}, cookie);
    expect(unasked.res.headers.get('location')).toBe(`/rooms/${id}/leave`);
    expect((await page(`/rooms/${id}`, cookie)).status).toBe(200);
    const left = await form(`/rooms/${id}/leave`, { confirmed: '1' }, cookie);
    expect(left.res.headers.get('location')).toBe('/?ended=left');
    const { id: id2 } = await roomByForm();
    const guest = cookieOf((await form(`/rooms/${id2}/join`, { username: 'Guest' })).res);
    expect((await form(`/rooms/${id2}/leave`, {}, guest)).res.headers.get('location')).toBe('/?ended=left');
  });

  test('the ended fragment clears messages and members and retitles the tab', () => {
    const html = renderLive({ type: 'room_destroyed', room_id: 'x', timestamp: new Date().toISOString() } as any)!;
    expect(html).toContain('The owner destroyed this room.');
    expect(html).toMatch(/<hx-partial hx-target="#messages" hx-swap="innerHTML"><li class="notice ended-notice">/);
    expect(html).toContain('<hx-partial hx-target="#members" hx-swap="innerHTML"></hx-partial>');
    expect(html).toContain('<hx-partial hx-target="title" hx-swap="innerHTML">Room ended · mayfly</hx-partial>');
  });
});

describe('a refused form post', () => {
  test('a message refused for its rate comes back on the room page with Retry-After from the limit', async () => {
    const t = await startTestServer({ MESSAGE_RATE: '2', MESSAGE_BURST: '2' });
    try {
      let id = '';
      const post = (fields: Record<string, string>, cookie?: string): Promise<Response> =>
        fetch(`${t.origin}${fields.content === undefined ? '/rooms' : `/rooms/${id}/messages`}`, {
          method: 'POST',
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            accept: 'text/html',
            origin: t.origin,
            ...(cookie ? { cookie } : {}),
          },
          body: new URLSearchParams(fields).toString(),
          redirect: 'manual',
        });
      const created = await post({ name: 'Fast', owner_name: 'Fiona' });
      id = created.headers.get('location')!.split('/').pop()!;
      const cookie = cookieOf(created);
      for (const content of ['one', 'two']) expect((await post({ content }, cookie)).headers.get('location')).toEndWith('#latest');
      const third = await post({ content: 'three' }, cookie);
      const flash = third.headers
        .getSetCookie()
        .find((c) => c.startsWith('mayfly_flash='))!
        .split(';')[0]!;
      const shown = await fetch(`${t.origin}/rooms/${id}`, { headers: { accept: 'text/html', cookie: `${cookie}; ${flash}` } });
      expect(shown.status).toBe(429);
      expect(Number(shown.headers.get('retry-after'))).toBe(1);
      expect(await shown.text()).toContain('three');
    } finally {
      await t.stop();
    }
  });
});
