// End-to-end encrypted rooms in the browser. The room key lives only in the link's fragment (#k=…), which
// browsers never send: this script seals the room's name and every message with AES-256-GCM before they
// leave, and opens them in place as they arrive (page, live fragments, catch-up). The server sees envelopes
// `e2e1.<nonce>.<ciphertext>` (base64url; a fresh 96-bit nonce each), as src/e2e/envelope.ts describes.
(() => {
  var PREFIX = 'e2e1';
  var KEY_IN_HASH = /(?:^#|[#&])k=([A-Za-z0-9_-]{43})(?:&|$)/;
  var ROOM_PATH = /^\/rooms\/([A-Za-z0-9_-]{21})(?:\/|$)/;

  var toB64 = (bytes) => {
    var s = '';
    for (var i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
    return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  };
  var fromB64 = (text) => {
    var s = atob(text.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((text.length + 3) % 4));
    var out = new Uint8Array(s.length);
    for (var i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
    return out;
  };

  var importKey = (text) => crypto.subtle.importKey('raw', fromB64(text), { name: 'AES-GCM' }, false, ['encrypt', 'decrypt']);

  async function seal(key, text) {
    var nonce = crypto.getRandomValues(new Uint8Array(12));
    var sealed = await crypto.subtle.encrypt({ name: 'AES-GCM', iv: nonce }, key, new TextEncoder().encode(text));
    return PREFIX + '.' + toB64(nonce) + '.' + toB64(new Uint8Array(sealed));
  }

  /** The text in an envelope, or null when this key cannot open it. */
  async function open(key, envelope) {
    var parts = envelope.split('.');
    if (parts.length !== 3 || parts[0] !== PREFIX) return null;
    try {
      var plain = await crypto.subtle.decrypt({ name: 'AES-GCM', iv: fromB64(parts[1]) }, key, fromB64(parts[2]));
      return new TextDecoder('utf-8', { fatal: true }).decode(plain);
    } catch {
      return null;
    }
  }

  // Links in an opened message: http(s) URLs become links, everything else stays text (never HTML).
  var URL_IN_TEXT = /\bhttps?:\/\/[^\s<>"']+[^\s<>"'.,;:!?)\]}]/g;
  function showText(el, text) {
    el.replaceChildren();
    var at = 0;
    for (var m of text.matchAll(URL_IN_TEXT)) {
      el.append(text.slice(at, m.index));
      var a = document.createElement('a');
      a.href = m[0];
      a.rel = 'noopener noreferrer nofollow ugc';
      a.target = '_blank';
      a.textContent = m[0];
      el.append(a);
      at = m.index + m[0].length;
    }
    el.append(text.slice(at));
  }

  // ---- The lobby: "End-to-end encrypted" makes a key here, seals the room's name with it, and sends the
  // creator to the room with the key in the fragment (a 303 keeps the fragment of the URL it came from).
  function lobby() {
    var box = document.getElementById('e2e');
    var form = box?.form;
    if (!form) return;
    form.addEventListener('submit', async (e) => {
      if (!box.checked) return;
      e.preventDefault();
      var nameField = form.elements.namedItem('name');
      var plain = nameField.value.trim();
      if (!plain) {
        nameField.reportValidity();
        return;
      }
      var keyText = toB64(crypto.getRandomValues(new Uint8Array(32)));
      var sealedName = await seal(await importKey(keyText), plain);
      // The visible field keeps the name (it is not sent); a hidden one carries the envelope.
      var hidden = form.querySelector('input[type=hidden][name=name]') || document.createElement('input');
      hidden.type = 'hidden';
      hidden.name = 'name';
      hidden.value = sealedName;
      form.append(hidden);
      nameField.removeAttribute('name');
      nameField.setAttribute('data-name', '');
      form.action = '/rooms#k=' + keyText;
      HTMLFormElement.prototype.submit.call(form);
    });
    // Back on the form after a refusal: the field holds the envelope it sent, which means nothing to a person.
    document.querySelectorAll('#room-name').forEach((f) => {
      if (/^e2e1\./.test(f.value)) f.value = '';
    });
  }

  // ---- A room page (join, waiting, room): the key from the fragment, kept for this tab.
  var roomId = location.pathname.match(ROOM_PATH)?.[1];
  var stored = 'mayfly:key:' + roomId;
  function roomKeyText() {
    var fromHash = location.hash.match(KEY_IN_HASH)?.[1];
    try {
      if (fromHash) sessionStorage.setItem(stored, fromHash);
      else {
        // The fragment was lost on the way (a redirect, a link): this tab still has the key.
        var kept = sessionStorage.getItem(stored);
        if (kept) {
          history.replaceState(null, '', location.pathname + location.search + '#k=' + kept);
          return kept;
        }
      }
    } catch {
      /* no sessionStorage: the fragment alone */
    }
    return fromHash || null;
  }

  /** Every link and form of this room carries the key on, so the fragment survives each 303. */
  function keepKey(keyText) {
    var carry = (url) => {
      var u = new URL(url, location.href);
      if (u.origin !== location.origin || u.pathname.match(ROOM_PATH)?.[1] !== roomId) return null;
      u.hash = 'k=' + keyText;
      return u.href;
    };
    document.addEventListener(
      'submit',
      (e) => {
        var to = e.target instanceof HTMLFormElement && carry(e.target.action);
        if (to) e.target.action = to;
      },
      true,
    );
    document.addEventListener(
      'click',
      (e) => {
        var a = e.target instanceof Element && e.target.closest('a[href]');
        var to = a && carry(a.href);
        if (to) a.href = to;
      },
      true,
    );
    // The link a person copies or shares is the whole link, key included.
    var link = document.getElementById('room-link');
    if (link) link.value = link.value.split('#')[0] + '#k=' + keyText;
    var copy = document.getElementById('copy-link');
    if (copy) copy.setAttribute('data-link', copy.getAttribute('data-link').split('#')[0] + '#k=' + keyText);
  }

  /** No key (or not this room's): say so, and take the full link. */
  function askForLink(where) {
    if (!where || document.getElementById('e2e-missing')) return;
    var box = document.createElement('form');
    box.id = 'e2e-missing';
    box.className = 'e2e-missing';
    box.setAttribute('role', 'alert');
    var p = document.createElement('p');
    p.textContent = 'This room is end-to-end encrypted: open the full link (it ends with #k=…) to read and write in it.';
    var label = document.createElement('label');
    label.htmlFor = 'e2e-link';
    label.textContent = 'Paste the full link';
    var field = document.createElement('input');
    field.id = 'e2e-link';
    field.autocomplete = 'off';
    field.placeholder = location.origin + '/rooms/…#k=…';
    var go = document.createElement('button');
    go.type = 'submit';
    go.textContent = 'Open';
    var row = document.createElement('span');
    row.className = 'row-inline';
    row.append(field, go);
    box.append(p, label, row);
    box.addEventListener('submit', (e) => {
      e.preventDefault();
      var key = field.value.trim().match(KEY_IN_HASH)?.[1];
      var id = field.value.trim().match(/\/rooms\/([A-Za-z0-9_-]{21})/)?.[1];
      if (!key || (id && id !== roomId)) {
        p.textContent = 'That link has no key for this room. It ends with #k= and 43 more characters.';
        return;
      }
      location.replace(location.pathname + location.search + '#k=' + key);
      location.reload();
    });
    where.prepend(box);
  }

  async function room() {
    if (!roomId || (!document.querySelector('[data-e2e]') && !document.getElementById('room'))) return;
    // Sending: the message is sealed before it leaves; without a key nothing is sent at all. Listening
    // from the start: a message sent while the key is still being read waits for it.
    var ready;
    var keyReady = new Promise((resolve) => {
      ready = resolve;
    });
    document.addEventListener('htmx:ws:before:message:outgoing', (e) => {
      var detail = e.detail;
      var message = detail?.message;
      var values = message?.values;
      if (values?.type !== 'message' || detail.cancelled) return;
      detail.waitUntil(
        keyReady.then(async (key) => {
          if (!key) {
            detail.cancelled = true;
            var err = document.getElementById('chat-error');
            if (err) err.textContent = 'This room is end-to-end encrypted: open the full link with its key to write in it.';
            return;
          }
          // The frame carries the envelope; the page's own copy of the values keeps the text (for app.js).
          var envelope = await seal(key, String(values.content).trim());
          message.data = JSON.stringify({ ...values, content: envelope, headers: message.headers });
        }),
      );
    });
    var keyText = roomKeyText();
    var key = null;
    try {
      key = keyText ? await importKey(keyText) : null;
    } catch {
      key = null;
    }
    ready(key);
    var main = document.getElementById('room') || document.querySelector('main');
    if (!key) askForLink(main);
    else keepKey(keyText);

    /** Opens every sealed text in `root`; a room name is also the tab's title. */
    var openAll = async (root) => {
      for (var el of root.querySelectorAll('[data-e2e]')) {
        var envelope = el.getAttribute('data-e2e');
        if (envelope === null) continue; // opened meanwhile by another pass
        el.removeAttribute('data-e2e');
        if (!key) {
          el.classList.add('e2e-locked');
          continue;
        }
        var text = await open(key, envelope);
        if (text === null) {
          el.classList.add('e2e-bad');
          el.textContent = el.classList.contains('e2e-name')
            ? 'Encrypted room (cannot be decrypted)'
            : 'This message cannot be decrypted (wrong key?)';
          continue;
        }
        el.classList.add('e2e-open');
        if (el.classList.contains('e2e-name')) {
          el.textContent = text;
          document.dispatchEvent(new CustomEvent('mayfly:room-name', { detail: text }));
        } else showText(el, text);
        // app.js treats an opened message as it treats a plain one on arrival (own, mention).
        el.closest('li.msg')?.dispatchEvent(new CustomEvent('mayfly:opened', { bubbles: true }));
      }
    };
    await openAll(document);
    var messages = document.getElementById('messages');
    if (messages) new MutationObserver(() => void openAll(messages)).observe(messages, { childList: true });
  }

  function init() {
    lobby();
    void room();
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
