/* baoming console, award ceremonies (SPEC §9), loaded on first need by admin.js (C.awardsModule):
   the awards rows of the event form; the programme behind the attendee list (who is a nominee of
   which award, whose companion someone is, how many companions are in); the 座位/奖项 dialog that
   PATCHes a registration's seat, award and companion. */
(function () {
  'use strict';
  var C = window.BaomingConsole, $ = C.$, el = C.el, data = C.data;
  var eid = data.event_id;

  /* The awards of an award ceremony (SPEC §9): one row per award (名称, 名额, 编号), added and
     removed in the form; value() is the list the API takes. Null when the form has no awards field. */
  C.awardsEditor = function (form) {
    var list = form.querySelector('#award-rows'), add = form.querySelector('#award-add');
    if (!list) return null;
    var serial = 0;
    function freeId() {
      var used = {}, inputs = list.querySelectorAll('.aw-id');
      for (var i = 0; i < inputs.length; i++) used[inputs[i].value.trim()] = true;
      for (var n = 1; ; n++) if (!used['award-' + n]) return 'award-' + n;
    }
    function input(kind, label, attrs, value) {
      var id = 'aw-' + kind + '-' + (++serial);
      return el('div', { class: 'aw-cell aw-' + kind + '-cell' }, [
        el('label', { for: id, text: label }),
        el('input', Object.assign({ id: id, class: 'aw-' + kind, autocomplete: 'off', value: value }, attrs))
      ]);
    }
    function row(award) {
      var li = el('li', { class: 'award-row' }, [
        input('name', '奖项名称', { maxlength: 40, placeholder: '如：十大孝星' }, award.name || ''),
        input('slots', '名额', { type: 'number', inputmode: 'numeric', min: 1, max: 100, step: 1 },
          award.slots === undefined || award.slots === null ? 10 : award.slots),
        input('id', '奖项编号', { maxlength: 64, autocapitalize: 'off', spellcheck: 'false' }, award.award_id || freeId())
      ]);
      li.appendChild(el('button', { type: 'button', class: 'btn btn-sm btn-danger-ghost aw-remove', text: '删除',
        'aria-label': '删除奖项' + (award.name ? '：' + award.name : '') }));
      list.appendChild(li);
      return li;
    }
    list.addEventListener('click', function (ev) {
      var button = ev.target.closest ? ev.target.closest('.aw-remove') : null;
      if (!button) return;
      var li = button.closest('li');
      li.parentNode.removeChild(li);
      if (add) add.focus();
    });
    return {
      add: function () { row({}).querySelector('.aw-name').focus(); },
      fill: function (awards) { C.clear(list); (awards || []).forEach(row); },
      value: function () {
        var out = [], rows = list.querySelectorAll('.award-row');
        for (var i = 0; i < rows.length; i++) {
          var slots = rows[i].querySelector('.aw-slots').value.trim();
          out.push({
            award_id: rows[i].querySelector('.aw-id').value.trim(),
            name: rows[i].querySelector('.aw-name').value.trim(),
            slots: /^\d+$/.test(slots) ? Number(slots) : slots
          });
        }
        return out;
      }
    };
  };


  /* programme(event) → Promise of {nominees: {rid: {name, award, companions}}, list: [...]}
     (empty for events without nominees; never fails: the list shows without it). */
  function programme(event) {
    if (!event || event.kind !== 'award_ceremony') return Promise.resolve({ nominees: {}, list: [] });
    return C.api('GET', C.eventPath(eid, '/programme')).then(function (answer) {
      var out = { nominees: {}, list: [] };
      if (answer.status !== 200) return out;
      (answer.body.awards || []).forEach(function (award) {
        (award.nominees || []).forEach(function (n) {
          var entry = { rid: n.registration_id, name: n.name, award: award.name, companions: n.companions || { total: 0, checked_in: 0 } };
          out.nominees[n.registration_id] = entry;
          out.list.push(entry);
        });
      });
      return out;
    });
  }

  /* A line under a row's role: the award of a nominee (and companions in / total), or whose companion this is. */
  function describe(r, info, event) {
    var nominees = (info && info.nominees) || {};
    if (r.role === 'nominee') {
      var award = null;
      (event && event.awards || []).forEach(function (a) { if (a.award_id === r.award_id) award = a.name; });
      var mine = nominees[r.registration_id];
      var parts = [award || (event && (event.awards || []).length ? '未分配奖项' : null)];
      if (mine && mine.companions.total) parts.push('陪同 ' + mine.companions.checked_in + '/' + mine.companions.total + ' 已到');
      return parts.filter(Boolean).join(' · ');
    }
    if (r.companion_of) {
      var nominee = nominees[r.companion_of];
      return '陪同：' + (nominee ? nominee.name : r.companion_of);
    }
    return '';
  }

  var dialog = null, form = null, errors = null;
  var current = null, finish = null, sending = false;

  function option(value, label, selected) {
    return el('option', { value: value, text: label, selected: selected ? 'selected' : null });
  }
  function close(result) {
    if (dialog.open) dialog.close();
    var done = finish;
    finish = null;
    current = null;
    if (done) done(result);
  }
  function field(name, label, optional, control, hint) {
    var kids = [el('label', { for: control.id }, [label, optional ? el('span', { class: 'opt', text: '选填' }) : null]), control];
    if (hint) kids.push(el('p', { class: 'hint', id: control.id + '-hint', text: hint }));
    kids.push(el('p', { class: 'error', id: control.id + '-error', role: 'alert', hidden: true }));
    return el('div', { class: 'field', 'data-field': name, id: control.id + '-field' }, kids);
  }

  /* The dialog, made on first use. */
  function build() {
    form = el('form', { id: 'reg-form', method: 'post', action: '#', novalidate: true }, [
      el('h2', { id: 'reg-title', text: '座位与奖项' }),
      el('p', { class: 'small muted', id: 'reg-who' }),
      field('seat', '座位', true, el('input', { id: 'reg-seat', maxlength: 20, autocomplete: 'off',
        placeholder: '如：A区3排5座、第3桌', 'aria-describedby': 'reg-seat-hint reg-seat-error' }),
      '留空则取消座位；同一活动里每个座位只能分给一份报名。'),
      field('award_id', '奖项', false, el('select', { id: 'reg-award', 'aria-describedby': 'reg-award-error' })),
      field('companion_of', '陪同的候选人', true, el('select', { id: 'reg-companion', 'aria-describedby': 'reg-companion-error' })),
      el('p', { class: 'form-error', id: 'reg-error', role: 'alert', hidden: true }),
      el('div', { class: 'dialog-actions' }, [
        el('button', { type: 'submit', class: 'btn btn-primary', id: 'reg-save', text: '保存' }),
        el('button', { type: 'button', class: 'btn btn-ghost', id: 'reg-cancel', text: '取消' })
      ])
    ]);
    dialog = el('dialog', { class: 'dialog reg-dialog', id: 'reg-dialog', 'aria-labelledby': 'reg-title', 'aria-describedby': 'reg-who' }, [form]);
    (document.querySelector('main') || document.body).appendChild(dialog);
    errors = C.fieldErrors(form, $('reg-error'));
    form.addEventListener('submit', submit);
    $('reg-cancel').addEventListener('click', function () { close(null); });
    dialog.addEventListener('cancel', function (ev) { ev.preventDefault(); close(null); });
  }

  /* edit(row, event, info, rows) → Promise of the saved registration (null when nothing was saved);
     `rows` (registration id → row on screen) names the holder of a taken seat when it is listed. */
  function edit(r, event, info, rows) {
    if (!dialog) build();
    errors.clear();
    current = { row: r, event: event, rows: rows || {} };
    $('reg-who').textContent = (r.name || r.registration_id) + ' · ' + C.roleLabel(r.role) + ' · ' + r.registration_id;
    $('reg-seat').value = r.seat || '';
    var awards = (event && event.awards) || [];
    var awardSelect = C.clear($('reg-award'));
    awardSelect.appendChild(option('', '（未选择）', !r.award_id));
    awards.forEach(function (a) { awardSelect.appendChild(option(a.award_id, a.name, a.award_id === r.award_id)); });
    $('reg-award-field').hidden = !(r.role === 'nominee' && (awards.length || r.award_id));
    var companionSelect = C.clear($('reg-companion'));
    companionSelect.appendChild(option('', '（不陪同候选人）', !r.companion_of));
    var listed = false;
    ((info && info.list) || []).forEach(function (n) {
      if (n.rid === r.registration_id) return;
      if (n.rid === r.companion_of) listed = true;
      companionSelect.appendChild(option(n.rid, n.award + ' · ' + n.name, n.rid === r.companion_of));
    });
    if (r.companion_of && !listed) companionSelect.appendChild(option(r.companion_of, r.companion_of, true));
    $('reg-companion-field').hidden = r.role === 'nominee' || !(((info && info.list) || []).length || r.companion_of);
    return new Promise(function (resolve) {
      finish = resolve;
      if (dialog.showModal) dialog.showModal(); else dialog.setAttribute('open', '');
      $('reg-seat').focus();
    });
  }

  function submit(ev) {
    ev.preventDefault();
    if (sending || !current) return;
    var r = current.row, body = {};
    var seat = $('reg-seat').value.trim();
    if (seat !== (r.seat || '')) body.seat = seat || null;
    if (!$('reg-award-field').hidden) {
      var award = $('reg-award').value;
      if (award !== (r.award_id || '')) body.award_id = award || null;
    }
    if (!$('reg-companion-field').hidden) {
      var companion = $('reg-companion').value;
      if (companion !== (r.companion_of || '')) body.companion_of = companion || null;
    }
    if (!Object.keys(body).length) { close(null); return; }
    errors.clear();
    sending = true;
    $('reg-save').disabled = true;
    C.api('PATCH', C.eventPath(eid, '/registrations/' + encodeURIComponent(r.registration_id)), { body: body }).then(function (answer) {
      sending = false;
      $('reg-save').disabled = false;
      var reply = answer.body || {};
      if (answer.status === 200) { close(reply); return; }
      if (answer.status === 401) { close(null); return; }
      if (answer.status === 422 && reply.fields) { errors.show(reply.fields, reply.message); return; }
      if (answer.status === 409 && reply.error === 'seat_taken') {
        var holder = current.rows[reply.held_by];
        var who = holder && holder.name ? '「' + holder.name + '」' : '另一份报名' + (reply.held_by ? '（' + reply.held_by + '）' : '');
        errors.show({ seat: ['座位「' + seat + '」已分配给' + who + '，请换一个座位'] }, reply.message);
        return;
      }
      C.show($('reg-error'), C.problem(answer));
    });
  }

  C.registrations = { programme: programme, describe: describe, edit: edit };
})();
