// mayfly's few lines of browser JavaScript: countdown, copy link, own messages, composer and reconnect catch-up.
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
      if (!Number.isNaN(d)) {
        t.textContent = pad(d.getHours()) + ':' + pad(d.getMinutes());
        t.title = d.toLocaleString();
      }
      t.setAttribute('data-local', '');
    });
  }

  function init() {
    localizeTimes(document);
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
    var countdown = document.getElementById('countdown');
    var timer = null;
    if (countdown) {
      var expiresAt = Number(countdown.getAttribute('data-expires-at'));
      var tick = () => {
        var left = expiresAt - Date.now();
        countdown.textContent = formatLeft(left);
        if (left <= 60000) countdown.classList.add('soon');
        if (left <= 0) clearInterval(timer);
      };
      timer = setInterval(tick, 1000);
      tick();
    }

    // Copy link.
    var copy = document.getElementById('copy-link');
    if (copy)
      copy.addEventListener('click', () => {
        var link = copy.getAttribute('data-link');
        var done = () => {
          copy.textContent = 'Copied!';
          setTimeout(() => {
            copy.textContent = 'Copy link';
          }, 1500);
        };
        if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(link).then(done, fallback);
        else fallback();
        function fallback() {
          var box = document.getElementById('room-link');
          box.select();
          try {
            document.execCommand('copy');
            done();
          } catch {
            /* the link stays selected for manual copy */
          }
        }
      });

    // Destroy asks first.
    var destroy = document.getElementById('destroy-form');
    if (destroy)
      destroy.addEventListener('submit', (e) => {
        if (!confirm('Destroy this room for everyone? Every message will be gone.')) e.preventDefault();
      });

    // Enter sends, Shift+Enter makes a new line.
    if (content)
      content.addEventListener('keydown', (e) => {
        if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
          e.preventDefault();
          if (content.value.trim()) content.form.requestSubmit();
        }
      });

    // New nodes: mark own messages, localize times, clear stale typing, keep scrolled to the bottom.
    var typingTimer = null;
    new MutationObserver(() => {
      var follow = atBottom;
      messages.querySelectorAll('li.msg:not(.seen)').forEach((li) => {
        li.classList.add('seen');
        if (li.getAttribute('data-member') === me) {
          li.classList.add('mine');
          follow = true;
        }
        var empty = messages.querySelector('li.empty');
        if (empty) empty.remove();
        // A message from the typist ends their typing notice.
        var t = typing.querySelector('[data-member]');
        if (t && t.getAttribute('data-member') === li.getAttribute('data-member')) typing.textContent = '';
      });
      localizeTimes(messages);
      if (follow) scrollDown();
    }).observe(messages, { childList: true });
    messages.querySelectorAll('li.msg').forEach((li) => {
      li.classList.add('seen');
    });

    new MutationObserver(() => {
      var t = typing.querySelector('[data-member]');
      if (t && t.getAttribute('data-member') === me) {
        typing.textContent = '';
        return;
      }
      clearTimeout(typingTimer);
      if (t)
        typingTimer = setTimeout(() => {
          typing.textContent = '';
        }, 4000);
    }).observe(typing, { childList: true });

    var errorTimer = null;
    if (chatError)
      new MutationObserver(() => {
        clearTimeout(errorTimer);
        if (chatError.textContent)
          errorTimer = setTimeout(() => {
            chatError.textContent = '';
          }, 6000);
      }).observe(chatError, { childList: true });

    // A socket that is gone for good (refused, too fast, lost) cannot send: post the form the plain way instead,
    // which also reloads the page with a fresh connection.
    document.addEventListener('htmx:ws:error', (e) => {
      var err = e.detail?.error;
      var form = document.getElementById('composer');
      if (e.target !== form || form.tagName !== 'FORM' || !content.value.trim()) return;
      if (err === 'Connection not open' || err === 'Connection closed') HTMLFormElement.prototype.submit.call(form);
    });

    // After a sent message, empty the composer.
    document.addEventListener('htmx:ws:after:message:outgoing', (e) => {
      var values = e.detail?.message?.values;
      if (values && values.type === 'message' && composer && composer.tagName === 'FORM') {
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

    // The room is gone (expired or destroyed, maybe while this tab slept): no composer, no countdown, no actions.
    function ended() {
      room.classList.add('is-ended');
      if (timer) clearInterval(timer);
      var wrap = document.getElementById('countdown-wrap');
      if (wrap) wrap.textContent = 'Ended';
      typing.textContent = '';
      var form = document.getElementById('composer');
      if (form && form.tagName === 'FORM') {
        // The server's notice did not arrive (the socket was closed when it ended): say it here.
        var box = document.createElement('div');
        box.id = 'composer';
        box.className = 'ended';
        box.setAttribute('role', 'status');
        var strong = document.createElement('strong');
        strong.textContent = 'This room is gone.';
        var link = document.createElement('a');
        link.href = '/';
        link.textContent = 'Start a new room';
        box.append(strong, ' Every message is gone. ', link);
        form.replaceWith(box);
      }
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
