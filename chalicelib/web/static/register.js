/* baoming registration form: item rows, submit with an Idempotency-Key, inline server errors. */
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('page-data').textContent);
  var form = document.getElementById('reg-form');
  if (!form) return;
  var submit = document.getElementById('submit');
  var formError = document.getElementById('form-error');
  var rows = document.getElementById('item-rows');
  var addBtn = document.getElementById('add-item');
  var template = document.getElementById('item-template');
  var KEY_NAME = 'baoming:idem:' + data.event_id;
  var memoryKey = null;
  var sending = false;
  var sentRows = [];
  var seq = 0;

  // --- Idempotency-Key: one per form submission attempt, kept across reloads until answered ---
  function randomKey() {
    var c = window.crypto || window.msCrypto;
    if (c && c.randomUUID) return c.randomUUID();
    var bytes = new Uint8Array(16), out = '', i;
    if (c && c.getRandomValues) c.getRandomValues(bytes);
    else for (i = 0; i < 16; i++) bytes[i] = Math.floor(Math.random() * 256);
    for (i = 0; i < 16; i++) out += (bytes[i] < 16 ? '0' : '') + bytes[i].toString(16);
    return out;
  }
  function session() { try { return window.sessionStorage; } catch (err) { return null; } }
  function currentKey() {
    var s = session(), key = null;
    try { key = s && s.getItem(KEY_NAME); } catch (err) { key = null; }
    key = key || memoryKey;
    if (!key) {
      key = randomKey();
      try { if (s) s.setItem(KEY_NAME, key); } catch (err) { /* private mode: memory only */ }
    }
    memoryKey = key;
    return key;
  }
  function forgetKey() {
    memoryKey = null;
    var s = session();
    try { if (s) s.removeItem(KEY_NAME); } catch (err) { /* ignore */ }
  }

  // --- collection item rows ---
  function itemRows() { return rows ? rows.querySelectorAll('.item-row') : []; }
  function renumber() {
    var all = itemRows();
    for (var i = 0; i < all.length; i++) {
      all[i].querySelector('.item-no').textContent = '藏品 ' + (i + 1);
      all[i].querySelector('.remove-item').setAttribute('aria-label', '删除藏品 ' + (i + 1));
    }
    if (addBtn) {
      addBtn.disabled = all.length >= data.max_items;
      addBtn.textContent = all.length >= data.max_items ? '最多 ' + data.max_items + ' 件' : '＋ 添加藏品';
    }
  }
  function addRow() {
    if (itemRows().length >= data.max_items) return;
    var row = template.content.firstElementChild.cloneNode(true);
    seq += 1;
    var controls = row.querySelectorAll('[data-name]');
    for (var i = 0; i < controls.length; i++) {
      var id = 'item-' + seq + '-' + controls[i].getAttribute('data-name');
      controls[i].id = id;
      var label = row.querySelector('label[data-for="' + controls[i].getAttribute('data-name') + '"]');
      if (label) label.htmlFor = id;
      var error = errorBox(controls[i].parentNode);
      if (error) { error.id = id + '-error'; controls[i].setAttribute('aria-describedby', error.id); }
    }
    var heading = row.querySelector('.item-no');
    heading.id = 'item-' + seq + '-no';
    row.setAttribute('aria-labelledby', heading.id); // the group is read as 藏品 N
    rows.appendChild(row);
    renumber();
    row.querySelector('input').focus();
  }
  if (addBtn) addBtn.addEventListener('click', addRow);
  if (rows) rows.addEventListener('click', function (ev) {
    var btn = ev.target.closest ? ev.target.closest('.remove-item') : null;
    if (!btn) return;
    var row = btn.closest('.item-row');
    row.parentNode.removeChild(row);
    renumber();
  });

  // --- award ceremonies: a nominee picks an award (SPEC §9) ---
  var awardArea = document.getElementById('award-area');
  function showAward() { if (awardArea) awardArea.hidden = value('role') !== 'nominee'; }
  form.addEventListener('change', function (ev) { if (ev.target && ev.target.name === 'role') showAward(); });
  showAward();

  // --- reading the form ---
  function value(name) {
    var el = form.elements.namedItem(name);
    return el ? String(el.value || '') : '';
  }
  function collect() {
    var body = { name: value('name'), phone: value('phone'), consent: form.elements.namedItem('consent').checked };
    var role = value('role');
    if (role) body.role = role;
    if (role === 'nominee' && form.elements.namedItem('award_id') && value('award_id')) body.award_id = value('award_id');
    if (data.invite_code) body.invite_code = data.invite_code;
    if (form.elements.namedItem('party_size')) body.party_size = parseInt(value('party_size'), 10) || 1;
    if (form.elements.namedItem('phone_code')) body.phone_code = value('phone_code').trim();
    if (window.baomingAnswers) body.answers = window.baomingAnswers(); // register-questions.js
    ['city', 'organization', 'note'].forEach(function (name) {
      var text = value(name).trim();
      if (text) body[name] = text;
    });
    sentRows = [];
    if (rows) {
      var items = [], all = itemRows();
      for (var i = 0; i < all.length; i++) {
        var get = function (n) { return all[i].querySelector('[data-name="' + n + '"]').value.trim(); };
        var item = { name: get('name'), category: get('category'), era: get('era'), intent: get('intent') };
        if (!item.name && !item.category && !item.era && !item.intent) continue; // a blank row: ignored
        ['name', 'category', 'era', 'intent'].forEach(function (k) { if (!item[k]) delete item[k]; });
        items.push(item);
        sentRows.push(all[i]);
      }
      if (items.length) body.items = items;
    }
    return body;
  }

  // --- errors ---
  function errorBox(container) {
    for (var i = 0; i < container.children.length; i++) {
      if (container.children[i].classList.contains('error')) return container.children[i];
    }
    return null;
  }
  function clearErrors() {
    var shown = form.querySelectorAll('.error');
    for (var i = 0; i < shown.length; i++) { shown[i].textContent = ''; shown[i].hidden = true; }
    var marked = form.querySelectorAll('[aria-invalid]');
    for (i = 0; i < marked.length; i++) marked[i].removeAttribute('aria-invalid');
    formError.hidden = true;
  }
  function showError(container, messages) {
    var box = errorBox(container);
    if (!box) return false;
    box.textContent = messages.join('；');
    box.hidden = false;
    var controls = container.querySelectorAll('input, select, textarea');
    for (var i = 0; i < controls.length; i++) {
      if (controls[i].closest('.field') === container || container.tagName === 'FIELDSET') {
        controls[i].setAttribute('aria-invalid', 'true');
      }
    }
    return true;
  }
  function fieldContainer(path) {
    var parts = path.split('.');
    if (parts[0] === 'items' && parts.length > 1 && /^\d+$/.test(parts[1])) {
      var row = sentRows[parseInt(parts[1], 10)];
      if (!row) return form.querySelector('[data-field="items"]');
      if (parts.length > 2) {
        var inner = row.querySelector('[data-field="' + parts[2] + '"]');
        if (inner) return inner;
      }
      return row;
    }
    var all = form.querySelectorAll('[data-field]');
    for (var i = 0; i < all.length; i++) {
      if (all[i].getAttribute('data-field') === path && !all[i].closest('.item-row')) return all[i];
    }
    return null;
  }
  function generalError(text) {
    formError.textContent = text;
    formError.hidden = false;
  }
  function showFieldErrors(fields, message) {
    var unplaced = [], first = null;
    Object.keys(fields || {}).forEach(function (path) {
      var container = fieldContainer(path);
      if (container && showError(container, fields[path])) {
        if (!first) first = container;
      } else {
        unplaced = unplaced.concat(fields[path]);
      }
    });
    generalError(unplaced.length ? unplaced.join('；') : (message || '提交的内容有误，请检查标出的字段'));
    var target = first || formError;
    var control = target.querySelector && target.querySelector('input, select, textarea');
    if (target.scrollIntoView) target.scrollIntoView({ block: 'center' });
    if (control) { try { control.focus({ preventScroll: true }); } catch (err) { control.focus(); } }
  }

  // --- sending ---
  function busy(on, label) {
    sending = on;
    submit.disabled = on;
    submit.textContent = label || submit.getAttribute('data-label');
  }
  var CONFLICT = {
    already_registered: '该手机号已报名本活动；如需查看电子票，请打开报名成功后保存的链接',
    event_full: '名额已满，本活动不设候补',
    registration_closed: '当前不在报名时间内，报名已截止或尚未开始'
  };
  function handle(status, body, retried) {
    var code = body && body.error;
    if (status === 201 && body.ticket_token) {
      forgetKey();
      submit.textContent = '报名成功，正在打开电子票…';
      location.assign('../t/' + encodeURIComponent(body.ticket_token));
      return;
    }
    if (code === 'idempotency_key_reused' && !retried) {
      forgetKey(); // the saved key belonged to other answers: this is a new submission
      send(true);
      return;
    }
    busy(false);
    if (status >= 400 && status < 500 && code !== 'idempotency_in_progress') forgetKey();
    if (status === 422 && body.fields) { showFieldErrors(body.fields, body.message); return; }
    if (status === 409 && CONFLICT[code]) {
      if (code === 'already_registered') showError(fieldContainer('phone'), [body.message || CONFLICT[code]]);
      var recovery = document.getElementById('recovery'); // 找回电子票 (register-sms.js)
      if (recovery) recovery.hidden = code !== 'already_registered';
      generalError(body.message || CONFLICT[code]);
      return;
    }
    if (code === 'idempotency_in_progress') { generalError('上一次提交仍在处理中，请稍候几秒再点提交（不会重复报名）'); return; }
    if (status === 404) { generalError('活动不存在或已删除，请向主办方确认报名链接'); return; }
    if (status >= 500 || !status) { generalError('系统繁忙，请稍后再点提交（不会重复报名）'); return; }
    generalError((body && body.message) || '提交失败，请稍后重试');
  }
  function send(retried) {
    var body = collect();
    busy(true, '提交中…');
    var controller = window.AbortController ? new AbortController() : null;
    var timer = controller ? setTimeout(function () { controller.abort(); }, 30000) : null;
    fetch('../events/' + encodeURIComponent(data.event_id) + '/registrations', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Idempotency-Key': currentKey() },
      body: JSON.stringify(body),
      credentials: 'same-origin',
      cache: 'no-store',
      signal: controller ? controller.signal : undefined
    }).then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (json) {
        clearTimeout(timer);
        handle(res.status, json || {}, retried);
      });
    }, function () {
      clearTimeout(timer);
      busy(false);
      generalError('网络不稳定，报名可能没有提交成功。请检查网络后再点一次“' +
        submit.getAttribute('data-label') + '”，不会重复报名。');
    });
  }
  form.addEventListener('submit', function (ev) {
    ev.preventDefault();
    if (sending) return;
    clearErrors();
    send(false);
  });
  // Back from the ticket page (bfcache): the form is usable again.
  window.addEventListener('pageshow', function (ev) { if (ev.persisted) busy(false); });
  renumber();
})();
