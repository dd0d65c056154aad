/* baoming intake desk (SPEC §8): scan a collector's ticket or an item tag (camera or keyboard-wedge),
   move items through received / exhibited / returned / exchanged / donated, print item tags. */
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('page-data').textContent);
  function $(id) { return document.getElementById(id); }
  var eid = data.event_id;
  var TOKEN_KEY = 'baoming:staff:' + eid, CAMERA_KEY = 'baoming:desk-camera';
  var codeInput = $('code'), message = $('message'), list = $('items');
  var token = null, shown = null, focusId = null;
  var api = '../events/' + encodeURIComponent(eid);

  function store() { try { return window.localStorage; } catch (err) { return null; } }
  function load(key) { var s = store(); try { return s ? s.getItem(key) : null; } catch (err) { return null; } }
  function save(key, value) {
    var s = store();
    try { if (!s) return; if (value === null) s.removeItem(key); else s.setItem(key, value); } catch (err) { /* full */ }
  }

  // --- the staff token: #token=… (never sent to servers), kept per event like the scanner's ---
  function fromFragment(name) {
    var m = new RegExp('(?:^|[#&?])' + name + '=([^&\\s]+)').exec(location.hash || '');
    try { return m ? decodeURIComponent(m[1]) : null; } catch (err) { return null; }
  }
  var pendingItem = fromFragment('item');
  var fragmentToken = fromFragment('token');
  if (fragmentToken) save(TOKEN_KEY, fragmentToken);
  token = fragmentToken || load(TOKEN_KEY);
  if (location.hash) { try { history.replaceState(null, '', location.pathname + location.search); } catch (err) { /* old browser */ } }

  function noToken(text) {
    token = null; save(TOKEN_KEY, null);
    $('no-token').hidden = false; $('desk').hidden = true;
    if (text) $('no-token-msg').textContent = text;
  }
  function haveToken() {
    $('no-token').hidden = true; $('desk').hidden = false; refocus();
    if (pendingItem) { var item = pendingItem; pendingItem = null; lookup(item); }
  }
  $('token-save').addEventListener('click', function () {
    var text = $('token-input').value.trim();
    var m = /(?:^|[#&?])token=([^&\s]+)/.exec(text);
    var found = m ? decodeURIComponent(m[1]) : (/^st_[\w-]+$/.test(text) ? text : null);
    if (!found) { $('no-token-msg').textContent = '没有识别到令牌，请粘贴完整的工作人员链接'; return; }
    token = found; save(TOKEN_KEY, token); $('token-input').value = ''; haveToken();
  });

  // --- the code box keeps focus for keyboard-wedge scanners ---
  function refocus() {
    var a = document.activeElement;
    if (a && a !== codeInput && a !== document.body && /^(INPUT|SELECT|TEXTAREA)$/.test(a.tagName)) return;
    try { codeInput.focus({ preventScroll: true }); } catch (err) { codeInput.focus(); }
  }
  codeInput.addEventListener('blur', function () { setTimeout(refocus, 120); });
  $('keyboard').addEventListener('click', function () {
    var typing = codeInput.getAttribute('inputmode') !== 'none';
    codeInput.setAttribute('inputmode', typing ? 'none' : 'text');
    $('keyboard').textContent = typing ? '键盘' : '收起';
    codeInput.blur();
    codeInput.focus();
  });
  codeInput.addEventListener('keydown', function (ev) {
    if (ev.key === 'Enter' || (ev.key === 'Tab' && codeInput.value)) {
      ev.preventDefault();
      var text = codeInput.value.trim();
      codeInput.value = '';
      if (text) lookup(text);
    }
  });

  function say(text, kind) { message.textContent = text; message.className = 'desk-message' + (kind ? ' is-' + kind : ''); }
  function authHeaders(json) {
    var h = { 'Authorization': 'Bearer ' + token };
    if (json) h['Content-Type'] = 'application/json';
    return h;
  }
  function call(method, path, body) {
    return fetch(api + path, { method: method, cache: 'no-store', headers: authHeaders(!!body), body: body ? JSON.stringify(body) : undefined })
      .then(function (res) {
        return res.json().catch(function () { return {}; }).then(function (json) {
          if (res.status === 401 || res.status === 403) { noToken('令牌无效或不属于本活动，请向管理员索取工作人员链接。'); throw new Error('auth'); }
          return { status: res.status, body: json };
        });
      });
  }

  // --- a scan: a ticket shows the collector's items, a tag shows that item among them ---
  function lookup(code) {
    if (!token) { noToken(); return; }
    say('正在查询…');
    call('POST', '/desk/lookup', { code: code }).then(function (r) {
      if (r.status !== 200) { say((r.body && r.body.message) || '无法识别', 'error'); return; }
      shown = r.body; focusId = r.body.item_id;
      render();
      var n = shown.items.length;
      say(focusId ? '已找到藏品 ' + focusId : (n ? '共 ' + n + ' 件藏品' : '该收藏者没有登记藏品'), 'ok');
    }, function (err) { if (err.message !== 'auth') say('网络异常，请重试', 'error'); });
  }

  function text(tag, cls, content) { var el = document.createElement(tag); if (cls) el.className = cls; el.textContent = content || ''; return el; }
  function render() {
    var c = shown.collector;
    $('collector').hidden = !c;
    if (c) {
      $('collector-name').textContent = (c.name || '（个人信息已删除）');
      $('collector-detail').textContent = (c.phone_masked || '') + (c.status === 'cancelled' ? ' · 报名已取消' : '');
    }
    list.textContent = '';
    shown.items.forEach(function (item) { list.appendChild(card(item)); });
    var focused = focusId && document.getElementById('item-' + focusId);
    if (focused && focused.scrollIntoView) focused.scrollIntoView({ block: 'center' });
  }
  function card(item) {
    var li = document.createElement('li');
    li.className = 'card desk-item state-' + item.state + (item.item_id === focusId ? ' is-focus' : '');
    li.id = 'item-' + item.item_id;
    var head = document.createElement('div'); head.className = 'desk-item-head';
    head.appendChild(text('strong', 'item-id', item.item_id));
    head.appendChild(text('span', 'item-name', item.name));
    head.appendChild(text('span', 'badge state', data.states_zh[item.state] || item.state));
    li.appendChild(head);
    var facts = [item.category, item.era, '意向：' + (data.intents_zh[item.intent] || item.intent)].filter(Boolean).join(' · ');
    li.appendChild(text('p', 'muted', facts));
    if (item.recipient) li.appendChild(text('p', 'muted', '受赠单位：' + item.recipient));
    var noteId = 'note-' + item.item_id;
    var targets = data.transitions[item.state] || [];
    if (targets.length) {
      var field = document.createElement('div'); field.className = 'field';
      var label = text('label', '', '备注（可选）'); label.setAttribute('for', noteId);
      var note = document.createElement('input'); note.id = noteId; note.maxLength = 200; note.autocomplete = 'off';
      field.appendChild(label); field.appendChild(note); li.appendChild(field);
      var actions = document.createElement('div'); actions.className = 'desk-actions';
      targets.forEach(function (to) {
        var b = text('button', 'btn ' + (to === 'received' ? 'btn-primary' : 'btn-ghost'), data.actions_zh[to]);
        b.type = 'button';
        b.setAttribute('data-to', to);
        b.addEventListener('click', function () { act(item, to, li); });
        actions.appendChild(b);
      });
      li.appendChild(actions);
    }
    li.appendChild(photoBox(item, li));
    var tools = document.createElement('div'); tools.className = 'desk-actions';
    var tag = text('button', 'btn btn-ghost', '打印标签'); tag.type = 'button';
    tag.addEventListener('click', function () { printTag(item, li); });
    tools.appendChild(tag);
    li.appendChild(tools);
    return li;
  }
  function act(item, to, li) {
    var note = li.querySelector('#note-' + item.item_id);
    var body = { to: to, from: item.state };  // what this desk saw: if another desk moved it meanwhile, 409
    if (note && note.value.trim()) body.note = note.value.trim();
    if (to === 'donated') {
      var box = li.querySelector('.donate-form');
      if (!box) { li.appendChild(donateForm(item, li, body)); return; }
      return;
    }
    send(item, body);
  }
  function donateForm(item, li, body) {
    var box = document.createElement('div'); box.className = 'field donate-form';
    var id = 'recipient-' + item.item_id;
    var label = text('label', '', '受赠单位'); label.setAttribute('for', id);
    var input = document.createElement('input'); input.id = id; input.maxLength = 60; input.placeholder = '如：遵义市红色收藏博物馆';
    var ok = text('button', 'btn btn-primary', '确认捐赠'); ok.type = 'button';
    ok.addEventListener('click', function () {
      var value = input.value.trim();
      if (!value) { say('请填写受赠单位', 'error'); input.focus(); return; }
      body.recipient = value;
      send(item, body);
    });
    box.appendChild(label); box.appendChild(input); box.appendChild(ok);
    setTimeout(function () { input.focus(); }, 0);
    return box;
  }
  function send(item, body) {
    call('POST', '/items/' + encodeURIComponent(item.item_id) + '/transitions', body).then(function (r) {
      if (r.status === 200) {
        shown.items = shown.items.map(function (i) { return i.item_id === item.item_id ? r.body : i; });
        focusId = item.item_id; render();
        say(item.item_id + ' ' + (data.states_zh[r.body.state] || r.body.state), 'ok');
      } else {
        say((r.body && r.body.message) || '操作失败', 'error');
        if (r.status === 409) lookupItemAgain(item);
      }
      refocus();
    }, function (err) { if (err.message !== 'auth') say('网络异常，请重试', 'error'); });
  }
  function lookupItemAgain(item) {
    call('GET', '/items/' + encodeURIComponent(item.item_id)).then(function (r) {
      if (r.status !== 200) return;
      var keep = message.textContent, kind = message.className;
      shown.items = shown.items.map(function (i) { return i.item_id === item.item_id ? r.body : i; });
      render(); message.textContent = keep; message.className = kind;
    }, function () {});
  }
  // --- photos (SPEC §8): straight from the phone to S3 with a presigned POST, then confirmed ---
  function photoBox(item, li) {
    var box = document.createElement('div'); box.className = 'desk-photo';
    if (item.photo_url) {
      var link = document.createElement('a'); link.href = item.photo_url; link.target = '_blank'; link.rel = 'noopener';
      var img = document.createElement('img'); img.className = 'photo-thumb'; img.src = item.photo_url;
      img.alt = '藏品照片：' + item.item_id + ' ' + item.name;
      link.appendChild(img); box.appendChild(link);
    }
    var id = 'photo-' + item.item_id;
    var label = text('label', 'btn btn-ghost photo-pick', item.photo_url ? '更换照片（拍照/上传）' : '拍照/上传照片');
    label.setAttribute('for', id);
    var input = document.createElement('input'); input.type = 'file'; input.id = id; input.className = 'photo-input';
    input.accept = window.BaomingPhoto.accept; input.setAttribute('capture', 'environment');
    input.addEventListener('change', function () {
      var file = input.files && input.files[0];
      input.value = '';
      if (file) uploadPhoto(item, file);
    });
    box.appendChild(label); box.appendChild(input);
    box.appendChild(text('p', 'small muted', 'JPEG 或 PNG，不超过 5 MB'));
    return box;
  }
  function uploadPhoto(item, file) {
    var why = window.BaomingPhoto.problem(file);
    if (why) { say(why, 'error'); return; }
    say('正在上传照片…');
    var path = '/items/' + encodeURIComponent(item.item_id);
    window.BaomingPhoto.send(file, function (method, sub, body) { return call(method, path + sub, body); }).then(function (r) {
      if (!r.ok) { say(r.message, 'error'); return; }
      shown.items = shown.items.map(function (i) { return i.item_id === item.item_id ? r.item : i; });
      focusId = item.item_id; render();
      say(item.item_id + ' 照片已保存', 'ok');
      refocus();
    }).catch(function (err) { if (err.message !== 'auth') say('网络异常，照片未上传，请重试', 'error'); });
  }
  function printTag(item, li) {
    fetch(api + '/items/' + encodeURIComponent(item.item_id) + '/tag.png', { headers: authHeaders(false), cache: 'no-store' })
      .then(function (res) { if (!res.ok) throw new Error('tag'); return res.blob(); })
      .then(function (blob) {
        var old = li.querySelector('.tag-preview'); if (old) old.remove();
        var figure = document.createElement('figure'); figure.className = 'tag-preview';
        var img = document.createElement('img'); img.alt = '藏品标签 ' + item.item_id + ' ' + item.name;
        img.src = URL.createObjectURL(blob);
        figure.appendChild(img);
        var print = text('button', 'btn btn-primary', '打印'); print.type = 'button';
        print.addEventListener('click', function () {
          document.body.classList.add('printing-tag'); figure.classList.add('to-print');
          window.print();
          document.body.classList.remove('printing-tag'); figure.classList.remove('to-print');
        });
        figure.appendChild(print);
        li.appendChild(figure);
      }).catch(function () { say('标签生成失败，请重试', 'error'); });
  }

  // --- camera (camera-scan.js); the same code again within 3 s is the same scan ---
  var lastCode = '', lastAt = 0;
  var camera = window.BaomingCamera({ jsqr: data.jsqr, storageKey: CAMERA_KEY, afterToggle: refocus,
    onCode: function (text) {
      var now = Date.now();
      if (text === lastCode && now - lastAt <= 3000) return;
      lastCode = text; lastAt = now;
      lookup(text);
    } });
  window.addEventListener('load', refocus);
  if (token) {
    haveToken();
    camera.switchedOff();
  } else { noToken(); }
})();
