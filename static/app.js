/* Aftersales Desk — small progressive enhancements. No inline handlers; CSP-safe. */
(function () {
  'use strict';

  // (a) <form data-confirm="…"> (or a submit button with data-confirm) asks before submitting;
  // `{amount}` in the question is the value of the form's [data-confirm-amount] field.
  // Capture phase on document runs before htmx's own submit listener on the form, so
  // stopping the event here also cancels hx-post / hx-put forms.
  document.addEventListener('submit', function (evt) {
    var form = evt.target;
    var submitter = evt.submitter;
    var message = (submitter && submitter.getAttribute('data-confirm')) ||
      (form && form.getAttribute && form.getAttribute('data-confirm'));
    // A money move asks with the amount typed in its form ({amount}).
    if (message && message.indexOf('{amount}') !== -1) {
      var amount = form && form.querySelector && form.querySelector('[data-confirm-amount]');
      message = message.split('{amount}').join(amount ? amount.value.trim() : '');
    }
    if (message && !window.confirm(message)) {
      evt.preventDefault();
      evt.stopImmediatePropagation();
      evt.stopPropagation();
    }
  }, true);

  // (a2) A [data-select-all] box ticks or clears every ticket box of its form.
  document.addEventListener('change', function (evt) {
    var all = evt.target;
    if (!all || !all.matches || !all.matches('[data-select-all]') || !all.form) return;
    Array.prototype.forEach.call(all.form.querySelectorAll('input[type=checkbox][name=ticket]'), function (box) {
      box.checked = all.checked;
    });
  });

  // (a3) A [data-copy-from="id"] button copies that element's text; its label says so briefly.
  document.addEventListener('click', function (evt) {
    var button = evt.target && evt.target.closest && evt.target.closest('[data-copy-from]');
    if (!button) return;
    var source = document.getElementById(button.getAttribute('data-copy-from'));
    if (!source) return;
    var text = source.textContent.trim();
    var label = button.textContent;
    function done() {
      button.textContent = button.getAttribute('data-copied') || label;
      setTimeout(function () { button.textContent = label; }, 2000);
    }
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(text).then(done, function () {
        var range = document.createRange();
        range.selectNodeContents(source);
        var selection = window.getSelection();
        selection.removeAllRanges();
        selection.addRange(range);
      });
    }
  });

  // (a4) A [data-insert-into="id"] button puts its data-text into that box (after what is
  // typed, on a new line), where the cursor then is; the box's draft keeps it ('input').
  document.addEventListener('click', function (evt) {
    var button = evt.target && evt.target.closest && evt.target.closest('[data-insert-into]');
    if (!button) return;
    var box = document.getElementById(button.getAttribute('data-insert-into'));
    if (!box) return;
    var text = button.getAttribute('data-text') || '';
    box.value = box.value.trim() ? box.value.replace(/\s+$/, '') + '\n' + text : text;
    box.dispatchEvent(new Event('input', { bubbles: true }));
    box.focus();
    box.setSelectionRange(box.value.length, box.value.length);
    var label = button.textContent;
    button.textContent = button.getAttribute('data-inserted') || label;
    setTimeout(function () { button.textContent = label; }, 2000);
  });

  // (b) After an htmx swap, focus the first [autofocus] element inside the new content; when
  // there is none and the swap answered the follow-up form, focus its box again (#summary), so
  // the agent can type the next contact straight away.
  // The form is the one that sent the settled request (not a global: other requests — the live
  // page's, the header's — may start and settle in between).
  document.addEventListener('htmx:afterSettle', function (evt) {
    var root = evt.detail && evt.detail.elt;
    var config = evt.detail && evt.detail.requestConfig;
    var source = config && config.elt;
    var sender = source && (source.tagName === 'FORM' ? source : source.closest && source.closest('form'));
    var fromForm = (sender && sender.id) || '';
    if (!root || !root.isConnected || !root.querySelector) return;
    var el = root.matches('[autofocus]') ? root : root.querySelector('[autofocus]');
    if (!el && fromForm === 'follow-up-form') el = root.querySelector('#summary');
    if (el && typeof el.focus === 'function') el.focus();
  });

  // (c) Countdowns: <time data-countdown datetime="2024-05-01T18:00:00+08:00">…</time>
  var TEXT = {
    zh: { left: function (d) { return '剩 ' + d; }, over: function (d) { return '超时 ' + d; },
      d: '天', h: '小时', m: '分', lt: '不到1分', sep: '' },
    en: { left: function (d) { return d + ' left'; }, over: function (d) { return 'overdue ' + d; },
      d: 'd', h: 'h', m: 'm', lt: '<1m', sep: ' ' }
  };

  function dict() {
    var lang = (document.documentElement.lang || 'zh-CN').toLowerCase();
    return lang.indexOf('zh') === 0 ? TEXT.zh : TEXT.en;
  }

  function duration(ms, t) {
    var mins = Math.floor(ms / 60000);
    if (mins < 1) return t.lt;
    var days = Math.floor(mins / 1440);
    var hours = Math.floor((mins % 1440) / 60);
    var m = mins % 60;
    if (days > 0) return days + t.d + (hours ? t.sep + hours + t.h : '');
    if (hours > 0) return hours + t.h + (m ? t.sep + m + t.m : '');
    return m + t.m;
  }

  function updateCountdowns(root) {
    var t = dict();
    var now = Date.now();
    var nodes = (root || document).querySelectorAll('time[data-countdown]');
    for (var i = 0; i < nodes.length; i++) {
      var el = nodes[i];
      var due = Date.parse(el.getAttribute('datetime') || '');
      if (isNaN(due)) continue;
      var diff = due - now;
      var past = diff <= 0;
      el.textContent = past ? t.over(duration(-diff, t)) : t.left(duration(diff, t));
      el.classList.toggle('badge-overdue', past);
      if (!el.title) el.title = new Date(due).toLocaleString(document.documentElement.lang || undefined);
    }
  }

  function start() {
    restoreDrafts(document);
    updateCountdowns(document);
    window.setInterval(function () { updateCountdowns(document); }, 30000);
  }

  document.addEventListener('htmx:afterSettle', function (evt) {
    var root = evt.detail && evt.detail.elt;
    if (root && root.isConnected && root.querySelectorAll) updateCountdowns(root.parentNode || root);
  });

  // (d) <input type="file" data-fill-into="ID">: the chosen text file is read into the textarea
  // #ID, where it can be looked over and is sent with the form (nothing is uploaded on its own).
  document.addEventListener('change', function (evt) {
    var input = evt.target;
    if (!input || !input.getAttribute || !input.files || !input.files.length) return;
    var target = document.getElementById(input.getAttribute('data-fill-into') || '');
    if (!target) return;
    var reader = new FileReader();
    reader.onload = function () { target.value = String(reader.result || ''); target.focus(); };
    reader.readAsText(input.files[0], 'utf-8');
  });

  // (e) Drafts: a field with data-draft="KEY" (the follow-up, the note, the move's note; the key
  // names the ticket and the field) is kept in localStorage as it is typed, so a reload or an
  // expired session loses nothing. It is put back into its box when the box comes back empty,
  // and forgotten once the server confirms the save (the swapped content carries .flash-ok).
  var DRAFT_PREFIX = 'aftersales.draft.';

  function storage() {
    try { return window.localStorage; } catch (e) { return null; }
  }

  function saveDraft(field) {
    var store = storage();
    var key = field.getAttribute('data-draft');
    if (!store || !key) return;
    try {
      if (field.value) store.setItem(DRAFT_PREFIX + key, field.value);
      else store.removeItem(DRAFT_PREFIX + key);
    } catch (e) { /* storage full or refused: the box itself still holds the text */ }
  }

  function restoreDrafts(root) {
    var store = storage();
    if (!store || !root || !root.querySelectorAll) return;
    var fields = root.querySelectorAll('[data-draft]');
    for (var i = 0; i < fields.length; i++) {
      var field = fields[i];
      var kept = store.getItem(DRAFT_PREFIX + field.getAttribute('data-draft'));
      if (kept && !field.value) field.value = kept;
      else if (field.value) saveDraft(field);
    }
  }

  function draftKeys(form) {
    var keys = [];
    if (!form || !form.querySelectorAll) return keys;
    var fields = form.querySelectorAll('[data-draft]');
    for (var i = 0; i < fields.length; i++) keys.push(fields[i].getAttribute('data-draft'));
    return keys;
  }

  document.addEventListener('input', function (evt) {
    if (evt.target && evt.target.hasAttribute && evt.target.hasAttribute('data-draft')) saveDraft(evt.target);
  });
  document.addEventListener('change', function (evt) {
    if (evt.target && evt.target.hasAttribute && evt.target.hasAttribute('data-draft')) saveDraft(evt.target);
  });

  // Signing out forgets every draft: what was typed about buyers does not outlive the session
  // on a shared computer.
  document.addEventListener('submit', function (evt) {
    var form = evt.target;
    var store = storage();
    if (!store || !form || form.getAttribute('action') !== '/logout' || evt.defaultPrevented) return;
    for (var i = store.length - 1; i >= 0; i--) {
      var key = store.key(i);
      if (key && key.indexOf(DRAFT_PREFIX) === 0) store.removeItem(key);
    }
  });

  // The drafts a request carries are those of the form that sent it, found from the request
  // itself when it settles: requests running meanwhile (the live page's own fetches, a badge)
  // neither take nor forget them.
  function sourceForm(elt) {
    return elt && (elt.tagName === 'FORM' ? elt : elt.closest && elt.closest('form'));
  }

  document.addEventListener('htmx:beforeRequest', function (evt) {
    if (sourceForm(evt.detail && evt.detail.elt)) clearRequestError();
  });

  document.addEventListener('htmx:afterSettle', function (evt) {
    var root = evt.detail && evt.detail.elt;
    if (!root || !root.isConnected) return;
    var config = evt.detail.requestConfig;
    var sent = draftKeys(sourceForm(config && config.elt));
    var saved = root.querySelector && (root.matches('.flash-ok') || root.querySelector('.flash-ok'));
    var store = storage();
    if (saved && store) {
      for (var i = 0; i < sent.length; i++) store.removeItem(DRAFT_PREFIX + sent[i]);
    }
    restoreDrafts(root);
  });

  // (f) An htmx request the desk could not answer (4xx/5xx: htmx does not swap those) or could
  // not send at all: the form stays as it was, and a message in the page's language (texts on
  // <body data-request-failed / data-request-unsent>) says so just above it.
  function clearRequestError() {
    var old = document.getElementById('request-error');
    if (old && old.parentNode) old.parentNode.removeChild(old);
  }

  function showRequestError(evt, attribute) {
    clearRequestError();
    var text = document.body.getAttribute(attribute);
    if (!text) return;
    var box = document.createElement('div');
    box.id = 'request-error';
    box.className = 'flash flash-error';
    box.setAttribute('role', 'alert');
    box.textContent = text;
    var elt = evt.detail && evt.detail.elt;
    var form = elt && (elt.tagName === 'FORM' ? elt : elt.closest && elt.closest('form'));
    var anchor = form && form.isConnected ? form : document.querySelector('main');
    if (anchor === form) anchor.parentNode.insertBefore(box, anchor);
    else if (anchor) anchor.insertBefore(box, anchor.firstChild);
  }

  // A copy button (data-copy="text"): the text goes to the clipboard, and the button says so
  // for a moment (data-copied, its text in the page's language). Where the browser gives no
  // clipboard (a plain-http address other than localhost) or refuses it, the code beside the
  // button is selected instead, ready for Ctrl+C.
  document.addEventListener('click', function (evt) {
    var button = evt.target.closest && evt.target.closest('[data-copy]');
    if (!button) return;
    evt.preventDefault();
    var code = button.previousElementSibling;
    function selectCode() {
      if (!code || !window.getSelection) return;
      var range = document.createRange();
      range.selectNodeContents(code);
      var selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
    }
    if (!navigator.clipboard) {
      selectCode();
      return;
    }
    navigator.clipboard.writeText(button.getAttribute('data-copy')).then(function () {
      var label = button.textContent;
      button.textContent = button.getAttribute('data-copied') || label;
      setTimeout(function () { button.textContent = label; }, 1500);
    }, selectCode);
  });

  document.addEventListener('htmx:responseError', function (evt) { showRequestError(evt, 'data-request-failed'); });
  document.addEventListener('htmx:sendError', function (evt) { showRequestError(evt, 'data-request-unsent'); });

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
})();
