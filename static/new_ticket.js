/* Aftersales Desk — the new-ticket form shows the fields of the chosen kind and the reasons that
   fit it. The server renders the form for one kind already (chosen with the order's look-up);
   this only follows a change of the kind in the form. Fields of other kinds stay in the page,
   hidden, and the server ignores them. No inline handlers; CSP-safe. */
(function () {
  'use strict';

  // "refund:no_reason quality …;return:…" → { refund: ['no_reason', 'quality', …], … }
  function reasonsByKind(select) {
    var map = {};
    (select.getAttribute('data-reasons-by-kind') || '').split(';').forEach(function (entry) {
      var parts = entry.split(':');
      if (parts.length === 2) map[parts[0]] = parts[1].split(' ');
    });
    return map;
  }

  function apply(form, kind) {
    form.querySelectorAll('[data-kinds]').forEach(function (field) {
      field.hidden = field.getAttribute('data-kinds').split(' ').indexOf(kind) < 0;
    });
    var reason = form.querySelector('#reason');
    if (!reason) return;
    var fits = reasonsByKind(reason)[kind] || [];
    var firstFitting = null;
    Array.prototype.forEach.call(reason.options, function (option) {
      var ok = fits.indexOf(option.value) >= 0;
      option.hidden = !ok;
      option.disabled = !ok;
      if (ok && !firstFitting) firstFitting = option;
    });
    if (reason.selectedOptions.length === 0 || reason.selectedOptions[0].disabled) {
      if (firstFitting) firstFitting.selected = true;
    }
  }

  document.addEventListener('change', function (evt) {
    var target = evt.target;
    if (!target || target.id !== 'kind' || !target.form) return;
    apply(target.form, target.value);
    var lookup = document.getElementById('lookup-kind');
    if (lookup) lookup.value = target.value;
  });
})();
