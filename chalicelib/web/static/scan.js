/* baoming gate scanner: camera (jsQR, loaded lazily) and keyboard-wedge scanners, live counts. */
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('page-data').textContent);
  function $(id) { return document.getElementById(id); }
  var eid = data.event_id;
  var TOKEN_KEY = 'baoming:staff:' + eid, GATE_KEY = 'baoming:gate:' + eid, CAMERA_KEY = 'baoming:camera';
  var CAMERA_DEBOUNCE_MS = 3000;
  var codeInput = $('code'), gateInput = $('gate'), overlay = $('overlay');
  var camStatus = $('cam-status'), camToggle = $('cam-toggle'), video = $('video');
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
    if (typeof stopCamera === 'function' && stream) stopCamera();
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
  var ICONS = { ok: '✓', warn: '!', error: '✕' };
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
    signal(kind);
    clearTimeout(hideTimer);
    hideTimer = setTimeout(hideOverlay, kind === 'ok' ? 1000 : 1600);
    refocus();
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
    wrong_event: ['非本场活动', '这是其他活动的票']
  };
  function render(status, body) {
    var result = body && body.result;
    if (status === 401 || status === 403) {
      show('error', '令牌无效或不属于本活动', '', '请向管理员索取本活动的签到链接');
      noToken('令牌无效或不属于本活动，请向管理员索取本活动的签到链接。');
      return;
    }
    if (result === 'ok') { show('ok', '签到成功', body.registration.name, roleText(body.registration)); return; }
    if (result === 'already_checked_in') {
      var reg = body.registration || {};
      show('warn', '已签到', reg.name, hhmm(body.checked_in_at) + ' 已于' + (body.gate ? '「' + body.gate + '」' : '') + '签到');
      return;
    }
    if (REFUSED[result]) { show('error', REFUSED[result][0], '', REFUSED[result][1]); return; }
    if (status === 422) { show('error', '无效票', '', '扫码内容为空或过长'); return; }
    show('error', '系统繁忙', '', '未能签到，请重扫一次');
  }

  // --- check-in requests: one at a time, in order; a retry after a network failure reuses its key ---
  var queue = [], busy = false, lastCamera = '', lastCameraAt = 0;
  function accept(raw, source) {
    var code = String(raw || '').trim();
    if (!code) return;
    if (!token) { show('error', '缺少工作人员令牌', '', '请用签到链接打开本页'); noToken(); return; }
    if (source === 'camera') {
      var now = Date.now();
      if (code === lastCamera && now - lastCameraAt < CAMERA_DEBOUNCE_MS) return;
      lastCamera = code; lastCameraAt = now;
      if (busy) return;
    }
    queue.push(code);
    pump();
  }
  function pump() {
    if (busy || !queue.length) return;
    busy = true;
    post(queue.shift(), randomKey(), 0);
  }
  function done() { busy = false; refreshStats(); setTimeout(pump, 0); }
  function post(code, key, attempt) {
    var gate = gateInput.value.trim();
    var body = gate ? { code: code, gate: gate } : { code: code };
    var controller = window.AbortController ? new AbortController() : null;
    var timer = controller ? setTimeout(function () { controller.abort(); }, 8000) : null;
    fetch('../events/' + encodeURIComponent(eid) + '/checkins', {
      method: 'POST', cache: 'no-store',
      headers: { 'Content-Type': 'application/json', 'Authorization': 'Bearer ' + token, 'Idempotency-Key': key },
      body: JSON.stringify(body), signal: controller ? controller.signal : undefined
    }).then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (json) {
        clearTimeout(timer);
        if (res.status >= 500 && attempt < 2) { setTimeout(function () { post(code, key, attempt + 1); }, 500); return; }
        render(res.status, json || {});
        done();
      });
    }, function () {
      clearTimeout(timer);
      if (attempt < 2) { setTimeout(function () { post(code, key, attempt + 1); }, 400 * (attempt + 1)); return; }
      show('error', '网络异常', '', '未能签到，请检查网络后重扫');
      done();
    });
  }

  // --- live counts ---
  var statsBusy = false;
  function refreshStats() {
    if (!token || statsBusy) return;
    statsBusy = true;
    fetch('../events/' + encodeURIComponent(eid) + '/stats', {
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

  // --- camera: getUserMedia frames → canvas → jsQR ---
  var stream = null, scanning = false, canvas = null, ctx = null, decoder = null;
  function loadDecoder() {
    if (window.jsQR) return Promise.resolve(window.jsQR);
    if (!decoder) {
      decoder = new Promise(function (resolve, reject) {
        var script = document.createElement('script');
        script.src = data.jsqr;
        script.onload = function () { if (window.jsQR) resolve(window.jsQR); else reject(new Error('jsQR')); };
        script.onerror = function () { decoder = null; reject(new Error('jsQR')); };
        document.head.appendChild(script);
      });
    }
    return decoder;
  }
  function setCam(text) { camStatus.textContent = text; }
  function stopCamera() {
    scanning = false;
    if (stream) stream.getTracks().forEach(function (t) { t.stop(); });
    stream = null;
    video.srcObject = null;
    camToggle.textContent = '开启摄像头';
    setCam('摄像头已关闭，可使用扫码枪或手动输入');
  }
  function startCamera() {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      setCam('此浏览器不能使用摄像头扫码（需 HTTPS），请使用扫码枪或手动输入');
      return;
    }
    setCam('正在打开摄像头…');
    camToggle.textContent = '关闭摄像头';
    loadDecoder().then(function () {
      return navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' }, audio: false });
    }).then(function (s) {
      stream = s;
      video.srcObject = s;
      video.setAttribute('playsinline', '');
      video.muted = true;
      return video.play();
    }).then(function () {
      scanning = true;
      setCam('');
      tick();
    }).catch(function (err) {
      scanning = false;
      camToggle.textContent = '开启摄像头';
      var name = err && err.name;
      setCam(name === 'NotAllowedError' ? '未获得摄像头权限：请在浏览器设置中允许，或使用扫码枪'
        : name === 'NotFoundError' || name === 'OverconstrainedError' ? '没有找到摄像头，请使用扫码枪或手动输入'
        : err && err.message === 'jsQR' ? '扫码组件加载失败，请刷新页面'
        : '无法打开摄像头，请使用扫码枪或手动输入');
    });
  }
  function tick() {
    if (!scanning) return;
    if (!document.hidden && video.readyState >= 2 && video.videoWidth) {
      var scale = Math.min(1, 720 / Math.max(video.videoWidth, video.videoHeight));
      var w = Math.round(video.videoWidth * scale), h = Math.round(video.videoHeight * scale);
      if (!canvas) { canvas = document.createElement('canvas'); }
      if (canvas.width !== w || canvas.height !== h) { canvas.width = w; canvas.height = h; ctx = null; }
      if (!ctx) ctx = canvas.getContext('2d', { willReadFrequently: true });
      ctx.drawImage(video, 0, 0, w, h);
      var found = window.jsQR(ctx.getImageData(0, 0, w, h).data, w, h, { inversionAttempts: 'dontInvert' });
      if (found && found.data) accept(found.data, 'camera');
    }
    setTimeout(tick, 150);
  }
  camToggle.addEventListener('click', function () {
    if (stream || scanning) { stopCamera(); save(CAMERA_KEY, 'off'); } else { save(CAMERA_KEY, null); startCamera(); }
    refocus();
  });
  // The camera starts by itself unless staff switched it off on this device (keyboard scanner gates).
  function autoStartCamera() {
    if (!token || stream || scanning) return;
    if (load(CAMERA_KEY) === 'off') { setCam('摄像头已关闭，可使用扫码枪或手动输入'); return; }
    if (document.readyState === 'complete') startCamera();
    else window.addEventListener('load', function () { if (token && !stream) startCamera(); });
  }
  if (token) { haveToken(); autoStartCamera(); } else { noToken(); }
})();
