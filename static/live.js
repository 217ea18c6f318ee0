/* Aftersales Desk — the live desk in the browser (loaded on every signed-in page).
 *
 * One EventSource on /live/events tells this page what changed:
 * - tickets: a list ([data-live-list]) fetches its own address again and brings the changed rows
 *   up to date in place; rows new to it come in at once when the person is not using the list
 *   (no pointer over it, no focus in it, no box ticked), else a quiet "N new — show" hint waits
 *   for a click, so nothing moves under the cursor. A ticket page ([data-live-ticket]) asks
 *   what others changed since it was loaded and shows it above the forms; typed text stays.
 * - notices: the header's count is fetched again.
 * - presence: the ticket page's "also viewing / typing" line and the list's rows refresh.
 * - resync (announcements were missed): all of the above.
 * A ticket page also beats (/tickets/{id}/presence) every 20 s, says when typing starts and
 * stops, and says goodbye when closed. When the stream cannot be kept (blocked by a proxy, or
 * the session ended) the page falls back to refreshing every 30 s, and an ended session is said
 * with a link to sign in again; drafts are kept by app.js meanwhile.
 */
(function () {
  'use strict';

  var body = document.body;
  if (!body || !body.hasAttribute('data-live')) return;

  var me = Number(body.getAttribute('data-user'));
  var POLL_MS = 30000;
  var BEAT_MS = 20000;
  var TYPING_QUIET_MS = 8000;
  var DEBOUNCE_MS = 400;
  var MINE_GAP_MS = 1000;
  var SHOP_GAP_MS = 3000;

  function text(name) { return body.getAttribute('data-live-' + name) || ''; }

  function csrf() {
    try { return JSON.parse(body.getAttribute('hx-headers') || '{}')['X-CSRF-Token'] || ''; } catch (e) { return ''; }
  }

  // ---- the status line (offline, session ended) ----
  var status = document.getElementById('live-status');
  function say(message, link) {
    if (!status) return;
    status.textContent = message;
    if (link) {
      var a = document.createElement('a');
      a.href = '/login?expired=1&next=' + encodeURIComponent(location.pathname + location.search);
      a.textContent = link;
      status.appendChild(document.createTextNode(' '));
      status.appendChild(a);
    }
    status.hidden = false;
  }
  function quiet() { if (status) { status.hidden = true; status.textContent = ''; } }

  var expired = false;
  function sessionEnded() {
    if (expired) return;
    expired = true;
    stopPolling();
    say(text('expired'), text('sign-in'));
  }

  // A fetch of a page of ours: ends in the login page when the session is gone.
  function get(url) {
    return fetch(url, { credentials: 'same-origin', headers: { 'Accept': 'text/html' } }).then(function (r) {
      if (r.redirected && r.url.indexOf('/login') !== -1) { sessionEnded(); return null; }
      if (r.status === 401) { sessionEnded(); return null; }
      if (!r.ok) return null;
      return r.text();
    }, function () { return null; });
  }

  // ---- lists ----
  var list = document.querySelector('[data-live-list]');
  var hint = null;
  var pendingList = null;

  function listCares(data) {
    if (!list) return false;
    if (!data || !data.ids) return true;
    for (var i = 0; i < data.ids.length; i++) {
      if (list.querySelector('[data-ticket="' + data.ids[i] + '"]')) return true;
    }
    var scope = list.getAttribute('data-live-list');
    // "mine": only tickets that came to or left this person matter.
    if (scope === 'mine') return !data.to || data.to.indexOf(me) !== -1;
    return true;
  }

  function inUse() {
    if (!list) return false;
    if (list.matches(':hover')) return true;
    if (list.contains(document.activeElement) && document.activeElement !== list) return true;
    return !!list.querySelector('input[type=checkbox]:checked');
  }

  // At most one refresh per gap (a busy shop changes many times a second; the supervisor's lists
  // are the dearest to make), none while the tab is hidden: it refreshes when shown again.
  var lastListRefresh = 0;
  var listStale = false;
  function scheduleList() {
    if (!list || pendingList) return;
    if (document.hidden) { listStale = true; return; }
    var gap = list.getAttribute('data-live-list') === 'mine' ? MINE_GAP_MS : SHOP_GAP_MS;
    var wait = Math.max(DEBOUNCE_MS, lastListRefresh + gap - Date.now());
    pendingList = window.setTimeout(function () {
      pendingList = null;
      lastListRefresh = Date.now();
      refreshList(false);
    }, wait);
  }
  document.addEventListener('visibilitychange', function () {
    if (!document.hidden && listStale) { listStale = false; scheduleList(); }
  });

  function showHint(n) {
    if (!hint) {
      hint = document.createElement('button');
      hint.type = 'button';
      hint.className = 'btn btn-small live-hint';
      hint.id = 'live-hint';
      hint.addEventListener('click', function () { refreshList(true); });
      list.parentNode.insertBefore(hint, list);
    }
    hint.textContent = text('new').split('{n}').join(String(n));
    hint.hidden = false;
  }

  function hideHint() { if (hint) hint.hidden = true; }

  function refreshList(whole) {
    if (!list) return;
    get(location.href).then(function (html) {
      if (html === null) return;
      var doc = new DOMParser().parseFromString(html, 'text/html');
      var fresh = list.id && doc.getElementById(list.id);
      if (!fresh) return;
      var before = {};
      Array.prototype.forEach.call(list.querySelectorAll('[data-ticket]'), function (row) {
        before[row.getAttribute('data-ticket')] = row;
      });
      var incoming = 0;
      var seen = {};
      Array.prototype.forEach.call(fresh.querySelectorAll('[data-ticket]'), function (row) {
        var id = row.getAttribute('data-ticket');
        seen[id] = true;
        if (!before[id]) { incoming++; row.classList.add('live-new'); }
      });
      var leaving = 0;
      Object.keys(before).forEach(function (id) { if (!seen[id]) leaving++; });
      if (whole || ((incoming || leaving) && !inUse())) {
        var replacement = document.importNode(fresh, true);
        list.replaceWith(replacement);
        list = replacement;
        var swapped = [replacement];
        // The counts around the list (headings, chips) follow it.
        Array.prototype.forEach.call(doc.querySelectorAll('[data-live-part][id]'), function (part) {
          var old = document.getElementById(part.id);
          if (!old) return;
          var copy = document.importNode(part, true);
          old.replaceWith(copy);
          swapped.push(copy);
        });
        // Only what came in is made live for htmx (the rest of the page already is).
        if (window.htmx) swapped.forEach(function (el) { window.htmx.process(el); });
        hideHint();
        return;
      }
      // In use: rows change in place; what came or went waits behind the hint.
      Array.prototype.forEach.call(fresh.querySelectorAll('[data-ticket]'), function (row) {
        var id = row.getAttribute('data-ticket');
        var old = before[id];
        if (!old || old.getAttribute('data-sig') === row.getAttribute('data-sig')) return;
        var box = old.querySelector('input[type=checkbox]');
        var copy = document.importNode(row, true);
        copy.classList.add('live-changed');
        var newBox = copy.querySelector('input[type=checkbox]');
        if (box && newBox) newBox.checked = box.checked;
        old.replaceWith(copy);
        if (window.htmx) window.htmx.process(copy);
      });
      Object.keys(before).forEach(function (id) {
        if (!seen[id]) {
          before[id].classList.add('live-gone');
          before[id].title = text('gone');
        }
      });
      if (incoming || leaving) showHint(incoming + leaving); else hideHint();
    });
  }

  // ---- a ticket page ----
  var ticketId = null;
  function ticketBody() { return document.querySelector('[data-live-ticket]'); }
  (function () { var b = ticketBody(); if (b) ticketId = b.getAttribute('data-live-ticket'); })();

  function refreshChanges() {
    var b = ticketBody();
    if (!b) return;
    var seen = b.getAttribute('data-seen') || '0';
    get('/tickets/' + ticketId + '/changes?seen=' + encodeURIComponent(seen)).then(function (html) {
      if (html === null) return;
      var box = document.getElementById('live-changes');
      if (box) box.outerHTML = html;
    });
  }

  // Background refreshes go through get(), never htmx: an ended session must not take the
  // person away from their page (htmx would follow the desk's redirect to the login page).
  function refreshPresence() {
    if (!ticketId) return;
    get('/tickets/' + ticketId + '/presence').then(function (html) {
      var p = document.getElementById('presence');
      if (html !== null && p) p.outerHTML = html;
    });
  }

  var typing = false;
  var typingTimer = null;
  function beat(leave) {
    if (!ticketId || expired) return;
    var form = new URLSearchParams();
    if (leave) form.set('leave', '1'); else form.set('typing', typing ? '1' : '0');
    var request = fetch('/tickets/' + ticketId + '/presence', {
      method: 'POST',
      credentials: 'same-origin',
      keepalive: !!leave,
      headers: { 'X-CSRF-Token': csrf(), 'Content-Type': 'application/x-www-form-urlencoded' },
      body: form.toString()
    });
    if (leave) return;
    request.then(function (r) {
      if (r.redirected && r.url.indexOf('/login') !== -1) { sessionEnded(); return null; }
      return r.ok ? r.text() : null;
    }).then(function (html) {
      var p = document.getElementById('presence');
      if (html && p) p.outerHTML = html;
    }, function () {});
  }

  if (ticketId) {
    beat(false);
    window.setInterval(function () { beat(false); }, BEAT_MS);
    document.addEventListener('input', function (evt) {
      var b = ticketBody();
      var field = evt.target;
      if (!b || !field || !b.contains(field)) return;
      // Typing is writing text; choosing from a list or ticking a box is not.
      if (!(field.tagName === 'TEXTAREA' || (field.tagName === 'INPUT' && /^(text|search|number|)$/.test(field.type)))) return;
      if (!typing) { typing = true; beat(false); }
      window.clearTimeout(typingTimer);
      typingTimer = window.setTimeout(function () { typing = false; beat(false); }, TYPING_QUIET_MS);
    });
    window.addEventListener('pagehide', function () { beat(true); });
  }

  // ---- the header's count ----
  function refreshNotices() {
    get('/notifications/badge').then(function (html) {
      var link = document.getElementById('notices-link');
      if (html !== null && link) link.innerHTML = html;
    });
  }

  function refreshAll() {
    scheduleList();
    if (ticketId) { refreshChanges(); refreshPresence(); }
    refreshNotices();
  }

  // ---- the stream, and the fallback ----
  var poller = null;
  function startPolling() {
    if (poller || expired) return;
    say(text('offline'));
    poller = window.setInterval(function () {
      refreshAll();
      // Try the stream again now and then: the block may have been lifted.
      if (!source) connect();
    }, POLL_MS);
  }
  function stopPolling() { if (poller) { window.clearInterval(poller); poller = null; } }

  var source = null;
  var wasOpen = false;
  function connect() {
    if (!window.EventSource || expired) { startPolling(); return; }
    source = new EventSource('/live/events');
    source.addEventListener('ready', function () {
      // Connected again after a gap: what was said meanwhile is unknown.
      if (wasOpen || poller) refreshAll();
      wasOpen = true;
      stopPolling();
      quiet();
    });
    source.addEventListener('tickets', function (evt) {
      var data = null;
      try { data = JSON.parse(evt.data); } catch (e) { data = null; }
      if (listCares(data)) scheduleList();
      if (ticketId && (!data || !data.ids || data.ids.indexOf(Number(ticketId)) !== -1)) refreshChanges();
    });
    source.addEventListener('notices', refreshNotices);
    source.addEventListener('presence', function (evt) {
      var data = null;
      try { data = JSON.parse(evt.data); } catch (e) { data = null; }
      if (!data) return;
      if (ticketId && String(data.ticket) === String(ticketId)) refreshPresence();
      if (list && list.querySelector('[data-ticket="' + data.ticket + '"]')) scheduleList();
    });
    source.addEventListener('resync', refreshAll);
    source.addEventListener('expired', function () {
      source.close();
      source = null;
      sessionEnded();
    });
    source.onerror = function () {
      // CONNECTING: the browser tries again by itself. CLOSED: refused (no session, or blocked).
      if (source && source.readyState === EventSource.CLOSED) {
        source.close();
        source = null;
        get('/notifications/badge').then(function (html) { if (html !== null) startPolling(); });
      }
    };
  }

  connect();
})();
