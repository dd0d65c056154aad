/* baoming gate scanner: camera (jsQR, loaded lazily) and keyboard-wedge scanners, live counts. */
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('page-data').textContent);
  function $(id) { return document.getElementById(id); }
  var eid = data.event_id;
  var TOKEN_KEY = 'baoming:staff:' + eid, GATE_KEY = 'baoming:gate:' + eid, CAMERA_KEY = 'baoming:camera';
  var CAMERA_DEBOUNCE_MS = 3000;
  var codeInput = $('code'), gateInput = $('gate'), overlay = $('overlay');
  var token = null;

  function store() { try { return window.localStorage; } catch (err) { return null; } }
  function load(key) { var s = store(); try { return s ? s.getItem(key) : null; } catch (err) { return null; } }
  function save(key, value) {
    var s = store();
    try { if (!s) return; if (value === null) s.removeItem(key); else s.setItem(key, value); } catch (err) { /* full */ }
  }
  function randomKey() {
    var c = window.crypto;
    if (c && c.randomUUID) return c.randomUUID();
    var bytes = new Uint8Array(16), out = '', i;
    if (c && c.getRandomValues) c.getRandomValues(bytes);
    else for (i = 0; i < 16; i++) bytes[i] = Math.floor(Math.random() * 256);
    for (i = 0; i < 16; i++) out += (bytes[i] < 16 ? '0' : '') + bytes[i].toString(16);
    return out;
  }

  // --- the staff token: from #token=… (never sent to servers), then kept per event ---
  function tokenFrom(text) {
    var m = /(?:^|[#&?])token=([^&\s]+)/.exec(text || '');
    try { return m ? decodeURIComponent(m[1]) : null; } catch (err) { return null; }
  }
  function tokenFromFragment() {
    var found = tokenFrom(location.hash);
    if (!found) return false;
    token = found;
    save(TOKEN_KEY, token);
    try { history.replaceState(null, '', location.pathname + location.search); } catch (err) { location.hash = ''; }
    return true;
  }
  if (!tokenFromFragment()) token = load(TOKEN_KEY);
  // A new link opened in the same tab only changes the fragment: the page stays, the token changes.
  window.addEventListener('hashchange', function () {
    if (tokenFromFragment()) { haveToken(); autoStartCamera(); }
  });
  function noToken(message) {
    token = null;
    save(TOKEN_KEY, null);
    $('no-token').hidden = false;
    if (message) $('no-token-msg').textContent = message;
    $('scanner').hidden = true;
    $('counts').hidden = true;
    if (camera && camera.active()) camera.stop();
  }
  function haveToken() {
    $('no-token').hidden = true;
    $('scanner').hidden = false;
    $('counts').hidden = false;
    refreshStats();
    refocus();
  }
  $('token-save').addEventListener('click', function () {
    var text = $('token-input').value.trim();
    var found = tokenFrom(text) || (/^st_[\w-]+$/.test(text) ? text : null);
    if (!found) { $('no-token-msg').textContent = '没有识别到令牌，请粘贴完整的签到链接'; return; }
    token = found;
    save(TOKEN_KEY, token);
    $('token-input').value = '';
    haveToken();
    autoStartCamera();
  });

  // --- gate name ---
  gateInput.value = load(GATE_KEY) || '';
  gateInput.addEventListener('input', function () { save(GATE_KEY, gateInput.value.trim()); });
  gateInput.addEventListener('keydown', function (ev) { if (ev.key === 'Enter') { ev.preventDefault(); codeInput.focus(); } });

  // --- keep the code box focused for keyboard-wedge scanners ---
  function refocus() {
    var a = document.activeElement;
    if (a && a !== codeInput && a !== document.body && /^(INPUT|SELECT|TEXTAREA)$/.test(a.tagName)) return;
    try { codeInput.focus({ preventScroll: true }); } catch (err) { codeInput.focus(); }
  }
  codeInput.addEventListener('blur', function () { setTimeout(refocus, 120); });
  gateInput.addEventListener('blur', function () { setTimeout(refocus, 120); });
  codeInput.addEventListener('keydown', function (ev) {
    if (ev.key === 'Enter' || (ev.key === 'Tab' && codeInput.value)) {
      ev.preventDefault();
      var text = codeInput.value;
      codeInput.value = '';
      accept(text, 'keyboard');
    }
  });
  $('keyboard').addEventListener('click', function () {
    var typing = codeInput.getAttribute('inputmode') !== 'none';
    codeInput.setAttribute('inputmode', typing ? 'none' : 'text');
    $('keyboard').textContent = typing ? '键盘' : '收起';
    codeInput.blur();
    codeInput.focus();
  });
  window.addEventListener('load', refocus);
  refocus();

  // --- sound and vibration ---
  var audio = null;
  function unlockAudio() {
    if (audio) return;
    var Ctx = window.AudioContext || window.webkitAudioContext;
    if (!Ctx) return;
    try { audio = new Ctx(); } catch (err) { audio = null; }
  }
  ['keydown', 'touchstart', 'click'].forEach(function (type) { document.addEventListener(type, unlockAudio, true); });
  function tone(freq, start, length, wave) {
    var osc = audio.createOscillator(), gain = audio.createGain(), t = audio.currentTime + start;
    osc.type = wave; osc.frequency.value = freq;
    gain.gain.setValueAtTime(0.0001, t);
    gain.gain.exponentialRampToValueAtTime(0.3, t + 0.01);
    gain.gain.exponentialRampToValueAtTime(0.0001, t + length);
    osc.connect(gain); gain.connect(audio.destination);
    osc.start(t); osc.stop(t + length + 0.02);
  }
  function signal(kind) {
    try {
      if (audio) {
        if (audio.state === 'suspended') audio.resume();
        if (kind === 'ok') tone(1046, 0, 0.15, 'sine');
        else if (kind === 'warn') { tone(660, 0, 0.12, 'triangle'); tone(660, 0.18, 0.12, 'triangle'); }
        else tone(220, 0, 0.4, 'square');
      }
      if (navigator.vibrate) navigator.vibrate(kind === 'ok' ? 60 : [150, 80, 150]);
    } catch (err) { /* sound is a nicety */ }
  }

  // --- result overlay ---
  var hideTimer = null;
  var ICONS = { ok: '✓', warn: '!', error: '✕', unknown: '?', conflict: '!' };
  function hideOverlay() { overlay.hidden = true; refocus(); }
  overlay.addEventListener('click', hideOverlay);
  function show(kind, title, name, detail) {
    overlay.className = 'overlay is-' + kind;
    $('ov-icon').textContent = ICONS[kind];
    $('ov-title').textContent = title;
    $('ov-name').textContent = name || '';
    $('ov-detail').textContent = detail || '';
    overlay.hidden = false;
    var last = $('last');
    last.className = 'last is-' + kind;
    last.textContent = title + (name ? ' · ' + name : '') + (detail ? ' · ' + detail : '');
    last.hidden = false;
    var item = document.createElement('li');
    item.className = 'is-' + kind;
    var dot = document.createElement('span'); dot.className = 'dot';
    var text = document.createElement('span');
    text.textContent = clock(new Date()) + '  ' + title + (name ? ' · ' + name : '');
    item.appendChild(dot); item.appendChild(text);
    var list = $("history");
    list.insertBefore(item, list.firstChild);
    while (list.children.length > 8) list.removeChild(list.lastChild);
    signal(kind === 'unknown' ? 'warn' : kind);
    clearTimeout(hideTimer);
    hideTimer = setTimeout(hideOverlay, kind === 'ok' ? 1000 : 1600);
    refocus();
  }
  function addHistory(kind, text) {
    var item = document.createElement('li');
    item.className = 'is-' + kind;
    var dot = document.createElement('span'); dot.className = 'dot';
    var span = document.createElement('span');
    span.textContent = clock(new Date()) + '  ' + text;
    item.appendChild(dot); item.appendChild(span);
    var list = $('history');
    list.insertBefore(item, list.firstChild);
    while (list.children.length > 8) list.removeChild(list.lastChild);
  }
  function pad(n) { return (n < 10 ? '0' : '') + n; }
  function clock(d) { return pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds()); }
  function hhmm(iso) { var m = /T(\d\d):(\d\d)/.exec(iso || ''); return m ? m[1] + ':' + m[2] : ''; }
  function roleText(reg) {
    return (data.roles_zh[reg.role] || reg.role || '') + ' · ' + (reg.party_size || 1) + ' 人' + (reg.seat ? ' · 座位 ' + reg.seat : '');
  }

  var REFUSED = {
    invalid: ['无效票', '无法识别的二维码，或票已被篡改'],
    cancelled: ['已取消', '该报名已取消，不能入场'],
    waitlisted: ['候补中（未确认）', '该报名仍在候补，尚未确认'],
    wrong_event: ['非本场活动', '这是其他活动的票'],
    not_allowed: ['不在此名单', '该身份不能进入此签到名单']
  };
  function headsText(body) {
    if (!body.party_size || body.party_size < 2) return '';
    return ' · 本次 ' + body.heads + ' 人，已入场 ' + body.checked_in_heads + '/' + body.party_size;
  }
  function render(status, body) {
    var result = body && body.result;
    if (status === 401 || status === 403) {
      if (window.BaomingGate) window.BaomingGate.dropData(eid);  // a revoked link: no names stay here
      show('error', '令牌无效或不属于本活动', '', '请向管理员索取本活动的签到链接');
      noToken('令牌无效或不属于本活动，请向管理员索取本活动的签到链接。');
      return;
    }
    if (result === 'ok') {
      show('ok', '签到成功', body.registration.name, roleText(body.registration) + headsText(body));
      return;
    }
    if (result === 'already_checked_in') {
      var reg = body.registration || {};
      show('warn', '已签到', reg.name, hhmm(body.checked_in_at) + ' 已于' + (body.gate ? '「' + body.gate + '」' : '') + '签到');
      return;
    }
    if (REFUSED[result]) { show('error', REFUSED[result][0], '', REFUSED[result][1]); return; }
    if (status === 422) {
      var fields = (body && body.fields) || {};
      var first = Object.keys(fields)[0];
      show('error', '未能签到', '', first ? fields[first][0] : '扫码内容为空或过长');
      return;
    }
    show('error', '系统繁忙', '', '未能签到，请重扫一次');
  }

  // --- offline gate (SPEC §5): gate data in IndexedDB, verdicts from it, a queue of scans ---
  var G = window.BaomingGate;
  var LIST_KEY = 'baoming:list:' + eid, SYNC_MS = 15000, DAY_MS = 86400000;
  var gateData = null, waiting = [], sentLog = [], netDown = false, syncing = false, flushing = false, seq = 0;
  var listSelect = $('list'), headsChoice = null;
  function isOffline() { return netDown || navigator.onLine === false; }
  function api(path) { return '../events/' + encodeURIComponent(eid) + path; }
  function authHeaders(extra) {
    var headers = { 'Authorization': 'Bearer ' + token };
    for (var k in extra || {}) headers[k] = extra[k];
    return headers;
  }
  function isoNow() { return new Date().toISOString().replace(/\.\d{3}Z$/, '+00:00'); }
  function nextSeq() { seq = Math.max(seq + 1, Date.now()); return seq; }
  function paintStatus() {
    $('offline-badge').hidden = !isOffline();
    $('queue-count').textContent = String(waiting.length);
    $('queue-badge').hidden = waiting.length === 0;
    var conflicts = sentLog.filter(function (item) { return item.result === 'conflict'; }).length;
    $('conflict-count').textContent = String(conflicts);
    $('conflict-badge').hidden = conflicts === 0;
    var note = '';
    if (gateData && gateData.synced_at) {
      note = '名单 ' + Object.keys(gateData.entries || {}).length + ' 条 · 同步于 ' + clock(new Date(gateData.synced_at));
    } else if (isOffline()) {
      note = '尚未下载名单';
    }
    $('sync-note').textContent = note;
  }
  function setNet(down) { if (netDown !== down) { netDown = down; paintStatus(); } }
  window.addEventListener('online', function () { setNet(false); flush(); });
  window.addEventListener('offline', function () { paintStatus(); });

  // The list selector: the event's check-in lists, the choice kept per device.
  function fillLists(lists) {
    var chosen = load(LIST_KEY) || listSelect.value || 'main';
    var same = lists.length === listSelect.options.length && lists.every(function (item, i) {
      return listSelect.options[i].value === item.list_id && listSelect.options[i].textContent === item.name;
    });
    if (!same) {
      while (listSelect.firstChild) listSelect.removeChild(listSelect.firstChild);
      lists.forEach(function (item) {
        var option = document.createElement('option');
        option.value = item.list_id; option.textContent = item.name;
        listSelect.appendChild(option);
      });
    }
    listSelect.value = chosen;
    if (listSelect.value !== chosen) listSelect.value = 'main';
  }
  fillLists(data.lists || []);
  listSelect.addEventListener('change', function () { save(LIST_KEY, listSelect.value); refocus(); });
  function listId() { return listSelect.value || 'main'; }

  // The heads stepper: 全部 (every head not yet in) or a number for the next scan.
  function paintHeads() { $('heads-value').textContent = headsChoice === null ? '全部' : headsChoice + ' 人'; }
  $('heads-plus').addEventListener('click', function () { headsChoice = Math.min((headsChoice || 0) + 1, 20); paintHeads(); refocus(); });
  $('heads-minus').addEventListener('click', function () { headsChoice = headsChoice && headsChoice > 1 ? headsChoice - 1 : null; paintHeads(); refocus(); });
  function takeHeads() { var h = headsChoice; headsChoice = null; paintHeads(); return h; }

  function expired() { return data.ends_at && Date.now() > Date.parse(data.ends_at) + DAY_MS; }
  function loadLocal() {
    if (!G) return Promise.resolve();
    return Promise.all([G.getData(eid), G.queued(eid), G.sent(eid)]).then(function (found) {
      gateData = found[0] || null;
      waiting = found[1] || [];
      sentLog = found[2] || [];
      if (expired()) {  // a day after the event: names and roles leave the device
        if (gateData) G.dropData(eid);
        sentLog.forEach(function (item) { G.dropSent(item.key); });
        gateData = null; sentLog = [];
      }
      if (gateData && gateData.event) fillLists(gateData.event.checkin_lists || []);
      paintStatus();
    }).catch(function () { paintStatus(); });
  }
  function reapplyWaiting() {
    if (!gateData) return;
    waiting.forEach(function (item) {
      var entry = gateData.entries[item.registration_id];
      if (entry) G.applyLocal(entry, item.body.list_id, item.heads, item.body.scanned_at);
    });
  }
  function markConflict(item, detail) {
    item.result = 'conflict';
    item.detail = detail;
    G.putSent(item);
    addHistory('conflict', '冲突 · ' + (item.name || '') + (detail ? ' · ' + detail : ''));
  }
  // A scan this device admitted first, whose registration the server now shows admitted earlier
  // elsewhere (an offline gate that synced later, with an earlier scan): 冲突 on this device.
  function findConflicts() {
    if (!gateData) return;
    sentLog.forEach(function (item) {
      var entry = gateData.entries[item.registration_id];
      if (entry && entry.name === null && item.name) { item.name = null; G.putSent(item); }  // erased (PIPL)
      if (item.result !== 'ok' || !item.first) return;
      var state = entry && entry.lists && entry.lists[item.list_id];
      if (state && state.checked_in_at && Date.parse(state.checked_in_at) < Date.parse(item.checked_in_at) &&
          state.checked_in_heads === item.heads) {
        markConflict(item, '已于 ' + hhmm(state.checked_in_at) + ' 在其他签到口签到');
      }
    });
  }
  function sync() {
    if (!token || syncing || !G) return Promise.resolve();
    syncing = true;
    var since = gateData && gateData.next_since ? '?since=' + encodeURIComponent(gateData.next_since) : '';
    return fetch(api('/checkin-data' + since), { headers: authHeaders(), cache: 'no-store' }).then(function (res) {
      if (res.status === 401 || res.status === 403) {
        G.dropData(eid); gateData = null;  // a revoked or expired link: the device keeps no names
        noToken('令牌无效或不属于本活动，请向管理员索取本活动的签到链接。');
        return;
      }
      if (!res.ok) return;
      return res.json().then(function (reply) {
        setNet(false);
        gateData = G.merge(gateData || { event_id: eid, entries: {} }, reply);
        gateData.event_id = eid;
        gateData.synced_at = Date.now();
        reapplyWaiting();
        fillLists(reply.event.checkin_lists || []);
        findConflicts();
        return G.putData(gateData);
      });
    }, function () { setNet(true); }).then(function () { syncing = false; paintStatus(); },
      function () { syncing = false; paintStatus(); });
  }
  setInterval(function () { if (!document.hidden && navigator.onLine !== false) flush(); }, SYNC_MS);

  // Queued scans go out in order, each with its Idempotency-Key and scanned_at.
  function flush() {
    if (!token || flushing || !G) return;
    if (!waiting.length) { sync(); return; }
    flushing = true;
    var item = waiting[0];
    fetch(api('/checkins'), {
      method: 'POST', cache: 'no-store',
      headers: authHeaders({ 'Content-Type': 'application/json', 'Idempotency-Key': item.key }),
      body: JSON.stringify(item.body)
    }).then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (body) {
        if (res.status === 401 || res.status === 403) { flushing = false; render(res.status, body); return; }
        if (res.status >= 500) { flushing = false; setTimeout(flush, 5000); return; }
        setNet(false);
        waiting.shift();
        var record = {
          key: item.key, event_id: eid, seq: item.seq, registration_id: item.registration_id, name: item.name,
          list_id: item.body.list_id, checked_in_at: item.body.scanned_at, heads: body.heads || item.heads,
          first: body.result === 'ok' && body.heads === body.checked_in_heads, result: body.result === 'ok' ? 'ok' : 'sent'
        };
        var done = G.dequeue(item.key);
        if (body.result === 'ok') { G.putSent(record); sentLog.push(record); }
        else {
          sentLog.push(record);
          markConflict(record, body.result === 'already_checked_in'
            ? (hhmm(body.checked_in_at) + ' 已于' + (body.gate ? '「' + body.gate + '」' : '其他签到口') + '签到')
            : ((REFUSED[body.result] || ['被拒绝'])[0]));
        }
        paintStatus();
        return done.then(function () { flushing = false; flush(); });
      });
    }, function () { flushing = false; setNet(true); });
  }

  function offlineVerdict(input, started, key) {
    var list = listId(), heads = takeHeads();
    return G.decide(gateData, eid, input, list).then(function (v) {
      var entry = v.entry;
      if (v.result === 'ok') {
        var admitted = Math.min(heads || v.remaining, v.remaining);
        var body = input.code ? { code: input.code } : { registration_id: input.registrationId };
        var gate = gateInput.value.trim();
        if (gate) body.gate = gate;
        body.list_id = list;
        if (heads) body.heads = admitted;
        body.scanned_at = isoNow();
        var item = { key: key || randomKey(), event_id: eid, seq: nextSeq(), body: body, heads: admitted,
                     registration_id: entry.registration_id, name: entry.name };
        G.applyLocal(entry, list, admitted, body.scanned_at);
        waiting.push(item);
        G.enqueue(item);
        G.putData(gateData);
        var party = entry.party_size > 1 ? ' · 本次 ' + admitted + ' 人，已入场 ' + G.headsIn(entry, list) + '/' + entry.party_size : '';
        show('ok', '签到成功（离线）', entry.name, roleText(entry) + party + ' · 待上传');
      } else if (v.result === 'already_checked_in') {
        var state = entry.lists[list] || {};
        show('warn', '已签到', entry.name, hhmm(state.checked_in_at) + ' 已签到（离线数据）');
      } else if (v.result === 'unknown') {
        show('unknown', '未同步的票，请人工核验', '', '离线数据中没有这张票（可能是刚报名的）');
      } else {
        render(409, { result: v.result });
      }
      paintStatus();
      painted(started);
    });
  }
  // Scan text in → verdict painted, in ms (the offline benchmark reads it).
  function painted(started) {
    requestAnimationFrame(function () { document.body.setAttribute('data-verdict-ms', (performance.now() - started).toFixed(1)); });
  }

  // --- check-in requests: online one at a time, in order; no network → the offline verdict ---
  var pending = [], busy = false, lastCamera = '', lastCameraAt = 0;
  function accept(raw, source) {
    var code = String(raw || '').trim();
    if (!code) return;
    if (source === 'camera') {
      var now = Date.now();
      if (code === lastCamera && now - lastCameraAt < CAMERA_DEBOUNCE_MS) return;
      lastCamera = code; lastCameraAt = now;
      if (busy) return;
    }
    submit({ code: code });
  }
  function submit(input) {
    var started = performance.now();
    if (!token) { show('error', '缺少工作人员令牌', '', '请用签到链接打开本页'); noToken(); return; }
    if (isOffline() && G) { offlineVerdict(input, started); return; }
    pending.push({ input: input, started: started, heads: takeHeads(), list: listId() });
    pump();
  }
  function pump() {
    if (busy || !pending.length) return;
    busy = true;
    post(pending.shift(), randomKey(), 0);
  }
  function done() { busy = false; refreshStats(); setTimeout(pump, 0); }
  function post(job, key, attempt) {
    var gate = gateInput.value.trim();
    var body = job.input.code ? { code: job.input.code } : { registration_id: job.input.registrationId };
    if (gate) body.gate = gate;
    body.list_id = job.list;
    if (job.heads) body.heads = job.heads;
    var controller = window.AbortController ? new AbortController() : null;
    var timer = controller ? setTimeout(function () { controller.abort(); }, 5000) : null;
    fetch(api('/checkins'), {
      method: 'POST', cache: 'no-store',
      headers: authHeaders({ 'Content-Type': 'application/json', 'Idempotency-Key': key }),
      body: JSON.stringify(body), signal: controller ? controller.signal : undefined
    }).then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (json) {
        clearTimeout(timer);
        if (res.status >= 500 && attempt < 1) { setTimeout(function () { post(job, key, attempt + 1); }, 400); return; }
        setNet(false);
        render(res.status, json || {});
        if (json && json.result === 'ok' && G) {
          var record = { key: key, event_id: eid, seq: nextSeq(), registration_id: json.registration.registration_id,
                         name: json.registration.name, list_id: job.list, checked_in_at: json.checked_in_at,
                         heads: json.heads, first: json.heads === json.checked_in_heads, result: 'ok' };
          sentLog.push(record); G.putSent(record);
          var entry = gateData && gateData.entries[record.registration_id];
          if (entry) { G.applyLocal(entry, job.list, json.heads, json.checked_in_at); G.putData(gateData); }
        }
        painted(job.started);
        done();
      });
    }, function () {
      clearTimeout(timer);
      // No network: decide from the gate data and queue the scan under the same key (the request
      // may have reached the server: then the queued one is answered as that same check-in).
      setNet(true);
      headsChoice = job.heads || null;
      if (G) offlineVerdict(job.input, job.started, key).then(done, done);
      else { show('error', '网络异常', '', '未能签到，请检查网络后重扫'); done(); }
    });
  }

  // --- search (name or last 4 digits of the phone), 签到 per result ---
  function normal(text) { return String(text || '').normalize ? String(text).normalize('NFKC').toLowerCase() : String(text).toLowerCase(); }
  function showResults(rows, note) {
    var list = $('search-results');
    while (list.firstChild) list.removeChild(list.firstChild);
    if (note) { var li = document.createElement('li'); li.textContent = note; list.appendChild(li); }
    rows.forEach(function (row) {
      var item = document.createElement('li');
      var who = document.createElement('span'); who.className = 'who';
      var name = document.createElement('strong'); name.textContent = row.name || '（已删除）';
      var meta = document.createElement('span'); meta.className = 'meta';
      var inList = row.checked_in_heads || 0;
      meta.textContent = roleText(row) + ' · ' + ({ confirmed: '已确认', waitlisted: '候补中', cancelled: '已取消' }[row.status] || row.status) +
        (inList ? ' · 已入场 ' + inList + '/' + (row.party_size || 1) : '') + (row.phone_masked ? ' · ' + row.phone_masked : '');
      who.appendChild(name); who.appendChild(meta);
      var button = document.createElement('button');
      button.type = 'button'; button.className = 'btn btn-primary'; button.textContent = '签到';
      button.setAttribute('aria-label', '签到 ' + (row.name || ''));
      button.addEventListener('click', function () { submit({ registrationId: row.registration_id }); });
      item.appendChild(who); item.appendChild(button);
      list.appendChild(item);
    });
  }
  function localSearch(q) {
    if (!gateData) return [];
    if (/^\d{4}$/.test(q)) return null;
    var needle = normal(q), found = [];
    Object.keys(gateData.entries).forEach(function (rid) {
      var entry = gateData.entries[rid];
      if (entry.name && normal(entry.name).indexOf(needle) >= 0 && found.length < 20) {
        found.push({ registration_id: rid, name: entry.name, role: entry.role, party_size: entry.party_size,
                     status: entry.status, checked_in_heads: G.headsIn(entry, listId()) });
      }
    });
    return found;
  }
  $('search-form').addEventListener('submit', function (ev) {
    ev.preventDefault();
    var q = $('search').value.trim();
    if (!q || !token) return;
    if (isOffline()) {
      var rows = localSearch(q);
      showResults(rows || [], rows === null ? '离线时只能按姓名搜索' : (rows.length ? '' : '离线数据中没有找到'));
      return;
    }
    fetch(api('/registrations?limit=20&q=' + encodeURIComponent(q)), { headers: authHeaders(), cache: 'no-store' })
      .then(function (res) {
        if (!res.ok) throw new Error(String(res.status));
        return res.json();
      }).then(function (reply) {
        showResults(reply.items || [], (reply.items || []).length ? '' : '没有找到');
      }, function () {
        var rows = localSearch(q);
        showResults(rows || [], '网络异常，以下为离线数据');
      });
  });

  // --- live counts ---
  var statsBusy = false;
  function refreshStats() {
    if (!token || statsBusy || isOffline()) return;
    statsBusy = true;
    fetch(api('/stats'), {
      headers: { 'Authorization': 'Bearer ' + token }, cache: 'no-store'
    }).then(function (res) {
      statsBusy = false;
      if (res.status === 401 || res.status === 403) { noToken('令牌无效或不属于本活动，请向管理员索取本活动的签到链接。'); return; }
      if (!res.ok) return;
      return res.json().then(function (s) {
        $('n-in').textContent = s.checked_in;
        $('n-ok').textContent = s.confirmed;
      });
    }, function () { statsBusy = false; });
  }
  setInterval(function () { if (!document.hidden) refreshStats(); }, 5000);

  // --- offline shell: the service worker, and this page's files in its cache ---
  if (navigator.serviceWorker && data.worker) {
    navigator.serviceWorker.register(data.worker, { scope: './' }).catch(function () { /* no offline shell */ });
  }
  if (window.caches && navigator.onLine !== false) {
    caches.open('baoming-scan-v1').then(function (cache) {
      return cache.addAll([location.pathname].concat(data.assets || []));
    }).catch(function () { /* offline now: the cache keeps what it has */ });
  }

  // --- camera (camera-scan.js) ---
  var camera = window.BaomingCamera({ jsqr: data.jsqr, storageKey: CAMERA_KEY, afterToggle: refocus,
    onCode: function (text) { accept(text, 'camera'); } });
  // The camera starts by itself unless staff switched it off on this device (keyboard scanner gates).
  function autoStartCamera() {
    if (!token || camera.active() || camera.switchedOff()) return;
    if (document.readyState === 'complete') camera.start();
    else window.addEventListener('load', function () { if (token && !camera.active()) camera.start(); });
  }
  loadLocal().then(function () { if (token && !isOffline()) flush(); });
  if (token) { haveToken(); autoStartCamera(); } else { noToken(); }
})();
