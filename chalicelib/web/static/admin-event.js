/* baoming console, /admin/events/{id}: 概览 (live dashboard), 编辑, 报名名单, 签到口, 日志 —
   one panel per URL fragment (#overview, #edit, #attendees, #gates, #audit). */
(function () {
  'use strict';
  var C = window.BaomingConsole, $ = C.$, el = C.el, data = C.data;
  var eid = data.event_id;
  var TABS = ['overview', 'edit', 'attendees', 'gates', 'guests', 'audit'];
  var REFRESH_MS = 5000; // the dashboard: at least every 10 s while visible (SPEC §4)
  var PAGE_SIZE = 50;
  var event = null, active = null, signedIn = false, missing = false;

  function path(rest) { return C.eventPath(eid, rest); }
  function text(value, empty) { return value === null || value === undefined || value === '' ? (empty || '—') : String(value); }
  function num(value) { return typeof value === 'number' ? value : 0; }
  function emptyRow(tbody, columns, message) {
    tbody.appendChild(el('tr', { class: 'empty' }, [el('td', { colspan: columns, text: message })]));
  }

  // --- the event itself ---
  function renderHeader() {
    $('ev-title').textContent = event.title;
    $('ev-kind').textContent = C.kindLabel(event.kind) + ' · ' + event.event_id;
    $('ev-when').textContent = C.fmtRange(event.starts_at, event.ends_at) + ' · ' + event.venue;
    document.title = event.title + ' · 报名管理';
    var select = $('role-filter'), current = select.value;
    C.clear(select).appendChild(el('option', { value: '', text: '全部' }));
    (event.roles || []).forEach(function (role) {
      select.appendChild(el('option', { value: role, text: C.roleLabel(role) }));
    });
    select.value = current;
    var ceremony = event.kind === 'award_ceremony';
    $('stage-link-row').hidden = !ceremony;
    $('gate-stage-field').hidden = !ceremony;
    var publicUrl = $('public-url');
    publicUrl.value = new URL(publicUrl.getAttribute('data-path'), location.href).href;
  }
  function loadEvent() {
    return C.api('GET', path('')).then(function (answer) {
      if (answer.status === 200) {
        C.show($('event-error'), '');
        event = answer.body;
        renderHeader();
        editForm.fill(event);
        return event;
      }
      if (answer.status === 404) {
        C.show($('event-error'), '找不到这个活动（' + eid + '），请从活动列表进入。');
        document.querySelector('.tabs').hidden = true;
        TABS.forEach(function (key) { $('panel-' + key).hidden = true; });
        missing = true;
      }
      else if (answer.status !== 401) C.show($('event-error'), C.problem(answer));
      return null;
    });
  }

  // --- panels ---
  function tabFromHash() {
    var key = location.hash.replace(/^#/, '');
    return TABS.indexOf(key) >= 0 ? key : null;
  }
  function activate(tab, moveFocus) {
    active = tab;
    if (missing) return;
    TABS.forEach(function (key) { $('panel-' + key).hidden = key !== tab; });
    var links = document.querySelectorAll('.tabs a[data-tab]');
    for (var i = 0; i < links.length; i++) {
      if (links[i].getAttribute('data-tab') === tab) links[i].setAttribute('aria-current', 'page');
      else links[i].removeAttribute('aria-current');
    }
    if (moveFocus) $('h-' + tab).focus();
    if (!signedIn) return;
    stopOverview();
    if (tab === 'overview') refreshOverview();
    else if (tab === 'edit') editForm.loadAwards().catch(function () {});
    else if (tab === 'attendees') attendees.show();
    else if (tab === 'gates') gates.show();
    else if (tab === 'guests' && window.BaomingGuests) window.BaomingGuests.show();
    else if (tab === 'audit') audit.load(true);
  }
  window.addEventListener('hashchange', function () {
    var tab = tabFromHash();
    if (tab && tab !== active) activate(tab, true);
  });

  // --- 概览 ---
  var overviewTimer = null, overviewSeq = 0;
  function stopOverview() { if (overviewTimer) clearTimeout(overviewTimer); overviewTimer = null; }
  function scheduleOverview() {
    stopOverview();
    if (active === 'overview' && signedIn && document.visibilityState === 'visible') {
      overviewTimer = setTimeout(refreshOverview, REFRESH_MS);
    }
  }
  function refreshOverview() {
    var mine = ++overviewSeq;
    stopOverview();
    return Promise.all([C.api('GET', path('')), C.api('GET', path('/stats'))]).then(function (answers) {
      if (mine !== overviewSeq) return;
      var eventAnswer = answers[0], stats = answers[1];
      if (eventAnswer.status === 200) {
        var titleChanged = !event || event.title !== eventAnswer.body.title;
        event = eventAnswer.body;
        if (titleChanged) renderHeader();
      }
      if (stats.status === 200 && event) {
        renderStats(stats.body);
        $('ov-updated').textContent = '更新于 ' + C.fmtClock(new Date().toISOString()) + '，每 ' + REFRESH_MS / 1000 + ' 秒自动刷新';
      } else if (stats.status && stats.status !== 401) {
        $('ov-updated').textContent = '刷新失败：' + C.problem(stats);
      } else if (!stats.status) {
        $('ov-updated').textContent = '网络连接失败，稍后自动重试';
      }
      scheduleOverview();
    });
  }
  document.addEventListener('visibilitychange', function () {
    if (document.visibilityState === 'visible') { if (active === 'overview' && signedIn) refreshOverview(); } else stopOverview();
  });

  function renderStats(stats) {
    $('t-seats').textContent = num(stats.seats_confirmed);
    $('t-capacity').textContent = event.capacity;
    $('t-remaining').textContent = num(stats.seats_remaining);
    $('t-waitlisted').textContent = num(stats.waitlisted);
    $('t-heads').textContent = num(stats.checked_in_heads !== undefined ? stats.checked_in_heads : stats.checked_in);
    $('ov-counts').textContent = '报名份数：已确认 ' + num(stats.confirmed) + ' · 候补 ' + num(stats.waitlisted) +
      ' · 已取消 ' + num(stats.cancelled) + ' · 已签到 ' + num(stats.checked_in);

    var byRole = stats.by_role || {}, roleBody = C.clear($('by-role').tBodies[0]);
    var roles = (event.roles || []).slice();
    Object.keys(byRole).forEach(function (role) { if (roles.indexOf(role) < 0) roles.push(role); });
    roles.forEach(function (role) {
      var r = byRole[role] || {};
      roleBody.appendChild(el('tr', {}, [
        el('th', { scope: 'row', text: C.roleLabel(role) }),
        el('td', { class: 'num', text: num(r.confirmed) }),
        el('td', { class: 'num', text: num(r.seats_confirmed) }),
        el('td', { class: 'num', text: num(r.waitlisted) }),
        el('td', { class: 'num', text: num(r.checked_in_heads) })
      ]));
    });
    if (!roles.length) emptyRow(roleBody, 5, '暂无数据');

    var byGate = stats.by_gate || {}, gateBody = C.clear($('by-gate').tBodies[0]);
    Object.keys(byGate).sort(function (a, b) { return byGate[b] - byGate[a]; }).forEach(function (gate) {
      gateBody.appendChild(el('tr', {}, [
        el('th', { scope: 'row', text: gate || '（未填写签到口）' }),
        el('td', { class: 'num', text: num(byGate[gate]) })
      ]));
    });
    if (!Object.keys(byGate).length) emptyRow(gateBody, 2, '暂无签到');
    renderTimeline(stats.timeline || []);
  }

  // --- the check-in timeline: 10-minute buckets as an inline SVG bar chart, plus its table ---
  var BUCKET_MS = 10 * 60 * 1000;
  function filledBuckets(timeline) {
    var points = timeline.map(function (p) { return { ms: Date.parse(p.at), heads: num(p.heads) }; })
      .filter(function (p) { return !isNaN(p.ms); }).sort(function (a, b) { return a.ms - b.ms; });
    if (points.length < 2) return points;
    var first = points[0].ms, last = points[points.length - 1].ms;
    if ((last - first) / BUCKET_MS > 288) return points; // over two days: the buckets as given
    var byMs = {}, out = [];
    points.forEach(function (p) { byMs[p.ms] = (byMs[p.ms] || 0) + p.heads; });
    for (var ms = first; ms <= last; ms += BUCKET_MS) out.push({ ms: ms, heads: byMs[ms] || 0 });
    return out;
  }
  function svg(tag, attrs, children) {
    var node = document.createElementNS('http://www.w3.org/2000/svg', tag);
    Object.keys(attrs || {}).forEach(function (key) {
      if (key === 'text') node.textContent = attrs[key]; else node.setAttribute(key, String(attrs[key]));
    });
    (children || []).forEach(function (child) { node.appendChild(child); });
    return node;
  }
  function renderTimeline(timeline) {
    var box = C.clear($('timeline')), body = C.clear($('tl-table').tBodies[0]);
    var buckets = filledBuckets(timeline);
    if (!buckets.length) {
      box.appendChild(el('p', { class: 'muted', text: '暂无签到，开始签到后这里会按 10 分钟显示入场人数。' }));
      emptyRow(body, 2, '暂无签到');
      return;
    }
    var total = 0, peak = buckets[0];
    buckets.forEach(function (b) {
      total += b.heads;
      if (b.heads > peak.heads) peak = b;
      var start = new Date(b.ms).toISOString(), end = new Date(b.ms + BUCKET_MS).toISOString();
      body.appendChild(el('tr', {}, [
        el('th', { scope: 'row', text: C.fmtTime(start) + '–' + C.fmtClock(end) }),
        el('td', { class: 'num', text: b.heads })
      ]));
    });
    var bar = 22, gap = 6, left = 34, top = 14, height = 150, bottom = 28;
    var width = left + buckets.length * (bar + gap) + 8;
    var max = Math.max(peak.heads, 1);
    var scale = height / max;
    var label = '签到时间线：' + C.fmtTime(new Date(buckets[0].ms).toISOString()) + ' 起，共 ' + buckets.length +
      ' 个 10 分钟时段，合计 ' + total + ' 人；最多的是 ' + C.fmtClock(new Date(peak.ms).toISOString()) + ' 起的 ' + peak.heads + ' 人';
    var chart = svg('svg', {
      width: width, height: top + height + bottom, viewBox: '0 0 ' + width + ' ' + (top + height + bottom),
      role: 'img', 'aria-label': label, class: 'bars'
    });
    chart.appendChild(svg('title', { text: label }));
    [0, max].forEach(function (value) {
      var y = top + height - value * scale;
      chart.appendChild(svg('line', { x1: left - 4, x2: width, y1: y, y2: y, class: 'grid' }));
      chart.appendChild(svg('text', { x: left - 8, y: y + 4, 'text-anchor': 'end', class: 'axis', text: value }));
    });
    var every = Math.ceil(buckets.length / Math.max(1, Math.floor(buckets.length * (bar + gap) / 48)));
    buckets.forEach(function (b, i) {
      var x = left + i * (bar + gap) + gap / 2, h = b.heads * scale;
      var when = C.fmtClock(new Date(b.ms).toISOString());
      var rect = svg('rect', { x: x, y: top + height - h, width: bar, height: Math.max(h, b.heads ? 1 : 0), rx: 2, class: 'bar' });
      rect.appendChild(svg('title', { text: when + '：' + b.heads + ' 人' }));
      chart.appendChild(rect);
      if (b.heads) chart.appendChild(svg('text', { x: x + bar / 2, y: top + height - h - 3, 'text-anchor': 'middle', class: 'value', text: b.heads }));
      if (i % every === 0) chart.appendChild(svg('text', { x: x + bar / 2, y: top + height + 18, 'text-anchor': 'middle', class: 'axis', text: when }));
    });
    box.appendChild(chart);
  }

  // --- 编辑 ---
  var editForm = C.eventForm({
    onSaved: function (saved) {
      event = saved;
      renderHeader();
    }
  });

  // --- 报名名单 ---
  var STATUS_LABELS = { confirmed: '已确认', waitlisted: '候补中', cancelled: '已取消' };
  var attendees = (function () {
    var cursors = [null], page = 0, next = null, seq = 0, debounce = null, rows = {}, info = null;
    var tbody = $('roster').tBodies[0], message = $('att-message'), error = $('att-error');

    function filters() {
      return { q: $('q').value.trim(), status: $('status-filter').value, role: $('role-filter').value };
    }
    /* aria-busy on the table while its rows are about to change (a search typed, an action sent). */
    function busy(on) { $('roster').setAttribute('aria-busy', on ? 'true' : 'false'); }
    function load() {
      var mine = ++seq, f = filters();
      busy(true);
      C.show(error, '');
      $('att-summary').textContent = '加载中…';
      return Promise.all([C.api('GET', path('/registrations'), {
        query: { q: f.q, status: f.status, role: f.role, limit: PAGE_SIZE, cursor: cursors[page] }
      }), C.awardsModule().then(function () { return C.registrations.programme(event); }, function () { return null; })
      ]).then(function (answers) {
        var answer = answers[0];
        info = answers[1];
        if (mine !== seq) return;
        busy(false);
        if (answer.status !== 200) {
          $('att-summary').textContent = '';
          if (answer.status !== 401) C.show(error, C.problem(answer));
          return;
        }
        var items = answer.body.items || [];
        next = answer.body.next_cursor || null;
        render(items);
        $('att-prev').disabled = page === 0;
        $('att-next').disabled = !next;
        $('att-page').textContent = '第 ' + (page + 1) + ' 页';
        var filtered = f.q || f.status || f.role;
        $('att-summary').textContent = items.length
          ? '第 ' + (page + 1) + ' 页，本页 ' + items.length + ' 条' + (next ? '，还有下一页' : '')
          : (filtered ? '没有符合条件的报名' : '还没有人报名');
      });
    }
    function reset() { cursors = [null]; page = 0; return load(); }
    function checkinText(r) {
      if (!r.checked_in_at) return '未签到';
      var heads = r.checked_in_heads !== undefined && r.checked_in_heads !== null && r.party_size > 1
        ? r.checked_in_heads + '/' + r.party_size + ' 人 · ' : '';
      var by = r.checked_in_by === 'admin' ? '管理员' : r.checked_in_by;
      return heads + C.fmtTime(r.checked_in_at) + (r.gate ? ' · ' + r.gate : '') + (by ? ' · ' + by : '');
    }
    function displayName(r) { return r.name === null || r.name === undefined ? null : r.name; }
    function actionButton(action, label, r, klass) {
      var who = displayName(r) || r.registration_id;
      return el('button', {
        type: 'button', class: 'btn btn-sm ' + (klass || 'btn-ghost'), 'data-action': action,
        'data-rid': r.registration_id, 'aria-label': label + '：' + who, text: label
      });
    }
    function render(items) {
      C.clear(tbody);
      rows = {};
      items.forEach(function (r) {
        rows[r.registration_id] = r;
        var name = displayName(r), erased = name === null;
        var live = r.status === 'confirmed' || r.status === 'waitlisted';
        var fullyIn = r.checked_in_at && (r.checked_in_heads === undefined || r.checked_in_heads === null ||
          r.checked_in_heads >= (r.party_size || 1));
        var actions = [];
        if (r.status === 'confirmed' && !erased && !fullyIn) actions.push(actionButton('checkin', '签到', r, 'btn-primary'));
        if (live && !r.checked_in_at) actions.push(actionButton('cancel', '取消报名', r));
        if (live && !erased) actions.push(actionButton('seat', '座位/奖项', r));
        if (!erased) actions.push(actionButton('erase', '删除个人信息', r, 'btn-danger-ghost'));
        if (!erased) actions.push(actionButton('messages', '短信', r));
        var note = C.registrations ? C.registrations.describe(r, info, event) : '';
        var statusLabel = STATUS_LABELS[r.status] || r.status;
        if (r.status === 'waitlisted' && r.waitlist_position) statusLabel += ' · 第 ' + r.waitlist_position + ' 位';
        tbody.appendChild(el('tr', { 'data-rid': r.registration_id, class: erased ? 'erased' : '' }, [
          el('th', { scope: 'row', 'data-label': '姓名' }, [
            erased ? el('span', { class: 'muted', text: '已删除' }) : el('span', { class: 'person-name', text: name }),
            el('span', { class: 'rid', text: r.registration_id })
          ]),
          el('td', { 'data-label': '手机号', class: 'phone', text: text(r.phone) }),
          el('td', { 'data-label': '身份' }, [C.roleLabel(r.role) || '—', note ? el('span', { class: 'reg-note', text: note }) : null]),
          el('td', { 'data-label': '人数', class: 'num', text: r.party_size || 1 }),
          el('td', { 'data-label': '状态' }, [el('span', { class: 'badge badge-' + r.status, text: statusLabel })]),
          el('td', { 'data-label': '座位', class: r.seat ? '' : 'muted', text: r.seat || '—' }),
          el('td', { 'data-label': '签到', class: r.checked_in_at ? 'in' : 'muted', text: checkinText(r) }),
          el('td', { 'data-label': '报名时间', text: C.fmtTime(r.registered_at) || '—' }),
          el('td', { 'data-label': '操作', class: 'actions-cell' }, [el('div', { class: 'actions' }, actions.length ? actions : [el('span', { class: 'muted', text: '—' })])])
        ]));
      });
      if (!items.length) emptyRow(tbody, 9, '没有报名记录');
    }
    function say(textValue, tone) {
      message.className = 'notice' + (tone ? ' notice-' + tone : '');
      C.show(message, textValue);
    }
    /* The texts dialog (admin-messages.js) is loaded on the first 短信 click. */
    var messagesLoading = null;
    function messagesLib() {
      if (window.BaomingMessages) return Promise.resolve(window.BaomingMessages);
      if (!messagesLoading) {
        messagesLoading = new Promise(function (resolve, reject) {
          var script = document.createElement('script');
          script.src = data.messages_lib;
          script.onload = function () { resolve(window.BaomingMessages); };
          script.onerror = function () { messagesLoading = null; reject(new Error('messages')); };
          document.head.appendChild(script);
        });
      }
      return messagesLoading;
    }
    function act(action, rid) {
      var r = rows[rid];
      if (!r) return;
      var who = displayName(r) || r.registration_id;
      C.show(error, '');
      if (action === 'messages') {
        messagesLib().then(function (texts) { texts.show(rid, who); }, function () { C.show(error, '短信记录加载失败，请重试'); });
        return;
      }
      if (action === 'checkin') {
        busy(true);
        C.api('POST', path('/checkins'), { body: { registration_id: rid } }).then(function (answer) {
          if (answer.status === 401) return;
          var body = answer.body || {};
          if (body.result) say(who + '：' + (body.message || body.result), body.result === 'ok' ? 'ok' : 'warn');
          else C.show(error, C.problem(answer));
          load();
        });
        return;
      }
      if (action === 'seat') {
        C.awardsModule().then(function () { return C.registrations.edit(r, event, info, rows); }).then(function (saved) {
          if (!saved) return;
          say('已保存「' + who + '」的' + (saved.seat ? '座位：' + saved.seat : '座位与奖项'), 'ok');
          load();
        });
        return;
      }
      if (action === 'cancel') {
        C.confirm({
          title: '取消这份报名？',
          text: '将取消「' + who + '」的报名（' + (r.party_size || 1) + ' 人），座位会按顺序让给候补。取消后不能恢复，对方需要重新报名。',
          ok: '确认取消报名'
        }).then(function (yes) {
          if (!yes) return;
          busy(true);
          C.api('POST', path('/registrations/' + encodeURIComponent(rid) + '/cancel')).then(function (answer) {
            if (answer.status === 200) say('已取消「' + who + '」的报名', 'ok');
            else if (answer.status !== 401) C.show(error, C.problem(answer));
            load();
          });
        });
        return;
      }
      if (action === 'erase') {
        C.confirm({
          title: '删除个人信息？',
          text: '将立即删除「' + who + '」的姓名、手机号、城市、单位、备注和藏品信息，电子票随之失效；只保留不含个人信息的记录用于统计。此操作无法撤销。',
          ok: '确认删除'
        }).then(function (yes) {
          if (!yes) return;
          busy(true);
          C.api('DELETE', path('/registrations/' + encodeURIComponent(rid))).then(function (answer) {
            if (answer.status === 204 || answer.status === 200) say('已删除「' + who + '」的个人信息', 'ok');
            else if (answer.status !== 401) C.show(error, C.problem(answer));
            load();
          });
        });
      }
    }
    tbody.addEventListener('click', function (ev) {
      var button = ev.target.closest ? ev.target.closest('button[data-action]') : null;
      if (button) act(button.getAttribute('data-action'), button.getAttribute('data-rid'));
    });
    $('q').addEventListener('input', function () {
      busy(true);
      clearTimeout(debounce);
      debounce = setTimeout(reset, 300);
    });
    $('filters').addEventListener('submit', function (ev) { ev.preventDefault(); clearTimeout(debounce); reset(); });
    $('status-filter').addEventListener('change', reset);
    $('role-filter').addEventListener('change', reset);
    $('att-next').addEventListener('click', function () {
      if (!next) return;
      cursors = cursors.slice(0, page + 1).concat([next]);
      page += 1;
      load();
    });
    $('att-prev').addEventListener('click', function () {
      if (page === 0) return;
      page -= 1;
      load();
    });

    // 下载 Excel / 下载 CSV: fetched with the bearer header (never a token in a URL), saved from a blob.
    function download(format, button) {
      var label = button.textContent;
      button.disabled = true;
      button.textContent = '生成中…';
      C.show(error, '');
      // delivery=link: a file too large to answer directly comes back as a short-lived link
      // (the page's fetch may not follow a redirect to the storage's origin); it is opened as a
      // navigation, which downloads it (the link carries no token: it is signed for that file alone).
      C.api('GET', path('/attendees.' + format), { blob: true, query: { delivery: 'link' } }).then(function (answer) {
        button.disabled = false;
        button.textContent = label;
        if (answer.status !== 200 || !(answer.body instanceof Blob)) {
          if (answer.status !== 401) C.show(error, C.problem(answer, '下载失败，请稍后重试'));
          return;
        }
        if ((answer.body.type || '').indexOf('application/json') === 0) {
          answer.body.text().then(function (text) {
            window.location.assign(JSON.parse(text).download_url);
            say('文件较大，已通过临时链接下载 ' + eid + '-attendees.' + format, 'ok');
          });
          return;
        }
        var url = URL.createObjectURL(answer.body);
        var link = el('a', { href: url, download: eid + '-attendees.' + format, hidden: true });
        document.body.appendChild(link);
        link.click();
        document.body.removeChild(link);
        setTimeout(function () { URL.revokeObjectURL(url); }, 60000);
        say('已下载 ' + eid + '-attendees.' + format, 'ok');
      });
    }
    $('dl-xlsx').addEventListener('click', function () { download('xlsx', $('dl-xlsx')); });
    $('dl-csv').addEventListener('click', function () { download('csv', $('dl-csv')); });

    return { show: load, reset: reset };
  })();

  // --- 签到口: gate links (staff tokens) and their QR codes ---
  var gates = (function () {
    var shownTokenId = null;
    var tbody = $('gate-table').tBodies[0], error = $('gate-error');

    /* The QR encoder is loaded only when this panel is first opened. */
    var qrLib = C.qrEncoder;
    function drawQr(target, textValue) {
      C.clear(target).appendChild(el('p', { class: 'muted small', text: '正在生成二维码…' }));
      qrLib().then(function (qrcode) {
        var qr = qrcode(0, 'M');
        qr.addData(textValue);
        qr.make();
        var count = qr.getModuleCount(), quiet = 4, side = count + quiet * 2;
        var cell = Math.max(4, Math.floor(264 / side)), d = [];
        for (var r = 0; r < count; r++) {
          for (var c = 0; c < count; c++) if (qr.isDark(r, c)) d.push('M' + (c + quiet) + ' ' + (r + quiet) + 'h1v1h-1z');
        }
        var image = svg('svg', {
          width: side * cell, height: side * cell, viewBox: '0 0 ' + side + ' ' + side, 'shape-rendering': 'crispEdges',
          role: 'img', 'aria-label': '签到链接的二维码', class: 'qr-svg', id: 'gate-qr-svg'
        }, [svg('rect', { width: side, height: side, fill: '#fff' }), svg('path', { d: d.join(''), fill: '#000' })]);
        C.clear(target).appendChild(image);
      }, function () {
        C.clear(target).appendChild(el('p', { class: 'error', text: '二维码组件加载失败，请复制链接发送给工作人员' }));
      });
    }
    function state(token) {
      if (token.revoked_at) return ['已撤销', 'cancelled'];
      if (token.expires_at && Date.parse(token.expires_at) < Date.now()) return ['已过期', 'cancelled'];
      return ['有效', 'confirmed'];
    }
    function load() {
      $('gates-summary').textContent = '加载中…';
      return C.api('GET', path('/staff-tokens')).then(function (answer) {
        C.clear(tbody);
        if (answer.status !== 200) {
          $('gates-summary').textContent = '';
          if (answer.status !== 401) C.show(error, C.problem(answer, '签到链接列表加载失败'));
          return;
        }
        var items = answer.body.items || [], live = 0;
        items.forEach(function (token) {
          var s = state(token);
          if (s[0] === '有效') live += 1;
          tbody.appendChild(el('tr', { 'data-token': token.token_id }, [
            el('th', { scope: 'row', 'data-label': '名称', text: token.label }),
            el('td', { 'data-label': '创建时间', text: C.fmtTime(token.created_at) || '—' }),
            el('td', { 'data-label': '最近使用', text: C.fmtTime(token.last_used_at) || '从未使用' }),
            el('td', { 'data-label': '状态' }, [el('span', { class: 'badge badge-' + s[1], text: s[0] })]),
            el('td', { 'data-label': '操作', class: 'actions-cell' }, [s[0] === '有效'
              ? el('button', { type: 'button', class: 'btn btn-sm btn-danger-ghost', 'data-revoke': token.token_id,
                'data-label': token.label, 'aria-label': '撤销：' + token.label, text: '撤销' })
              : el('span', { class: 'muted', text: token.revoked_at ? '撤销于 ' + C.fmtTime(token.revoked_at) : '—' })])
          ]));
        });
        if (!items.length) emptyRow(tbody, 5, '还没有签到链接');
        $('gates-summary').textContent = items.length ? '共 ' + items.length + ' 条，有效 ' + live + ' 条' : '';
      });
    }
    $('gate-form').addEventListener('submit', function (ev) {
      ev.preventDefault();
      var input = $('gate-label'), fieldError = $('gate-label-error'), button = $('gate-create');
      var label = input.value.trim();
      C.show(fieldError, '');
      C.show(error, '');
      input.removeAttribute('aria-invalid');
      button.disabled = true;
      C.api('POST', path('/staff-tokens'), { body: label ? { label: label } : {} }).then(function (answer) {
        button.disabled = false;
        var body = answer.body || {};
        if (answer.status === 201) {
          input.value = '';
          shownTokenId = body.token_id || null;
          $('new-link-label').textContent = body.label || label || '签到口';
          $('gate-url').value = body.scanner_url;
          var stageUrl = $('gate-stage-url');
          stageUrl.value = new URL(stageUrl.getAttribute('data-path'), location.href).href + '#token=' + encodeURIComponent(body.token);
          $('gate-expiry').textContent = body.expires_at ? '有效期至 ' + C.fmtTime(body.expires_at) + '（北京时间），撤销后立即失效' : '';
          $('new-link').hidden = false;
          drawQr($('gate-qr'), body.scanner_url);
          $('h-new-link').focus();
          load();
          return;
        }
        if (answer.status === 422 && body.fields) {
          var messages = [];
          Object.keys(body.fields).forEach(function (k) { messages = messages.concat(body.fields[k]); });
          C.show(fieldError, messages.join('；'));
          input.setAttribute('aria-invalid', 'true');
          input.focus();
          return;
        }
        if (answer.status !== 401) C.show(error, C.problem(answer));
      });
    });
    tbody.addEventListener('click', function (ev) {
      var button = ev.target.closest ? ev.target.closest('button[data-revoke]') : null;
      if (!button) return;
      var id = button.getAttribute('data-revoke'), label = button.getAttribute('data-label');
      C.confirm({
        title: '撤销签到链接？',
        text: '撤销后，使用「' + label + '」链接的手机将无法继续签到。需要时可以再新建一条。',
        ok: '确认撤销'
      }).then(function (yes) {
        if (!yes) return;
        C.api('DELETE', path('/staff-tokens/' + encodeURIComponent(id))).then(function (answer) {
          if (answer.status === 204 || answer.status === 200) {
            if (id === shownTokenId) { $('new-link').hidden = true; C.clear($('gate-qr')); $('gate-url').value = ''; $('gate-stage-url').value = ''; }
          } else if (answer.status !== 401) C.show(error, C.problem(answer));
          load();
        });
      });
    });
    return {
      show: function () { qrLib().catch(function () {}); return load(); }
    };
  })();

  // --- 日志 ---
  var ACTIONS = {
    'event.create': '创建活动', 'event.update': '修改活动', 'staff_token.create': '新建签到链接',
    'staff_token.revoke': '撤销签到链接', 'export.csv': '下载 CSV', 'export.xlsx': '下载 Excel',
    'registration.cancel': '取消报名', 'registration.erase': '删除个人信息', 'registration.update': '修改报名',
    'checkin.manual': '手动签到', 'registrations.import': '导入名单', 'invite_code.create': '新建邀请码',
    'invite_code.revoke': '撤销邀请码', 'item.transition': '藏品状态变更', 'item.photo': '藏品照片'
  };
  function actorLabel(actor) {
    if (actor === 'admin') return '管理员';
    if (actor === 'system') return '系统';
    if (actor === 'collector') return '收藏者';
    if (typeof actor === 'string' && actor.indexOf('staff:') === 0) return '工作人员：' + actor.slice(6);
    return text(actor);
  }
  var FIELD_LABELS = {
    title: '标题', venue: '地点', starts_at: '开始时间', ends_at: '结束时间', capacity: '名额',
    registration_opens_at: '报名开始时间', registration_closes_at: '报名截止时间', waitlist: '候补',
    max_party_size: '每份报名最多人数', roles: '身份', retention_days: '个人信息保存天数', verify_phone: '短信验证',
    checkin_lists: '签到名单'
  };
  /* An edit's detail names the fields it changed ("capacity,title"): shown by their labels. */
  function fieldNames(textValue) {
    var parts = textValue.split(/[\s,，、]+/).filter(Boolean);
    var known = parts.length && parts.every(function (p) { return FIELD_LABELS[p]; });
    return known ? parts.map(function (p) { return FIELD_LABELS[p]; }).join('、') : textValue;
  }
  function describe(value, isDetail) {
    if (value === null || value === undefined || value === '') return '—';
    if (typeof value === 'string') return isDetail ? fieldNames(value) : value;
    if (typeof value !== 'object') return String(value);
    if (Array.isArray(value)) return value.map(function (v) { return describe(v); }).join('、');
    return Object.keys(value).map(function (k) {
      var v = value[k];
      return k + '：' + (v !== null && typeof v === 'object' ? JSON.stringify(v) : String(v));
    }).join('，');
  }
  var audit = (function () {
    var cursor = null, seq = 0, tbody = $('audit-table').tBodies[0], count = 0;
    function load(reset) {
      var mine = reset ? ++seq : seq;
      if (reset) cursor = null;
      C.show($('audit-error'), '');
      $('audit-more').disabled = true;
      return C.api('GET', path('/audit'), { query: { limit: PAGE_SIZE, cursor: cursor } }).then(function (answer) {
        if (mine !== seq) return;
        $('audit-more').disabled = false;
        if (answer.status !== 200) {
          if (answer.status !== 401) C.show($('audit-error'), C.problem(answer, '日志加载失败'));
          return;
        }
        if (reset) { C.clear(tbody); count = 0; }
        (answer.body.items || []).forEach(function (entry) {
          count += 1;
          tbody.appendChild(el('tr', {}, [
            el('td', { 'data-label': '时间', class: 'nowrap', text: C.fmtTime(entry.at, true) }),
            el('td', { 'data-label': '操作人', text: actorLabel(entry.actor) }),
            el('td', { 'data-label': '操作', text: ACTIONS[entry.action] || entry.action, title: entry.action }),
            el('td', { 'data-label': '对象', class: 'wrap', text: describe(entry.target) }),
            el('td', { 'data-label': '详情', class: 'wrap', text: describe(entry.detail, entry.action === 'event.update') })
          ]));
        });
        cursor = answer.body.next_cursor || null;
        $('audit-more').hidden = !cursor;
        if (!count) emptyRow(tbody, 5, '暂无日志');
        $('audit-summary').textContent = count ? '最新的在前，已显示 ' + count + ' 条' : '';
      });
    }
    $('audit-more').addEventListener('click', function () { load(false); });
    $('audit-refresh').addEventListener('click', function () { load(true); });
    return { load: load };
  })();

  // --- start ---
  C.onSignOut(function () { signedIn = false; stopOverview(); });
  activate(tabFromHash() || 'overview', false);
  C.start(function () {
    signedIn = true;
    loadEvent().then(function () { activate(active || 'overview', false); });
  });
})();
