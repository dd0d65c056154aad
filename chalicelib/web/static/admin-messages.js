/* baoming console: the texts sent to one registration (SPEC §7) — kind, status, attempts, when,
   the last error — with 重发 for a text that failed. Opened from a row of 报名名单. */
(function () {
  'use strict';
  var C = window.BaomingConsole, el = C.el;
  function button(id, klass, label) { return el('button', { type: 'button', id: id, class: 'btn ' + klass, text: label }); }
  var tbody = el('tbody');
  var who = el('p', { class: 'muted' });
  var note = el('p', { class: 'notice', role: 'status', hidden: 'hidden' });
  var closeButton = button('messages-close', 'btn-ghost', '关闭');
  var head = ['类型', '状态', '尝试', '时间', '操作'].map(function (label) {
    return el('th', { scope: 'col', class: label === '尝试' ? 'num' : '', text: label });
  });
  var dialog = el('dialog', { class: 'dialog dialog-wide', id: 'messages-dialog', 'aria-labelledby': 'messages-title' }, [
    el('h2', { id: 'messages-title', class: 'plain', text: '短信记录' }),
    who,
    el('div', { class: 'table-wrap' }, [el('table', { class: 'data', id: 'messages-table' }, [
      el('caption', { class: 'sr-only', text: '发给该报名的短信' }), el('thead', {}, [el('tr', {}, head)]), tbody
    ])]),
    note,
    el('div', { class: 'dialog-actions dialog-actions-one' }, [closeButton])
  ]);
  note.id = 'messages-note';
  document.body.appendChild(dialog);
  var KINDS = { ticket: '电子票', promoted: '候补转正', recovery: '找回电子票', code: '验证码' };
  var STATUS = { queued: '待发送', sent: '已发送', failed: '发送失败' };
  var current = null, opener = null;

  function path(rest) { return C.eventPath(C.data.event_id, rest); }
  function render(items) {
    C.clear(tbody);
    if (!items.length) {
      tbody.appendChild(el('tr', { class: 'empty' }, [el('td', { colspan: '5', text: '还没有短信' })]));
      return;
    }
    items.forEach(function (m) {
      var when = m.sent_at ? '发送于 ' + C.fmtTime(m.sent_at) : '创建于 ' + C.fmtTime(m.created_at);
      var status = [el('span', { class: 'badge badge-msg-' + m.status, text: STATUS[m.status] || m.status })];
      if (m.error && m.status !== 'sent') status.push(el('span', { class: 'rid', text: m.error }));
      var action = m.status === 'failed'
        ? el('button', { type: 'button', class: 'btn btn-sm btn-ghost', 'data-mid': m.message_id,
          'aria-label': '重发' + (KINDS[m.kind] || m.kind) + '短信', text: '重发' })
        : el('span', { class: 'muted', text: '—' });
      tbody.appendChild(el('tr', {}, [
        el('th', { scope: 'row', text: KINDS[m.kind] || m.kind }),
        el('td', {}, status),
        el('td', { class: 'num', text: String(m.attempts) }),
        el('td', { text: when }),
        el('td', {}, [action])
      ]));
    });
  }
  function load() {
    return C.api('GET', path('/messages'), { query: { registration_id: current } }).then(function (answer) {
      if (answer.status === 200) render(answer.body.items || []);
      else if (answer.status !== 401) C.show(note, C.problem(answer));
    });
  }
  function close() {
    if (dialog.open) dialog.close();
    if (opener && opener.focus && document.contains(opener)) opener.focus();
  }
  tbody.addEventListener('click', function (ev) {
    var button = ev.target.closest ? ev.target.closest('button[data-mid]') : null;
    if (!button) return;
    button.disabled = true;
    C.api('POST', path('/messages/' + encodeURIComponent(button.getAttribute('data-mid')) + '/retry')).then(function (answer) {
      C.show(note, answer.status === 200 ? '已重新排队，稍后发送' : C.problem(answer));
      load();
    });
  });
  closeButton.addEventListener('click', close);
  dialog.addEventListener('cancel', function (ev) { ev.preventDefault(); close(); });

  window.BaomingMessages = {
    show: function (rid, name) {
      current = rid;
      opener = document.activeElement;
      who.textContent = name;
      C.show(note, '');
      C.clear(tbody);
      if (dialog.showModal) dialog.showModal(); else dialog.setAttribute('open', '');
      closeButton.focus();
      return load();
    }
  };
})();
