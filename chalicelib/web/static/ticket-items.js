/* baoming ticket page: the collector edits their declared items until the event starts (SPEC §8). */
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('page-data').textContent);
  function $(id) { return document.getElementById(id); }
  var form = $('items-form'), rows = $('edit-rows'), template = $('edit-row'), edit = $('edit-items');
  var errorBox = $('items-error'), seq = 0;
  if (!form) return;

  // Photos of declared items (SPEC §8): straight to S3, confirmed, then the page shows them.
  var photoError = $('photo-error');
  function ticketCall(itemId) {
    return function (method, sub, body) {
      return fetch('../tickets/' + encodeURIComponent(data.token) + '/items/' + encodeURIComponent(itemId) + sub, {
        method: method, cache: 'no-store', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body)
      }).then(function (res) {
        return res.json().catch(function () { return {}; }).then(function (json) { return { status: res.status, body: json }; });
      });
    };
  }
  $('item-list').addEventListener('change', function (ev) {
    var input = ev.target;
    if (!input.classList || !input.classList.contains('photo-input')) return;
    var file = input.files && input.files[0], itemId = input.getAttribute('data-item');
    input.value = '';
    if (!file) return;
    photoError.hidden = true;
    var label = document.querySelector('label[for="' + input.id + '"]'), text = label.textContent;
    label.textContent = '上传中…';
    window.BaomingPhoto.send(file, ticketCall(itemId)).then(function (r) {
      if (r.ok) { location.reload(); return; }
      label.textContent = text; photoError.textContent = itemId + '：' + r.message; photoError.hidden = false;
    }, function () { label.textContent = text; photoError.textContent = '网络异常，照片未上传，请重试'; photoError.hidden = false; });
  });

  function rowsNow() { return rows.querySelectorAll('.item-row'); }
  function renumber() {
    var all = rowsNow();
    for (var i = 0; i < all.length; i++) {
      all[i].querySelector('.item-no').textContent = '藏品 ' + (i + 1) + (all[i].getAttribute('data-id') ? '（' + all[i].getAttribute('data-id') + '）' : '');
      var remove = all[i].querySelector('.remove-item');
      if (remove) remove.setAttribute('aria-label', '删除藏品 ' + (i + 1));
    }
    $('add-row').disabled = all.length >= data.max_items;
  }
  function addRow(item) {
    var row = template.content.firstElementChild.cloneNode(true);
    seq += 1;
    var controls = row.querySelectorAll('[data-name]');
    for (var i = 0; i < controls.length; i++) {
      var name = controls[i].getAttribute('data-name'), id = 'edit-' + seq + '-' + name;
      controls[i].id = id;
      row.querySelector('[data-for="' + name + '"]').setAttribute('for', id);
      if (item) controls[i].value = item[name] || '';
      if (item && !item.editable) controls[i].disabled = true;
    }
    row.querySelector('.item-no').id = 'edit-' + seq + '-no';
    row.setAttribute('aria-labelledby', 'edit-' + seq + '-no');
    if (item && item.item_id) row.setAttribute('data-id', item.item_id);
    if (item && !item.editable) {
      row.querySelector('.remove-item').remove();
      var note = document.createElement('p'); note.className = 'hint';
      note.textContent = (data.states_zh[item.state] || item.state) + '，不能修改';
      row.appendChild(note);
    }
    rows.appendChild(row);
    renumber();
    return row;
  }
  rows.addEventListener('click', function (ev) {
    var btn = ev.target.closest ? ev.target.closest('.remove-item') : null;
    if (!btn) return;
    btn.closest('.item-row').remove();
    renumber();
    $('add-row').focus();
  });
  $('add-row').addEventListener('click', function () { addRow(null).querySelector('input').focus(); });
  edit.addEventListener('click', function () {
    rows.textContent = '';
    data.items.forEach(function (item) { addRow(item); });
    if (!data.items.length) addRow(null);
    form.hidden = false; edit.hidden = true;
    var first = rows.querySelector('input:not([disabled])');
    if (first) first.focus();
  });
  $('cancel-edit').addEventListener('click', function () { form.hidden = true; edit.hidden = false; edit.focus(); });
  function showError(text) { errorBox.textContent = text; errorBox.hidden = false; }
  form.addEventListener('submit', function (ev) {
    ev.preventDefault();
    errorBox.hidden = true;
    var all = rowsNow(), items = [];
    for (var i = 0; i < all.length; i++) {
      var get = function (name) { return all[i].querySelector('[data-name="' + name + '"]').value.trim(); };
      var item = { name: get('name'), category: get('category'), era: get('era'), intent: get('intent') };
      var id = all[i].getAttribute('data-id');
      if (!id && !item.name && !item.category && !item.era && !item.intent) continue;
      ['category', 'era'].forEach(function (k) { if (!item[k]) delete item[k]; });
      if (id) item.item_id = id;
      items.push(item);
    }
    var save = $('save-items');
    save.disabled = true;
    fetch('../tickets/' + encodeURIComponent(data.token) + '/items', {
      method: 'PUT', cache: 'no-store', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ items: items })
    }).then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (body) {
        save.disabled = false;
        if (res.ok) { location.reload(); return; }
        var messages = [];
        Object.keys(body.fields || {}).forEach(function (path) {
          var m = /^items\.(\d+)\.(\w+)$/.exec(path);
          messages.push((m ? '藏品 ' + (Number(m[1]) + 1) + '：' : '') + body.fields[path].join('；'));
        });
        showError(messages.length ? messages.join('\n') : (body.message || '保存失败，请重试'));
      });
    }, function () { save.disabled = false; showError('网络异常，请重试'); });
  });
})();
