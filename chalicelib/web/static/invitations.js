/* baoming console: printable invitations (SPEC §6). One card per confirmed registration, with the
   ticket's QR code; ?role= (or the selector) narrows them to one role. The admin token comes from
   this tab's sessionStorage (admin.js), never from the URL. */
(function () {
  'use strict';
  var C = window.BaomingConsole, $ = C.$, el = C.el, data = C.data;
  var params = new URLSearchParams(location.search);
  var roleSelect = $('inv-role'), cards = $('inv-cards'), status = $('inv-status');

  function when(startsAt) {
    var d = new Date(startsAt);
    if (isNaN(d)) return startsAt;
    return d.toLocaleString('zh-CN', { timeZone: 'Asia/Shanghai', year: 'numeric', month: 'long', day: 'numeric',
      weekday: 'short', hour: '2-digit', minute: '2-digit' });
  }

  function card(sheet, item) {
    return el('article', { class: 'inv-card', 'aria-label': '邀请函：' + item.name }, [
      el('p', { class: 'inv-kicker', text: '诚挚邀请' }),
      el('h2', { class: 'inv-name', text: item.name }),
      el('p', { class: 'inv-role', text: item.role_label + (item.party_size > 1 ? '（' + item.party_size + ' 人）' : '') }),
      el('p', { class: 'inv-seat', text: '座位：' + (item.seat || '现场安排') }),
      el('h3', { class: 'inv-event', text: sheet.title }),
      el('p', { class: 'inv-when', text: '时间：' + when(sheet.starts_at) }),
      el('p', { class: 'inv-venue', text: '地点：' + sheet.venue }),
      el('img', { class: 'inv-qr', src: item.qr_svg_url, alt: item.name + ' 的电子票二维码', width: 180, height: 180 }),
      el('p', { class: 'inv-hint small', text: '入场时出示此二维码' })
    ]);
  }

  function load() {
    var role = roleSelect.value;
    var url = new URL(location.href);
    if (role) url.searchParams.set('role', role); else url.searchParams.delete('role');
    history.replaceState(null, '', url.pathname + url.search);
    C.show(status, '正在读取名单…');
    C.api('GET', C.eventPath(data.event_id, '/invitations'), { query: { role: role } }).then(function (answer) {
      if (answer.status !== 200) { C.show(status, C.problem(answer, '读取名单失败')); return; }
      var sheet = answer.body;
      $('inv-title').textContent = '打印邀请函 · ' + sheet.title;
      C.clear(cards);
      sheet.items.forEach(function (item) { cards.appendChild(card(sheet, item)); });
      C.show(status, sheet.items.length ? '共 ' + sheet.items.length + ' 张邀请函' : '没有已确认的报名者');
    });
  }

  C.start(function () {
    C.api('GET', C.eventPath(data.event_id)).then(function (answer) {
      if (answer.status !== 200) { C.show(status, C.problem(answer, '读取活动失败')); return; }
      answer.body.roles.forEach(function (role) {
        roleSelect.appendChild(el('option', { value: role, text: (data.roles_zh[role] || role) }));
      });
      roleSelect.value = params.get('role') || '';
      load();
    });
  });
  roleSelect.addEventListener('change', load);
  $('inv-print').addEventListener('click', function () { window.print(); });
})();
