/* baoming console, award ceremonies (SPEC §9): the programme behind the attendee list (who is a
   nominee of which award, whose companion someone is, how many companions are in) and the
   座位/奖项 dialog that PATCHes a registration's seat, award and companion. Used by admin-event.js. */
(function () {
  'use strict';
  var C = window.BaomingConsole, $ = C.$, el = C.el, data = C.data;
  var eid = data.event_id;

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

  var dialog = $('reg-dialog'), form = $('reg-form');
  var errors = form ? C.fieldErrors(form, $('reg-error')) : null;
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

  /* edit(row, event, info, rows) → Promise of the saved registration (null when nothing was saved);
     `rows` (registration id → row on screen) names the holder of a taken seat when it is listed. */
  function edit(r, event, info, rows) {
    if (!dialog) return Promise.resolve(null);
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

  if (form) {
    form.addEventListener('submit', function (ev) {
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
    });
    $('reg-cancel').addEventListener('click', function () { close(null); });
    dialog.addEventListener('cancel', function (ev) { ev.preventDefault(); close(null); });
  }

  C.registrations = { programme: programme, describe: describe, edit: edit };
})();
