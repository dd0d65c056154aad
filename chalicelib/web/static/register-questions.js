/* baoming registration form: custom questions (SPEC §6), loaded only when the event has some.
   Shows the questions for the chosen role and gives register.js the `answers`. */
(function () {
  'use strict';
  var form = document.getElementById('reg-form');
  if (!form) return;
  var boxes = form.querySelectorAll('[data-answer]');
  function role() {
    var el = form.elements.namedItem('role');
    return el ? String(el.value || '') : '';
  }
  function asked(box) {
    var roles = box.getAttribute('data-roles');
    return !roles || roles.split(' ').indexOf(role()) >= 0;
  }
  function sync() {
    for (var i = 0; i < boxes.length; i++) boxes[i].hidden = !asked(boxes[i]);
  }
  form.addEventListener('change', function (ev) { if (ev.target && ev.target.name === 'role') sync(); });
  sync();
  window.baomingAnswers = function () {
    var out = {};
    for (var i = 0; i < boxes.length; i++) {
      var box = boxes[i], id = box.getAttribute('data-answer'), type = box.getAttribute('data-type');
      if (box.hidden) continue;
      if (type === 'multi') {
        var picked = [], checks = box.querySelectorAll('input:checked');
        for (var j = 0; j < checks.length; j++) picked.push(checks[j].value);
        if (picked.length) out[id] = picked;
        continue;
      }
      var text = String(box.querySelector('input, select, textarea').value || '').trim();
      if (!text) continue;
      var number = Number(text);
      out[id] = type === 'number' && isFinite(number) ? number : text;
    }
    return out;
  };
})();
