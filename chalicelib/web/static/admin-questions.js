/* baoming console, custom questions (SPEC §6), loaded on first need by admin.js (C.questionsModule):
   the 报名问题 rows of the event form. Each row is one question: 问题, 题型, 选项 (single/multi,
   one per line), 必答, the roles it is asked of, its 问题编号; moved with 上移/下移, removed with
   删除. Every cell is data-field="questions.N.<name>", so the server's message for that field
   lands under it (admin.js fieldErrors tries the full path first). */
(function () {
  'use strict';
  var C = window.BaomingConsole, el = C.el, data = C.data;
  var TYPES = [['text', '单行文字'], ['textarea', '多行文字'], ['single', '单选'], ['multi', '多选'], ['number', '数字'], ['date', '日期']];
  var MAX = 20;
  function choice(type) { return type === 'single' || type === 'multi'; }

  /* One question as the API keeps it, keys in a fixed order (for comparing). */
  function canon(q) {
    var out = { question_id: q.question_id, label: q.label, type: q.type, required: !!q.required };
    if (choice(q.type)) out.options = q.options || [];
    if (q.roles && q.roles.length) out.roles = q.roles;
    return out;
  }

  C.questionsEditor = function (form) {
    var list = form.querySelector('#question-rows'), add = form.querySelector('#question-add');
    if (!list) return null;
    var serial = 0;
    function kind() {
      var picked = form.querySelector('input[name="kind"]:checked');
      return picked ? picked.value : '';
    }
    function freeId() {
      var used = {}, inputs = list.querySelectorAll('.q-id');
      for (var i = 0; i < inputs.length; i++) used[inputs[i].value.trim()] = true;
      for (var n = 1; ; n++) if (!used['q-' + n]) return 'q-' + n;
    }
    /* A labelled cell: the label, the control, its error line. */
    function cell(name, label, control, extra) {
      var id = 'q' + serial + '-' + name;
      control.id = id;
      control.setAttribute('aria-describedby', id + '-e');
      return el('div', { class: 'field q-' + name + '-cell', 'data-q': name }, [
        el('label', { for: id, text: label }), control, extra || null,
        el('p', { class: 'error', id: id + '-e', role: 'alert', hidden: true })
      ]);
    }
    function roleChips(box, checked) {
      C.clear(box);
      var roles = (data.kind_roles || {})[kind()] || [];
      checked.forEach(function (r) { if (roles.indexOf(r) < 0) roles = roles.concat([r]); }); // kept until the organiser unticks it
      roles.forEach(function (r) {
        box.appendChild(el('label', { class: 'chip' }, [
          el('input', { type: 'checkbox', class: 'q-role', value: r, checked: checked.indexOf(r) >= 0 }), el('span', { text: C.roleLabel(r) })
        ]));
      });
    }
    function row(q) {
      serial++;
      var type = el('select', { class: 'q-type' }, TYPES.map(function (t) {
        return el('option', { value: t[0], text: t[1], selected: t[0] === (q.type || 'text') });
      }));
      var options = el('textarea', { class: 'q-options', rows: Math.min(8, Math.max(3, (q.options || []).length + 1)), autocomplete: 'off' });
      options.value = (q.options || []).join('\n');
      var optionsCell = cell('options', '选项（每行一个）', options);
      optionsCell.hidden = !choice(type.value);
      var chips = el('div', { class: 'chips q-roles' });
      roleChips(chips, q.roles || []);
      var rolesId = 'q' + serial + '-roles';
      var li = el('li', { class: 'q-row' }, [el('fieldset', { class: 'q-set' }, [
        el('legend', { class: 'q-num' }),
        cell('label', '问题', el('input', { class: 'q-label', maxlength: 40, autocomplete: 'off', placeholder: '如：饮食禁忌', value: q.label || '' })),
        el('div', { class: 'q-two' }, [
          cell('type', '题型', type),
          cell('question_id', '问题编号', el('input', { class: 'q-id', maxlength: 64, autocomplete: 'off', autocapitalize: 'off', spellcheck: 'false', value: q.question_id || freeId() }))
        ]),
        optionsCell,
        el('div', { class: 'field', 'data-q': 'required' }, [
          el('label', { class: 'check' }, [el('input', { type: 'checkbox', class: 'q-required', checked: !!q.required }), el('span', { text: '必答' })])
        ]),
        el('fieldset', { class: 'field q-roles-cell', 'data-q': 'roles', 'aria-describedby': rolesId + '-e' }, [
          el('legend', { text: '只问这些身份（都不选则问所有人）' }), chips,
          el('p', { class: 'error', id: rolesId + '-e', role: 'alert', hidden: true })
        ]),
        el('div', { class: 'q-actions' }, [
          el('button', { type: 'button', class: 'btn btn-sm btn-ghost q-up', text: '上移' }),
          el('button', { type: 'button', class: 'btn btn-sm btn-ghost q-down', text: '下移' }),
          el('button', { type: 'button', class: 'btn btn-sm btn-danger-ghost q-remove', text: '删除' })
        ])
      ])]);
      type.addEventListener('change', function () { optionsCell.hidden = !choice(type.value); });
      list.appendChild(li);
      return li;
    }
    /* Numbers, field paths and button names follow the order on screen. */
    function renumber() {
      var rows = list.querySelectorAll('.q-row');
      for (var i = 0; i < rows.length; i++) {
        var name = '第 ' + (i + 1) + ' 题';
        rows[i].querySelector('.q-num').textContent = name;
        var cells = rows[i].querySelectorAll('[data-q]');
        for (var j = 0; j < cells.length; j++) cells[j].setAttribute('data-field', 'questions.' + i + '.' + cells[j].getAttribute('data-q'));
        rows[i].querySelector('.q-up').setAttribute('aria-label', '上移' + name);
        rows[i].querySelector('.q-down').setAttribute('aria-label', '下移' + name);
        rows[i].querySelector('.q-remove').setAttribute('aria-label', '删除' + name);
        rows[i].querySelector('.q-up').disabled = i === 0;
        rows[i].querySelector('.q-down').disabled = i === rows.length - 1;
      }
      if (add) add.disabled = rows.length >= MAX;
    }
    list.addEventListener('click', function (ev) {
      var button = ev.target.closest ? ev.target.closest('button') : null;
      if (!button) return;
      var li = button.closest('li'), cls = button.classList;
      if (cls.contains('q-remove')) {
        li.parentNode.removeChild(li);
        renumber();
        if (add) add.focus();
        return;
      }
      var other = cls.contains('q-up') ? li.previousElementSibling : li.nextElementSibling;
      if (!other) return;
      list.insertBefore(li, cls.contains('q-up') ? other : other.nextElementSibling);
      renumber();
      (button.disabled ? li.querySelector(cls.contains('q-up') ? '.q-down' : '.q-up') : button).focus();
    });
    var kinds = form.querySelectorAll('input[name="kind"]');
    for (var i = 0; i < kinds.length; i++) kinds[i].addEventListener('change', function () {
      var boxes = list.querySelectorAll('.q-roles');
      for (var j = 0; j < boxes.length; j++) {
        var checked = [], ticks = boxes[j].querySelectorAll('input:checked');
        for (var k = 0; k < ticks.length; k++) checked.push(ticks[k].value);
        roleChips(boxes[j], checked);
      }
    });

    return {
      add: function () { row({}); renumber(); list.lastChild.querySelector('.q-label').focus(); },
      fill: function (questions) { C.clear(list); (questions || []).forEach(row); renumber(); },
      value: function () {
        var out = [], rows = list.querySelectorAll('.q-row');
        for (var i = 0; i < rows.length; i++) {
          var r = rows[i], ticks = r.querySelectorAll('.q-role:checked'), roles = [];
          for (var j = 0; j < ticks.length; j++) roles.push(ticks[j].value);
          out.push(canon({
            question_id: r.querySelector('.q-id').value.trim(),
            label: r.querySelector('.q-label').value.trim(),
            type: r.querySelector('.q-type').value,
            required: r.querySelector('.q-required').checked,
            options: r.querySelector('.q-options').value.split('\n').map(function (s) { return s.trim(); }).filter(Boolean),
            roles: roles
          }));
        }
        return out;
      },
      same: function (a, b) { return JSON.stringify((a || []).map(canon)) === JSON.stringify((b || []).map(canon)); },
      /* Server messages: one option's ("questions.0.options.2") said with its number. */
      explain: function (fields) {
        var out = {};
        Object.keys(fields || {}).forEach(function (path) {
          var m = /^(questions\.\d+\.options)\.(\d+)$/.exec(path);
          if (!m) { out[path] = [].concat(out[path] || [], fields[path]); return; }
          out[m[1]] = [].concat(out[m[1]] || [], [].concat(fields[path]).map(function (t) { return '第 ' + (Number(m[2]) + 1) + ' 个选项：' + t; }));
        });
        return out;
      },
      /* 409 question_in_use: the questions named by their text (the server lists their ids). */
      inUse: function (body, saved) {
        var text = [].concat((body.fields || {}).questions || [])[0] || '', ids = text.split('：').pop().split(/,\s*/), names = [];
        (saved || []).forEach(function (q) { if (ids.indexOf(q.question_id) >= 0) names.push('「' + q.label + '」'); });
        return (names.length ? names.join('、') + '已有人回答' : '有问题已有人回答') +
          '，不能删除、改题型或删去选项，只能改问题文字或增加选项。未保存；点“还原”可撤销修改。';
      }
    };
  };
})();
