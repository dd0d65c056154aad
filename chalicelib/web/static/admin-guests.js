/* baoming console, event page, 邀请与导入 (SPEC §6): invite codes (create, copy link, QR, revoke)
   and the guest-list upload with its per-row error table. Loaded before admin-event.js, which
   calls BaomingGuests.show() when the tab opens. */
(function () {
  'use strict';
  var C = window.BaomingConsole, $ = C.$, el = C.el, data = C.data;
  var eventRoles = [];

  function roleName(role) { return (data.roles_zh && data.roles_zh[role]) || role; }

  function svg(tag, attrs, children) {
    var node = document.createElementNS('http://www.w3.org/2000/svg', tag);
    Object.keys(attrs || {}).forEach(function (key) { node.setAttribute(key, String(attrs[key])); });
    (children || []).forEach(function (child) { node.appendChild(child); });
    return node;
  }
  var qrLib = C.qrEncoder;
  function drawQr(target, text) {
    qrLib().then(function (qrcode) {
      var qr = qrcode(0, 'M');
      qr.addData(text);
      qr.make();
      var count = qr.getModuleCount(), quiet = 4, side = count + quiet * 2, d = [];
      for (var r = 0; r < count; r++) {
        for (var c = 0; c < count; c++) if (qr.isDark(r, c)) d.push('M' + (c + quiet) + ' ' + (r + quiet) + 'h1v1h-1z');
      }
      var cell = Math.max(4, Math.floor(264 / side));
      C.clear(target).appendChild(svg('svg', {
        width: side * cell, height: side * cell, viewBox: '0 0 ' + side + ' ' + side, 'shape-rendering': 'crispEdges',
        role: 'img', 'aria-label': '邀请链接的二维码', id: 'invite-qr-svg'
      }, [svg('rect', { width: side, height: side, fill: '#fff' }), svg('path', { d: d.join(''), fill: '#000' })]));
    }, function () {
      C.clear(target).appendChild(el('p', { class: 'error', text: '二维码组件加载失败，请复制链接发送' }));
    });
  }

  function fieldErrors(prefix, fields) {
    ['role', 'max_uses', 'label'].forEach(function (name) {
      C.show($(prefix + name), ((fields || {})[name] || []).join('；'));
    });
  }

  // --- invite codes ---
  function listCodes() {
    return C.api('GET', C.eventPath(data.event_id, '/invite-codes')).then(function (answer) {
      var body = $('invite-table').tBodies[0];
      C.clear(body);
      if (answer.status !== 200) { C.show($('invite-error'), C.problem(answer, '读取邀请码失败')); return; }
      if (!answer.body.items.length) {
        body.appendChild(el('tr', {}, [el('td', { colspan: 5, class: 'muted', text: '还没有邀请码' })]));
      }
      answer.body.items.forEach(function (code) {
        var actions = [];
        if (!code.revoked_at) {
          actions.push(el('button', { type: 'button', class: 'btn btn-ghost btn-sm', text: '复制链接',
            'aria-label': '复制链接：' + (code.label || roleName(code.role)) }));
          actions.push(el('button', { type: 'button', class: 'btn btn-ghost btn-sm', text: '撤销',
            'aria-label': '撤销：' + (code.label || roleName(code.role)) }));
          actions[0].addEventListener('click', function () { copy(code.form_url); });
          actions[1].addEventListener('click', function () { revoke(code); });
        }
        body.appendChild(el('tr', {}, [
          el('td', { text: code.label || '—' }),
          el('td', { text: roleName(code.role) }),
          el('td', { class: 'num', text: code.used + ' / ' + code.max_uses }),
          el('td', { text: code.revoked_at ? '已撤销' : (code.used >= code.max_uses ? '已用完' : '可用') }),
          el('td', {}, actions)
        ]));
      });
    });
  }
  function copy(text) {
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(text).then(function () { C.show($('invite-error'), ''); }, function () {});
    }
  }
  function revoke(code) {
    C.api('DELETE', C.eventPath(data.event_id, '/invite-codes/' + encodeURIComponent(code.code_id))).then(function (answer) {
      if (answer.status !== 204) C.show($('invite-error'), C.problem(answer, '撤销失败'));
      listCodes();
    });
  }
  $('invite-form').addEventListener('submit', function (ev) {
    ev.preventDefault();
    var body = { role: $('invite-role').value, max_uses: parseInt($('invite-max').value, 10) || 1 };
    var label = $('invite-label').value.trim();
    if (label) body.label = label;
    fieldErrors('ie-', {});
    C.show($('invite-error'), '');
    C.api('POST', C.eventPath(data.event_id, '/invite-codes'), { body: body }).then(function (answer) {
      if (answer.status !== 201) {
        fieldErrors('ie-', answer.body.fields);
        if (!answer.body.fields) C.show($('invite-error'), C.problem(answer, '新建邀请码失败'));
        return;
      }
      $('invite-new').hidden = false;
      $('invite-new-role').textContent = roleName(answer.body.role) + (answer.body.label ? ' · ' + answer.body.label : '');
      $('invite-new-url').textContent = answer.body.form_url;
      $('invite-copy').onclick = function () { copy(answer.body.form_url); };
      drawQr($('invite-qr'), answer.body.form_url);
      $('invite-label').value = '';
      listCodes();
    });
  });

  // --- import ---
  function describe(fields) {
    return Object.keys(fields || {}).map(function (name) {
      var label = { name: '姓名', phone: '手机号', role: '身份', party_size: '人数', city: '城市', organization: '单位',
        note: '备注', seat: '座位' }[name] || name;
      return label + '：' + fields[name].join('；');
    }).join('　');
  }
  $('import-form').addEventListener('submit', function (ev) {
    ev.preventDefault();
    var file = $('import-file').files[0];
    var errors = $('import-errors').tBodies[0];
    C.clear(errors);
    $('import-errors-wrap').hidden = true;
    C.show($('import-result'), '');
    if (!file) { C.show($('import-error'), '请选择名单文件'); return; }
    C.show($('import-error'), '');
    $('import-submit').disabled = true;
    C.show($('import-result'), '正在导入…');
    var headers = { Authorization: 'Bearer ' + C.token(), Accept: 'application/json',
      // Every file as bytes: a GBK CSV must reach the server unchanged (see web/http.py IMPORT_TYPES).
      'Content-Type': 'application/octet-stream', 'Idempotency-Key': 'import-' + Date.now() + '-' + file.size };
    var url = C.root + C.eventPath(data.event_id, '/registrations/import') + ($('import-skip').checked ? '?skip_duplicates=true' : '');
    fetch(url, { method: 'POST', headers: headers, body: file, cache: 'no-store', credentials: 'same-origin' })
      .then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (body) { return { status: response.status, body: body }; });
      }, function () { return { status: 0, body: {} }; })
      .then(function (answer) {
        $('import-submit').disabled = false;
        if (answer.status === 201) {
          C.show($('import-result'), '已导入 ' + answer.body.created + ' 人' +
            (answer.body.skipped.length ? '，跳过 ' + answer.body.skipped.length + ' 行（已报名或重复）' : '') + '。');
          return;
        }
        C.show($('import-result'), '');
        if (answer.status === 401) { C.signOut('登录已失效或令牌已更换，请重新输入管理员令牌。'); return; }
        C.show($('import-error'), C.problem(answer, '导入失败'));
        if (answer.body.rows) {
          answer.body.rows.forEach(function (row) {
            errors.appendChild(el('tr', {}, [el('td', { class: 'num', text: String(row.row) }), el('td', { text: describe(row.fields) })]));
          });
          $('import-errors-wrap').hidden = false;
        } else if (answer.body.fields && answer.body.fields.file) {
          C.show($('import-error'), answer.body.fields.file.join('；'));
        }
      });
  });

  window.BaomingGuests = {
    show: function () {
      C.api('GET', C.eventPath(data.event_id)).then(function (answer) {
        if (answer.status !== 200) return;
        eventRoles = answer.body.roles;
        var select = C.clear($('invite-role'));
        var only = answer.body.invite_only_roles || [];
        eventRoles.forEach(function (role) {
          select.appendChild(el('option', { value: role, text: roleName(role) + (only.indexOf(role) >= 0 ? '（仅限邀请）' : '') }));
        });
        if (only.length) select.value = only[0];
      });
      listCodes();
    }
  };
})();
