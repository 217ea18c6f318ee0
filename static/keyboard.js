/* Aftersales Desk — keyboard-first work: shortcuts, their help overlay (?), walking the queue's
   rows (j/k, Enter, a), and the canned-reply picker on the ticket page (Ctrl+/ in a text field,
   or r). No inline handlers; CSP-safe. */
(function () {
  'use strict';

  var pendingG = false;

  function typing(el) {
    if (!el) return false;
    var tag = el.tagName;
    return tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT' || el.isContentEditable;
  }

  function ticketId() {
    var link = document.getElementById('next-ticket');
    return link ? link.getAttribute('data-ticket-id') : null;
  }

  // "Next ticket" continues from the place in the queue the ticket was opened at (the queue's
  // row link and each "next" carry it as ?from=), so that a follow-up just saved, which moves
  // this ticket's deadline, does not skip the tickets still overdue behind it.
  function nextUrl(id) {
    var from = new URLSearchParams(window.location.search).get('from');
    return '/tickets/' + id + '/next' + (from ? '?from=' + encodeURIComponent(from) : '');
  }

  document.addEventListener('click', function (evt) {
    var link = evt.target && evt.target.closest && evt.target.closest('#next-ticket');
    if (!link || evt.button !== 0 || evt.ctrlKey || evt.metaKey || evt.shiftKey || evt.altKey) return;
    evt.preventDefault();
    window.location.assign(nextUrl(link.getAttribute('data-ticket-id')));
  });

  // Chromium leaves an empty style="" on form fields after typing; htmx copies `style` from the
  // old elements to the swapped-in ones while settling, which the strict CSP reports. Drop the
  // empty ones before a swap (removing an attribute is always allowed).
  document.addEventListener('htmx:beforeSwap', function (evt) {
    var target = evt.detail && evt.detail.target;
    if (!target || !target.querySelectorAll) return;
    Array.prototype.forEach.call(target.querySelectorAll('[style=""]'), function (el) { el.removeAttribute('style'); });
    if (target.getAttribute('style') === '') target.removeAttribute('style');
  });

  // ---- Help overlay ----------------------------------------------------------------------
  function closeHelp() {
    var help = document.getElementById('kbd-help');
    if (help) help.remove();
  }

  function openHelp() {
    if (document.getElementById('kbd-help')) return;
    fetch('/shortcuts', { credentials: 'same-origin', headers: { 'HX-Request': 'true' } })
      .then(function (r) { return r.ok ? r.text() : ''; })
      .then(function (html) {
        if (!html || document.getElementById('kbd-help')) return;
        var holder = document.createElement('div');
        holder.innerHTML = html;
        var help = holder.firstElementChild;
        if (!help) return;
        document.body.appendChild(help);
        help.focus();
      });
  }

  document.addEventListener('click', function (evt) {
    var target = evt.target;
    if (!target || !target.closest) return;
    if (target.closest('[data-kbd-close]') || target.id === 'kbd-help') closeHelp();
    if (target.closest('[data-reply-open]')) { evt.preventDefault(); openPicker(); }
    var option = target.closest('.reply-option');
    if (option) { evt.preventDefault(); choose(option, !!target.closest('[data-reply-copy]')); }
  });

  // ---- Canned-reply picker ---------------------------------------------------------------
  var lastField = null;

  function picker() { return document.getElementById('reply-picker'); }

  function visibleOptions() {
    var p = picker();
    if (!p) return [];
    return Array.prototype.filter.call(p.querySelectorAll('.reply-option'), function (li) { return !li.hidden; });
  }

  function setActive(li) {
    var p = picker();
    if (!p) return;
    Array.prototype.forEach.call(p.querySelectorAll('.reply-option'), function (o) {
      o.classList.remove('active');
      o.setAttribute('aria-selected', 'false');
    });
    if (li) {
      li.classList.add('active');
      li.setAttribute('aria-selected', 'true');
      li.scrollIntoView({ block: 'nearest' });
      var search = document.getElementById('reply-search');
      if (search) search.setAttribute('aria-activedescendant', li.id);
    }
  }

  // The replies written for other kinds or statuses stay hidden unless "show all" is ticked.
  function filter(text) {
    var words = text.toLowerCase().split(/\s+/).filter(Boolean);
    var p = picker();
    if (!p) return;
    var all = document.getElementById('reply-show-all');
    var showAll = !!(all && all.checked);
    Array.prototype.forEach.call(p.querySelectorAll('.reply-option'), function (li) {
      var hay = li.getAttribute('data-search') || '';
      var unfit = li.hasAttribute('data-unfit');
      li.hidden = (unfit && !showAll) || !words.every(function (w) { return hay.indexOf(w) !== -1; });
    });
    warn(null);
    setActive(visibleOptions()[0] || null);
  }

  // A reply that does not fit the ticket, or lacks a fact, is not inserted silently: the first
  // choice shows why, the second (same reply) goes ahead.
  var armed = null;

  function warn(text) {
    var box = document.getElementById('reply-warning');
    armed = null;
    if (!box) return;
    box.textContent = text || '';
    box.hidden = !text;
  }

  function caution(li) {
    var p = picker();
    var parts = [];
    var fit = li.getAttribute('data-unfit');
    var missing = li.getAttribute('data-missing');
    if (fit) parts.push((p.getAttribute('data-warn-unfit') || '').replace('{fit}', fit));
    if (missing) parts.push((p.getAttribute('data-warn-missing') || '').replace('{missing}', missing));
    if (parts.length) parts.push(p.getAttribute('data-warn-confirm') || '');
    return parts.join(' ');
  }

  function say(text) {
    var status = document.getElementById('reply-status');
    if (!status) return;
    status.textContent = text;
    status.hidden = !text;
  }

  function copyText(text, done) {
    function fallback() {
      var area = document.createElement('textarea');
      area.value = text;
      area.setAttribute('readonly', '');
      area.style.position = 'fixed';
      area.style.opacity = '0';
      document.body.appendChild(area);
      area.select();
      var ok = false;
      try { ok = document.execCommand('copy'); } catch (e) { ok = false; }
      document.body.removeChild(area);
      done(ok);
    }
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(text).then(function () { done(true); }, fallback);
    } else {
      fallback();
    }
  }

  function openPicker(field) {
    var p = picker();
    if (!p) return;
    lastField = field || document.getElementById('summary');
    p.hidden = false;
    var search = document.getElementById('reply-search');
    if (search) {
      search.value = '';
      filter('');
      search.focus();
    }
  }

  function closePicker(refocus) {
    var p = picker();
    if (!p || p.hidden) return;
    p.hidden = true;
    if (refocus && lastField) lastField.focus();
  }

  // Inserts the reply at the caret; with `copy`, also puts it on the clipboard for 千牛/旺旺 and
  // marks the follow-up as a chat — saving the follow-up records the reply sent.
  function choose(li, copy) {
    var field = lastField || document.getElementById('summary');
    if (!field || !li) return;
    var why = caution(li);
    if (why && armed !== li) {
      warn(why);
      armed = li;
      setActive(li);
      return;
    }
    warn(null);
    var text = li.getAttribute('data-text') || '';
    if (copy) {
      var p = picker();
      copyText(text, function (ok) {
        say(p.getAttribute(ok ? 'data-copied' : 'data-copy-failed') || '');
      });
      var channel = document.getElementById('channel');
      if (channel && field.id === 'summary') channel.value = 'chat';
    } else {
      say('');
    }
    var start = field.selectionStart == null ? field.value.length : field.selectionStart;
    var end = field.selectionEnd == null ? field.value.length : field.selectionEnd;
    field.value = field.value.slice(0, start) + text + field.value.slice(end);
    var caret = start + text.length;
    closePicker(false);
    field.focus();
    try { field.setSelectionRange(caret, caret); } catch (e) { /* not a text field */ }
    var hidden = document.getElementById('canned-reply');
    if (hidden && field.id === 'summary') hidden.value = li.getAttribute('data-reply-id') || '';
    field.dispatchEvent(new Event('input', { bubbles: true }));
  }

  document.addEventListener('input', function (evt) {
    if (evt.target && evt.target.id === 'reply-search') filter(evt.target.value);
  });

  document.addEventListener('change', function (evt) {
    if (evt.target && evt.target.id === 'reply-show-all') {
      var search = document.getElementById('reply-search');
      filter(search ? search.value : '');
      if (search) search.focus();
    }
  });

  function pickerKeys(evt) {
    var options = visibleOptions();
    var current = picker().querySelector('.reply-option.active');
    var index = options.indexOf(current);
    if (evt.key === 'ArrowDown') {
      evt.preventDefault();
      setActive(options[Math.min(index + 1, options.length - 1)] || null);
    } else if (evt.key === 'ArrowUp') {
      evt.preventDefault();
      setActive(options[Math.max(index - 1, 0)] || null);
    } else if (evt.key === 'Enter') {
      evt.preventDefault();
      if (current) choose(current, evt.shiftKey);
    } else if (evt.key === 'Escape') {
      evt.preventDefault();
      closePicker(true);
    }
  }

  // ---- Shortcuts -------------------------------------------------------------------------
  function click(selector) {
    var el = document.querySelector(selector);
    if (el) { el.click(); return true; }
    return false;
  }

  function focus(selector) {
    var el = document.querySelector(selector);
    if (el) { el.scrollIntoView({ block: 'center' }); el.focus(); return true; }
    return false;
  }

  // ---- Queue rows: j/k move a visible focus, Enter opens, a takes the row ------------------
  function queueRows() {
    return Array.prototype.slice.call(document.querySelectorAll('#queue-results tbody tr'));
  }

  function currentRow() {
    return document.querySelector('#queue-results tbody tr.kbd-row');
  }

  // Moves the row focus by `step` (1 down, -1 up; the first j takes the first row) and puts the
  // keyboard focus on the row's ticket link, so that Enter opens it.
  function walkRows(step) {
    var rows = queueRows();
    if (!rows.length) return false;
    var at = rows.indexOf(currentRow());
    var next = at < 0 ? (step > 0 ? 0 : rows.length - 1) : Math.min(rows.length - 1, Math.max(0, at + step));
    rows.forEach(function (row) { row.classList.remove('kbd-row'); });
    var row = rows[next];
    row.classList.add('kbd-row');
    var link = row.querySelector('a[href^="/tickets/"]');
    if (link) link.focus();
    row.scrollIntoView({ block: 'nearest' });
    return true;
  }

  function assignFocusedRow() {
    var row = currentRow();
    var button = row && row.querySelector('button[name="assignee"][value="me"]');
    if (button) { button.click(); return true; }
    return false;
  }

  document.addEventListener('keydown', function (evt) {
    var target = evt.target;
    var p = picker();
    if (p && !p.hidden && target && target.id === 'reply-search') { pickerKeys(evt); return; }
    if (evt.key === 'Escape') {
      if (document.getElementById('kbd-help')) { evt.preventDefault(); closeHelp(); return; }
      if (typing(target)) { target.blur(); return; }
    }
    // Ctrl+/ opens the picker from a text field; Ctrl+Enter submits the field's form.
    if ((evt.ctrlKey || evt.metaKey) && evt.key === '/') {
      if (picker()) { evt.preventDefault(); openPicker(target && target.tagName === 'TEXTAREA' ? target : null); }
      return;
    }
    if ((evt.ctrlKey || evt.metaKey) && evt.key === 'Enter' && target && target.form) {
      evt.preventDefault();
      if (target.form.requestSubmit) target.form.requestSubmit(); else target.form.submit();
      return;
    }
    if (evt.ctrlKey || evt.metaKey || evt.altKey || typing(target) || evt.isComposing) return;
    if (pendingG) {
      pendingG = false;
      if (evt.key === 'q') { evt.preventDefault(); window.location.assign('/?view=mine'); }
      return;
    }
    var id = ticketId();
    switch (evt.key) {
      case '?':
        evt.preventDefault(); openHelp(); break;
      case '/':
        if (focus('#search-q') || focus('#topsearch-q')) evt.preventDefault(); break;
      case 'g':
        pendingG = true; window.setTimeout(function () { pendingG = false; }, 1200); break;
      case 'n':
        if (id) { evt.preventDefault(); window.location.assign(nextUrl(id)); }
        else if (click('#queue-results a[href^="/tickets/"]')) evt.preventDefault();
        break;
      case 'f':
        if (focus('#summary')) evt.preventDefault(); break;
      case 'r':
        if (picker()) { evt.preventDefault(); openPicker(); } break;
      case 's':
        if (focus('fieldset.transitions button[name="to"]')) evt.preventDefault(); break;
      case 'j':
        if (walkRows(1)) evt.preventDefault(); break;
      case 'k':
        if (walkRows(-1)) evt.preventDefault(); break;
      case 'Enter':
        // On the row's link Enter follows it by itself; elsewhere it opens the focused row.
        if (currentRow() && !(target && target.closest && target.closest('a, button'))
            && click('#queue-results tbody tr.kbd-row a[href^="/tickets/"]')) evt.preventDefault();
        break;
      case 'a':
        if (document.getElementById('queue-results')) { if (assignFocusedRow()) evt.preventDefault(); }
        else if (click('button[name="assignee"][value="me"]')) evt.preventDefault();
        break;
      default:
        break;
    }
  });
})();
