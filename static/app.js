// mayfly's few lines of browser JavaScript: countdown, copy/share link, own messages, mentions, typing, unread count,
// composer (refused messages come back) and reconnect catch-up. Never logs or stores message content.
(() => {
  var pad = (n) => String(n).padStart(2, '0');

  function formatLeft(ms) {
    var s = Math.max(0, Math.round(ms / 1000));
    var h = Math.floor(s / 3600),
      m = Math.floor((s % 3600) / 60),
      sec = s % 60;
    return h > 0 ? h + 'h ' + pad(m) + 'm' : m + ':' + pad(sec);
  }

  // Times arrive in UTC; show them in the reader's own time zone.
  function localizeTimes(root) {
    root.querySelectorAll('time[datetime]:not([data-local])').forEach((t) => {
      if (t.id === 'countdown') return;
      var d = new Date(t.getAttribute('datetime'));
      if (!Number.isNaN(d.getTime())) {
        var hm = pad(d.getHours()) + ':' + pad(d.getMinutes());
        // A room can span days: a time from another day than today says which day.
        var today = new Date().toDateString() === d.toDateString();
        t.textContent = today ? hm : d.toLocaleDateString(undefined, { month: 'short', day: 'numeric' }) + ' ' + hm;
        t.title = d.toLocaleString();
      }
      t.setAttribute('data-local', '');
    });
  }

  // Waiting for the owner to let me in: ask every 2 s; once decided, reload (the room, or the answer).
  function waitForOwner() {
    var waiting = document.getElementById('waiting');
    var url = waiting?.getAttribute('data-status-url');
    if (!url) return;
    var ask = () =>
      fetch(url, { headers: { accept: 'application/json' }, credentials: 'same-origin' })
        .then((r) => r.json())
        .then((body) => {
          if (body?.status && body.status !== 'pending') location.reload();
          else setTimeout(ask, 2000);
        })
        .catch(() => setTimeout(ask, 4000));
    setTimeout(ask, 2000);
  }

  function init() {
    localizeTimes(document);
    waitForOwner();
    var room = document.getElementById('room');
    if (!room) return;
    var me = room.getAttribute('data-me');
    var messages = document.getElementById('messages');
    var content = document.getElementById('content');
    var composer = document.getElementById('composer');
    var typing = document.getElementById('typing');
    var chatError = document.getElementById('chat-error');
    var status = document.getElementById('conn-status');

    // Follow new messages only while the reader is at the bottom (not while they scroll back to read).
    var atBottom = true;
    var scrollDown = () => {
      messages.scrollTop = messages.scrollHeight;
      atBottom = true;
    };
    messages.addEventListener(
      'scroll',
      () => {
        atBottom = messages.scrollHeight - messages.scrollTop - messages.clientHeight < 60;
      },
      { passive: true },
    );
    scrollDown();

    // Countdown to expiry.
    var timer = null;
    if (document.getElementById('countdown')) {
      var warned = false;
      var tick = () => {
        // Read each time: when the owner adds time, the server replaces the element with the new end.
        var countdown = document.getElementById('countdown');
        if (!countdown) return;
        var left = Number(countdown.getAttribute('data-expires-at')) - Date.now();
        countdown.textContent = formatLeft(left);
        countdown.classList.toggle('soon', left <= 60000);
        if (left > 60000 && warned) {
          warned = false;
          messages.querySelector('[data-expiry-soon]')?.remove();
        }
        // Once, in the chat: the room is about to vanish.
        if (left <= 60000 && left > 0 && !warned && !room.classList.contains('is-ended')) {
          warned = true;
          var li = document.createElement('li');
          li.className = 'notice expiry-soon';
          li.setAttribute('data-expiry-soon', '');
          li.textContent =
            left > 50000
              ? '1 minute left: this room and every message in it vanish soon.'
              : 'Less than a minute left: this room and every message in it vanish soon.';
          messages.append(li);
        }
      };
      timer = setInterval(tick, 1000);
      tick();
    }

    // Copy link: "Copied!" only when it was; otherwise the link is shown, selected, to copy by hand
    // (#room-link[data-shown] is styled visible, also on phones where the box is otherwise hidden).
    var copy = document.getElementById('copy-link');
    var linkBox = document.getElementById('room-link');
    if (copy) {
      var label = copy.textContent;
      // Read when used: an encrypted room's script adds the key to it.
      var link = () => copy.getAttribute('data-link');
      var copyTimer = null;
      var flash = (text) => {
        clearTimeout(copyTimer);
        copy.textContent = text;
        copyTimer = setTimeout(() => {
          copy.textContent = label;
        }, 1500);
      };
      var showLink = () => {
        if (!linkBox) return;
        linkBox.hidden = false;
        linkBox.setAttribute('data-shown', '');
        linkBox.focus();
        linkBox.select();
        linkBox.setSelectionRange(0, linkBox.value.length);
      };
      var legacyCopy = () => {
        // Plain HTTP has no clipboard API: the old way, which needs the box visible and selected.
        if (!linkBox) return false;
        var wasShown = linkBox.hasAttribute('data-shown');
        showLink();
        var ok = false;
        try {
          ok = document.execCommand('copy') === true;
        } catch {
          ok = false;
        }
        if (ok && !wasShown) linkBox.removeAttribute('data-shown');
        return ok;
      };
      copy.addEventListener('click', () => {
        var fallback = () => {
          if (legacyCopy()) flash('Copied!');
          else showLink();
        };
        if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(link()).then(() => flash('Copied!'), fallback);
        else fallback();
      });
      // Phones (and some desktops) have a share sheet: offer it too.
      if (typeof navigator.share === 'function') {
        var share = document.createElement('button');
        share.type = 'button';
        share.id = 'share-link';
        share.textContent = 'Share';
        share.addEventListener('click', () => {
          var title = document.querySelector('#room h1');
          navigator.share({ title: title ? title.textContent : document.title, url: link() }).catch(() => {
            /* dismissed, or not allowed: nothing to do */
          });
        });
        copy.after(share);
      }
    }

    // Destroy asks first.
    var destroy = document.getElementById('destroy-form');
    if (destroy)
      destroy.addEventListener('submit', (e) => {
        if (!confirm('Destroy this room for everyone? Every message will be gone.')) e.preventDefault();
      });

    // Desktops: Enter sends, Shift+Enter makes a new line. Touch screens: Enter makes a new line, the Send button sends.
    var coarse = window.matchMedia ? window.matchMedia('(pointer: coarse)') : null;
    if (content)
      content.addEventListener('keydown', (e) => {
        if (coarse?.matches) return;
        if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
          e.preventDefault();
          if (content.value.trim()) content.form.requestSubmit();
        }
      });

    // Who is typing: the server sends one "<name> is typing…" at a time; the page keeps everyone's, each for a few seconds.
    var TYPING_MS = 4000;
    var typists = new Map(); // member id -> { name, timer }
    var showTyping = () => {
      var names = Array.from(typists.values(), (t) => t.name);
      var text =
        names.length === 0
          ? ''
          : names.length === 1
            ? names[0] + ' is typing…'
            : names.length === 2
              ? names[0] + ' and ' + names[1] + ' are typing…'
              : 'several people are typing…';
      if (!text) typing.replaceChildren();
      else {
        var span = document.createElement('span');
        span.setAttribute('data-typists', String(names.length));
        span.textContent = text;
        typing.replaceChildren(span);
      }
    };
    var stopTyping = (member) => {
      var t = typists.get(member);
      if (!t) return;
      clearTimeout(t.timer);
      typists.delete(member);
      showTyping();
    };
    new MutationObserver(() => {
      var signal = typing.querySelector('span[data-member]'); // from the server; what showTyping writes has none
      if (!signal) return;
      var member = signal.getAttribute('data-member');
      if (member !== me) {
        var name = signal.textContent.replace(/ is typing…$/, '');
        var t = typists.get(member);
        if (t) clearTimeout(t.timer);
        typists.set(member, { name: name, timer: setTimeout(() => stopTyping(member), TYPING_MS) });
      }
      showTyping();
    }).observe(typing, { childList: true });

    // The people list arrives live for everyone alike: my own name gets no owner actions.
    var members = document.getElementById('members');
    var markMe = () => {
      members?.querySelectorAll('li[data-name]').forEach((li) => {
        li.classList.toggle('me', li.getAttribute('data-name') === room.getAttribute('data-my-name'));
      });
    };
    if (members) new MutationObserver(markMe).observe(members, { childList: true });
    markMe();

    // Requests to join lapse unanswered: they leave the owner's list on time.
    var requests = document.getElementById('requests');
    if (requests)
      setInterval(() => {
        requests.querySelectorAll('li[data-until]').forEach((li) => {
          if (Number(li.getAttribute('data-until')) <= Date.now()) li.remove();
        });
      }, 1000);

    // Ownership moved to me or away from me: my controls change, so the page is drawn again.
    // (#owner-name is on every room page; the server's owner_changed fragment replaces it.)
    var ownerSlot = document.getElementById('owner-name')?.parentNode;
    if (ownerSlot)
      new MutationObserver(() => {
        var member = document.getElementById('owner-name')?.getAttribute('data-member');
        if (member && (member === me || room.hasAttribute('data-owner'))) location.reload();
      }).observe(ownerSlot, { childList: true });

    // Mentions: "@name" (any case) in someone else's message.
    var myName = room.getAttribute('data-my-name') || '';
    var mentionRe = myName
      ? new RegExp('(^|[^\\p{L}\\p{N}_])@' + myName.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') + '(?![\\p{L}\\p{N}_])', 'iu')
      : null;
    var mentions = (li) => {
      if (!mentionRe || li.classList.contains('mine')) return false;
      var body = li.querySelector('.body');
      return !!body && mentionRe.test(body.textContent);
    };

    // Unread messages in the tab title while the page is in the background (hidden, or its window not focused).
    var baseTitle = document.title;
    var unread = 0;
    var away = () => document.hidden || !document.hasFocus();
    var showUnread = () => {
      document.title = unread > 0 ? '(' + unread + ') ' + baseTitle : baseTitle;
    };
    var back = () => {
      if (away() || unread === 0) return;
      unread = 0;
      showUnread();
    };
    document.addEventListener('visibilitychange', back);
    // An encrypted room's name, once e2e.js has opened it, is the tab's title.
    document.addEventListener('mayfly:room-name', (e) => {
      if (room.classList.contains('is-ended')) return;
      baseTitle = e.detail + ' · mayfly';
      showUnread();
    });
    window.addEventListener('focus', back);

    // Opt-in: a desktop notification (when allowed) or a short beep when someone mentions me. Off unless ticked.
    var NOTIFY_KEY = 'mayfly:notify-mentions';
    var notifyOn = false;
    try {
      notifyOn = localStorage.getItem(NOTIFY_KEY) === '1';
    } catch {
      /* storage blocked: stays off */
    }
    if (composer && composer.tagName === 'FORM' && !document.getElementById('notify-mentions')) {
      var optLabel = document.createElement('label');
      optLabel.className = 'notify-opt';
      var opt = document.createElement('input');
      opt.type = 'checkbox';
      opt.id = 'notify-mentions';
      opt.checked = notifyOn;
      optLabel.append(opt, ' Notify me when mentioned');
      opt.addEventListener('change', () => {
        notifyOn = opt.checked;
        try {
          localStorage.setItem(NOTIFY_KEY, notifyOn ? '1' : '0');
        } catch {
          /* not kept across visits */
        }
        if (notifyOn && 'Notification' in window && Notification.permission === 'default') {
          Notification.requestPermission().catch(() => {});
        }
      });
      composer.after(optLabel);
    }
    var audio = null;
    var beep = () => {
      var Ctx = window.AudioContext || window.webkitAudioContext;
      if (!Ctx) return;
      try {
        audio ??= new Ctx();
        var osc = audio.createOscillator();
        var gain = audio.createGain();
        osc.frequency.value = 880;
        gain.gain.value = 0.08;
        osc.connect(gain);
        gain.connect(audio.destination);
        osc.start();
        osc.stop(audio.currentTime + 0.15);
      } catch {
        /* no sound, then */
      }
    };
    var notifyMention = (li) => {
      if (!notifyOn) return;
      var who = li.querySelector('.who')?.textContent || 'Someone';
      if ('Notification' in window && Notification.permission === 'granted' && away()) {
        try {
          var title = room.querySelector('h1');
          new Notification(who + ' mentioned you', { body: title ? title.textContent : '', tag: 'mayfly-mention' });
          return;
        } catch {
          /* some phones only notify from a service worker: beep instead */
        }
      }
      beep();
    };

    // Messages sent from this page and not yet seen back: a refused one comes back into the composer.
    var pending = [];

    // New nodes: mark own messages, mentions, localize times, end typing notices, count unread, keep scrolled to the bottom.
    new MutationObserver(() => {
      var follow = atBottom;
      messages.querySelectorAll('li.msg:not(.seen)').forEach((li) => {
        li.classList.add('seen', 'arrived');
        var member = li.getAttribute('data-member');
        if (member === me) {
          li.classList.add('mine');
          follow = true;
          var body = li.querySelector('.body');
          var i = body ? pending.indexOf(body.textContent.trim()) : -1;
          if (i >= 0) pending.splice(i, 1);
        } else {
          if (away()) unread++;
          if (mentions(li)) {
            li.classList.add('mention');
            notifyMention(li);
          }
        }
        var empty = messages.querySelector('li.empty');
        if (empty) empty.remove();
        // A message from the typist ends their typing notice.
        stopTyping(member);
      });
      showUnread();
      localizeTimes(messages);
      if (follow) scrollDown();
    }).observe(messages, { childList: true });
    messages.querySelectorAll('li.msg').forEach((li) => {
      li.classList.add('seen');
      if (mentions(li)) li.classList.add('mention');
    });
    // An encrypted room's message can be read once e2e.js has opened it: only then is it matched with
    // what this page sent, and checked for a mention (notified only if it arrived while the page was open).
    messages.addEventListener('mayfly:opened', (e) => {
      var li = e.target;
      if (li.getAttribute('data-member') === me) {
        var i = pending.indexOf(li.querySelector('.body')?.textContent.trim());
        if (i >= 0) pending.splice(i, 1);
      } else if (mentions(li)) {
        li.classList.add('mention');
        if (li.classList.contains('arrived')) notifyMention(li);
      }
    });

    var errorTimer = null;
    var showError = (text) => {
      if (chatError) chatError.textContent = text;
    };
    if (chatError)
      new MutationObserver(() => {
        clearTimeout(errorTimer);
        if (chatError.textContent)
          errorTimer = setTimeout(() => {
            chatError.textContent = '';
          }, 6000);
        // The server refused a message from here: its text comes back, unless something new is being written.
        if (chatError.querySelector('[data-refused]') && pending.length) {
          var text = pending.shift();
          if (!content.value.trim()) {
            content.value = text;
            content.focus();
          }
        }
      }).observe(chatError, { childList: true });

    // A socket that is gone for good (refused, too fast, lost) cannot send: post the form the plain way instead,
    // which also reloads the page with a fresh connection.
    document.addEventListener('htmx:ws:error', (e) => {
      var err = e.detail?.error;
      var form = document.getElementById('composer');
      if (e.target !== form || form.tagName !== 'FORM' || !content.value.trim()) return;
      // An encrypted room's text is sealed only on the socket: the plain form would send it unsealed.
      if (room.hasAttribute('data-e2e-room')) return showError('Not connected: your message was not sent. Try again in a moment.');
      if (err === 'Connection not open' || err === 'Connection closed') HTMLFormElement.prototype.submit.call(form);
    });

    // Typing signals only for text written since the last send (the throttle's trailing signal after a send is
    // dropped); nothing whitespace-only is sent as a message.
    var wroteSinceSend = false;
    if (content)
      content.addEventListener('input', () => {
        wroteSinceSend = true;
      });
    document.addEventListener('htmx:ws:before:message:outgoing', (e) => {
      var detail = e.detail;
      var values = detail?.message?.values;
      if (!values) return;
      if (values.type === 'typing') {
        if (!wroteSinceSend || !content?.value.trim()) detail.cancelled = true;
      } else if (values.type === 'message') {
        if (!String(values.content ?? '').trim()) {
          detail.cancelled = true;
          showError('Write something before sending.');
          content?.focus();
          return;
        }
        wroteSinceSend = false;
      }
    });

    // After a sent message, empty the composer (the text is kept until the message is seen back or refused).
    document.addEventListener('htmx:ws:after:message:outgoing', (e) => {
      var values = e.detail?.message?.values;
      if (values && values.type === 'message' && composer && composer.tagName === 'FORM') {
        pending.push(String(values.content).trim());
        if (pending.length > 20) pending.shift();
        composer.reset();
        content.focus();
      }
    });

    // Reconnects (network, restart, hidden tab) ask only for what this page has not seen yet.
    var lastSeq = () => {
      var all = messages.querySelectorAll('li[data-seq]');
      return all.length ? all[all.length - 1].getAttribute('data-seq') : '0';
    };
    var retarget = (e) => {
      var conn = e.detail?.connection;
      if (conn?.url) conn.url = conn.url.replace(/since=\d*/, 'since=' + lastSeq());
    };
    document.addEventListener('htmx:ws:before:connection', retarget);
    document.addEventListener('htmx:ws:after:message:incoming', retarget);
    document.addEventListener('htmx:ws:after:connection', () => {
      room.setAttribute('data-live', 'open');
      status.textContent = '';
      status.className = 'conn';
    });

    // The composer gives way to a status line: why (in bold), then a link to the lobby.
    function closeComposer(why, between, linkText) {
      var box = document.createElement('div');
      box.id = 'composer';
      box.className = 'ended';
      box.setAttribute('role', 'status');
      var strong = document.createElement('strong');
      strong.textContent = why;
      var link = document.createElement('a');
      link.href = '/';
      link.textContent = linkText;
      box.append(strong, between, link);
      document.getElementById('composer')?.replaceWith(box);
    }

    // The room is gone (expired or destroyed, maybe while this tab slept): no composer, no countdown, no actions.
    function ended() {
      room.classList.add('is-ended');
      if (timer) clearInterval(timer);
      var wrap = document.getElementById('countdown-wrap');
      if (wrap) wrap.textContent = 'Ended';
      typists.forEach((t) => {
        clearTimeout(t.timer);
      });
      typists.clear();
      typing.textContent = '';
      document.getElementById('notify-mentions')?.closest('label')?.remove();
      var form = document.getElementById('composer');
      // The server's notice did not arrive (the socket was closed when it ended): say it here.
      if (form && form.tagName === 'FORM') closeComposer('This room is gone.', ' Every message is gone. ', 'Start a new room');
      // One clear ended state, as the server's notice makes it (whether or not it arrived): no
      // messages, nobody here, and the tab says so (the unread count no longer puts the name back).
      if (!messages.querySelector('.ended-notice')) {
        var gone = document.createElement('li');
        gone.className = 'notice ended-notice';
        gone.textContent = 'The room has ended. Nothing of it was kept.';
        messages.replaceChildren(gone);
      }
      document.getElementById('members')?.replaceChildren();
      var count = document.getElementById('member-count');
      if (count) count.textContent = '0';
      baseTitle = 'Room ended · mayfly';
      unread = 0;
      document.title = baseTitle;
    }
    // The owner removed me: the room is not mine to see any more.
    function removed() {
      room.classList.add('is-removed');
      if (timer) clearInterval(timer);
      status.textContent = '';
      status.className = 'conn';
      closeComposer('The owner removed you from this room.', ' ', 'Back to the lobby');
      document.getElementById('notify-mentions')?.closest('label')?.remove();
      messages.replaceChildren();
      document.getElementById('members')?.replaceChildren();
      baseTitle = 'Removed · mayfly';
      document.title = baseTitle;
    }
    var RECONNECTS = [1001, 1005, 1006, 1011, 1012, 1013, 1014];
    document.addEventListener('htmx:ws:close', (e) => {
      var code = e.detail?.code;
      if (code === null || code === undefined) return; // cancelled or element removed, not a socket close
      room.setAttribute('data-live', 'closed');
      if (code === 4410 || code === 4404) {
        status.textContent = '';
        status.className = 'conn';
        ended();
      } else if (code === 4403) {
        // An open room page is closed with 4403 only when the owner removes this member.
        removed();
      } else if (RECONNECTS.indexOf(code) < 0) {
        status.textContent = 'Disconnected — reload the page to reconnect.';
        status.className = 'conn bad';
      } else if (!document.hidden) {
        status.textContent = 'Reconnecting…';
        status.className = 'conn bad';
      }
    });
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
