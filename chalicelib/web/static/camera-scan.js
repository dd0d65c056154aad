/* baoming staff camera, shared by the gate scanner and the intake desk: getUserMedia frames →
   canvas → jsQR (loaded on first use). BaomingCamera(options) drives the page's #video,
   #cam-toggle and #cam-status; options: jsqr (the decoder's URL), onCode(text) for each frame
   with a QR code, storageKey (remembers "switched off" on this device), afterToggle(). */
(function () {
  'use strict';
  var OFF = '摄像头已关闭，可使用扫码枪或手动输入';

  function remembered(key) { try { return window.localStorage.getItem(key); } catch (err) { return null; } }
  function remember(key, off) {
    try { if (off) window.localStorage.setItem(key, 'off'); else window.localStorage.removeItem(key); } catch (err) { /* private mode, full */ }
  }

  window.BaomingCamera = function (options) {
    var video = document.getElementById('video'), toggle = document.getElementById('cam-toggle');
    var status = document.getElementById('cam-status');
    var stream = null, scanning = false, canvas = null, ctx = null, decoder = null;

    function say(text) { status.textContent = text; }
    function loadDecoder() {
      if (window.jsQR) return Promise.resolve(window.jsQR);
      if (!decoder) {
        decoder = new Promise(function (resolve, reject) {
          var script = document.createElement('script');
          script.src = options.jsqr;
          script.onload = function () { if (window.jsQR) resolve(window.jsQR); else reject(new Error('jsQR')); };
          script.onerror = function () { decoder = null; reject(new Error('jsQR')); };
          document.head.appendChild(script);
        });
      }
      return decoder;
    }
    function stop() {
      scanning = false;
      if (stream) stream.getTracks().forEach(function (t) { t.stop(); });
      stream = null;
      video.srcObject = null;
      toggle.textContent = '开启摄像头';
      say(OFF);
    }
    function start() {
      if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
        say('此浏览器不能使用摄像头扫码（需 HTTPS），请使用扫码枪或手动输入');
        return;
      }
      say('正在打开摄像头…');
      toggle.textContent = '关闭摄像头';
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
        say('');
        tick();
      }).catch(function (err) {
        scanning = false;
        toggle.textContent = '开启摄像头';
        var name = err && err.name;
        say(name === 'NotAllowedError' ? '未获得摄像头权限：请在浏览器设置中允许，或使用扫码枪'
          : name === 'NotFoundError' || name === 'OverconstrainedError' ? '没有找到摄像头，请使用扫码枪或手动输入'
          : err && err.message === 'jsQR' ? '扫码组件加载失败，请刷新页面'
          : '无法打开摄像头，请使用扫码枪或手动输入');
      });
    }
    function tick() {
      if (!scanning) return;
      if (!document.hidden && video.readyState >= 2 && video.videoWidth) {
        // ≤ 720 px on the long side: enough for a ticket held up to the phone, fast enough for old phones
        var scale = Math.min(1, 720 / Math.max(video.videoWidth, video.videoHeight));
        var w = Math.round(video.videoWidth * scale), h = Math.round(video.videoHeight * scale);
        if (!canvas) canvas = document.createElement('canvas');
        if (canvas.width !== w || canvas.height !== h) { canvas.width = w; canvas.height = h; ctx = null; }
        if (!ctx) ctx = canvas.getContext('2d', { willReadFrequently: true });
        ctx.drawImage(video, 0, 0, w, h);
        var found = window.jsQR(ctx.getImageData(0, 0, w, h).data, w, h, { inversionAttempts: 'dontInvert' });
        if (found && found.data) options.onCode(found.data);
      }
      setTimeout(tick, 150);
    }
    function active() { return !!(stream || scanning); }
    toggle.addEventListener('click', function () {
      if (active()) { stop(); remember(options.storageKey, true); } else { remember(options.storageKey, false); start(); }
      if (options.afterToggle) options.afterToggle();
    });
    return {
      start: start,
      stop: stop,
      active: active,
      /* Staff switched the camera off on this device (a keyboard-scanner gate): say so instead. */
      switchedOff: function () {
        if (remembered(options.storageKey) !== 'off') return false;
        say(OFF);
        return true;
      }
    };
  };
})();
