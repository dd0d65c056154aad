/* baoming stage board (/admin/events/{id}/stage): GET /events/{id}/programme every few seconds
   while visible; per award, nominees 未到 first, with seat and companions. Signed in with the
   admin token of this tab (sessionStorage, as the console) or a gate's staff token given in the
   link's fragment (#token=st_…, never sent to a server; then kept in this browser for the event). */
(function () {
  'use strict';
  var C = window.BaomingConsole, $ = C.$, el = C.el, data = C.data;
  var eid = data.event_id;
  var REFRESH_MS = (data.refresh_seconds || 5) * 1000;
  var STAFF_KEY = 'baoming:stage:' + eid;
  var staffToken = null, timer = null, seq = 0, running = false, lastOk = null, title = null;

  function store() { try { return window.localStorage; } catch (err) { return null; } }
  function saveStaff(value) {
    var s = store();
    try { if (!s) return; if (value) s.setItem(STAFF_KEY, value); else s.removeItem(STAFF_KEY); } catch (err) { /* full */ }
  }
  function staffFromFragment() {
    var m = /(?:^|[#&])token=([^&\s]+)/.exec(location.hash || '');
    if (!m) return null;
    var found = null;
    try { found = decodeURIComponent(m[1]); } catch (err) { found = null; }
    try { history.replaceState(null, '', location.pathname + location.search); } catch (err) { location.hash = ''; }
    return found;
  }
  staffToken = staffFromFragment();
  if (staffToken) saveStaff(staffToken);
  else { var s = store(); try { staffToken = s ? s.getItem(STAFF_KEY) : null; } catch (err) { staffToken = null; } }

  function pad(n) { return (n < 10 ? '0' : '') + n; }
  function clock(date) { return pad(date.getHours()) + ':' + pad(date.getMinutes()) + ':' + pad(date.getSeconds()); }

  function api(path) {
    return C.api('GET', C.eventPath(eid, path), staffToken ? { token: staffToken } : {});
  }

  function stop() { if (timer) clearTimeout(timer); timer = null; }
  function schedule() {
    stop();
    if (running && document.visibilityState === 'visible') timer = setTimeout(refresh, REFRESH_MS);
  }

  function nomineeItem(n) {
    var comp = n.companions || { total: 0, checked_in: 0 };
    var where = [
      el('span', { class: 'seat' }, ['座位 ', el('strong', { text: n.seat || '未安排' })])
    ];
    if (comp.total) {
      where.push(el('span', { class: 'comp' }, ['陪同 ', el('strong', { text: comp.checked_in + '/' + comp.total }), ' 到']));
    } else {
      where.push(el('span', { class: 'comp none', text: '无陪同' }));
    }
    return el('li', { class: 'nominee ' + (n.checked_in ? 'in' : 'out'), 'data-rid': n.registration_id }, [
      el('span', { class: 'state', text: n.checked_in ? '已到' : '未到' }),
      el('span', { class: 'who', text: n.name || '（已删除）' }),
      el('span', { class: 'where' }, where)
    ]);
  }

  function render(programme) {
    var box = C.clear($('stage-awards')), jump = C.clear($('stage-jump-list'));
    var awards = programme.awards || [], total = 0, arrived = 0;
    awards.forEach(function (award, index) {
      var nominees = award.nominees || [];
      var inCount = nominees.filter(function (n) { return n.checked_in; }).length;
      total += nominees.length;
      arrived += inCount;
      var id = 'award-' + index, allIn = nominees.length > 0 && inCount === nominees.length;
      var count = el('span', { class: 'award-count' + (allIn ? ' all-in' : ''), text: '已到 ' + inCount + ' / ' + nominees.length });
      var section = el('section', { class: 'award', id: id, 'aria-labelledby': id + '-h' }, [
        el('h2', { id: id + '-h', tabindex: '-1' }, [el('span', { text: award.name }), count])
      ]);
      if (award.slots && nominees.length > award.slots) {
        section.appendChild(el('p', { class: 'award-note', text: '候选人 ' + nominees.length + ' 位，多于名额 ' + award.slots + ' 位' }));
      } else if (award.slots && nominees.length < award.slots) {
        section.appendChild(el('p', { class: 'award-note', text: '名额 ' + award.slots + ' 位，已登记候选人 ' + nominees.length + ' 位' }));
      }
      if (nominees.length) {
        section.appendChild(el('ol', { class: 'nominees' }, nominees.map(nomineeItem)));
      } else {
        section.appendChild(el('p', { class: 'stage-empty', text: '还没有候选人' }));
      }
      box.appendChild(section);
      jump.appendChild(el('li', {}, [el('a', { href: '#' + id, class: allIn ? 'all-in' : '', text: award.name + ' ' + inCount + '/' + nominees.length })]));
    });
    $('stage-jump').hidden = awards.length < 2;
    $('stage-empty').hidden = awards.length > 0;
    $('stage-total').textContent = total ? '候选人已到 ' + arrived + ' / ' + total : '';
    box.setAttribute('aria-busy', 'false');
  }

  function say(message) { C.show($('stage-error'), message || ''); }

  function refresh() {
    var mine = ++seq;
    stop();
    var calls = [api('/programme')];
    if (!title) calls.push(C.api('GET', C.eventPath(eid, ''), {})); // public: the title
    return Promise.all(calls).then(function (answers) {
      if (mine !== seq || !running) return;
      var answer = answers[0];
      if (answers[1] && answers[1].status === 200) {
        title = answers[1].body.title;
        $('stage-title').textContent = title;
        document.title = '舞台看板 · ' + title;
      }
      if (answer.status === 200) {
        lastOk = new Date();
        say('');
        render(answer.body);
        $('stage-updated').className = 'stage-updated';
        $('stage-updated').textContent = '更新于 ' + clock(lastOk) + '，每 ' + REFRESH_MS / 1000 + ' 秒自动刷新';
      } else if (answer.status === 401 && staffToken) {
        tokenProblem('这条工作人员链接已失效或已被撤销，请向管理员索取新的链接，或用管理员令牌登录。');
        return;
      } else if (answer.status === 401) {
        return; // admin.js signed out and shows the sign-in form
      } else if (answer.status === 403) {
        say('这个令牌不能查看本活动的看板。');
      } else if (answer.status === 404) {
        say('找不到这个活动（' + eid + '）。');
      } else {
        var when = lastOk ? '，下面是 ' + clock(lastOk) + ' 的数据' : '';
        say((answer.status ? C.problem(answer) : '网络连接中断') + when + '，稍后自动重试');
        if (lastOk) {
          $('stage-updated').className = 'stage-updated stale';
          $('stage-updated').textContent = '数据更新于 ' + clock(lastOk) + '（未能刷新）';
        }
      }
      schedule();
    });
  }

  function start() {
    running = true;
    $('board').hidden = false;
    $('stage-token-problem').hidden = true;
    refresh();
  }
  function tokenProblem(message) {
    running = false;
    stop();
    staffToken = null;
    saveStaff(null);
    $('board').hidden = true;
    $('stage-token-msg').textContent = message;
    $('stage-token-problem').hidden = false;
    $('signin').hidden = true;
  }
  $('stage-use-admin').addEventListener('click', function () {
    $('stage-token-problem').hidden = true;
    C.start(start);
  });
  document.addEventListener('visibilitychange', function () {
    if (document.visibilityState === 'visible') { if (running) refresh(); } else stop();
  });
  C.onSignOut(function () { running = false; stop(); $('board').hidden = true; });

  if (staffToken) {
    $('signin').hidden = true;
    start();
  } else {
    C.start(start);
  }
})();
