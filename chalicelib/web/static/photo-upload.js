/* baoming item photos (SPEC §8): a photo goes from the browser straight to S3 with a presigned POST
   (never through the app), then the app is asked to confirm it. Used by the desk and the ticket page. */
(function () {
  'use strict';
  var TYPES = { 'image/jpeg': true, 'image/png': true }, MAX = 5 * 1024 * 1024;

  // Why this file can't be a photo (Chinese, for the page), or null. The server and S3 check again.
  function problem(file) {
    if (!TYPES[file.type]) return '只接受 JPEG 或 PNG 格式的照片';
    if (file.size > MAX) return '照片不能超过 5 MB（这张 ' + (file.size / 1048576).toFixed(1) + ' MB）';
    if (!file.size) return '照片文件是空的';
    return null;
  }

  // call(method, path, body) → Promise<{status, body}> against the app; paths are the item's
  // `/photo-upload` and `/photo`. Resolves {ok: true, item} or {ok: false, message}.
  function send(file, call) {
    var why = problem(file);
    if (why) return Promise.resolve({ ok: false, message: why });
    return call('POST', '/photo-upload', { content_type: file.type, size: file.size }).then(function (r) {
      if (r.status !== 200) return { ok: false, message: (r.body && r.body.message) || '无法上传照片' };
      var grant = r.body, form = new FormData();
      Object.keys(grant.fields).forEach(function (name) { form.append(name, grant.fields[name]); });
      form.append('file', file);  // last: S3 ignores fields after the file
      return fetch(grant.url, { method: 'POST', body: form, credentials: 'omit' }).then(function (res) {
        if (!res.ok) return { ok: false, message: '照片上传失败：须为 JPEG 或 PNG 且不超过 5 MB' };
        return call('POST', '/photo', { key: grant.key }).then(function (c) {
          if (c.status !== 200) return { ok: false, message: (c.body && c.body.message) || '照片保存失败' };
          return { ok: true, item: c.body };
        });
      }, function () { return { ok: false, message: '网络异常，照片未上传，请重试' }; });
    });
  }

  window.BaomingPhoto = { problem: problem, send: send, accept: 'image/jpeg,image/png' };
})();
