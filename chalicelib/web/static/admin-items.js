/* baoming console: an event's items (SPEC §8) — filters by state and intent, the museum's list as
   Excel/CSV, a donation certificate per donor. Built on admin.js (window.BaomingConsole). */
(function () {
  'use strict';
  var C = window.BaomingConsole, $ = C.$, el = C.el, data = C.data, eid = data.event_id;
  var table = $('items-table'), body = table.querySelector('tbody');
  var error = $('items-error'), message = $('items-message');

  function say(text) { C.show(message, text); }
  function save(blob, filename) {
    var url = URL.createObjectURL(blob);
    var link = el('a', { href: url, download: filename, hidden: true });
    document.body.appendChild(link);
    link.click();
    document.body.removeChild(link);
    setTimeout(function () { URL.revokeObjectURL(url); }, 60000);
  }
  function fetchFile(path, filename, button, query) {
    var label = button.textContent;
    button.disabled = true; button.textContent = '生成中…';
    C.show(error, '');
    C.api('GET', C.eventPath(eid, path), { blob: true, query: query }).then(function (answer) {
      button.disabled = false; button.textContent = label;
      if (answer.status !== 200 || !(answer.body instanceof Blob)) {
        if (answer.status !== 401) C.show(error, C.problem(answer, '下载失败，请稍后重试'));
        return;
      }
      if ((answer.body.type || '').indexOf('application/json') === 0) {
        answer.body.text().then(function (text) { window.location.assign(JSON.parse(text).download_url); });
        return;
      }
      save(answer.body, filename);
      say('已下载 ' + filename);
    });
  }
  $('dl-xlsx').addEventListener('click', function () { fetchFile('/items.xlsx', eid + '-items.xlsx', $('dl-xlsx'), { delivery: 'link' }); });
  $('dl-csv').addEventListener('click', function () { fetchFile('/items.csv', eid + '-items.csv', $('dl-csv'), { delivery: 'link' }); });

  var asked = 0; // filters changed quickly: only the latest question's answer is drawn
  function load() {
    var mine = ++asked;
    table.setAttribute('aria-busy', 'true');
    C.show(error, '');
    var query = { state: $('state-filter').value, intent: $('intent-filter').value };
    C.api('GET', C.eventPath(eid, '/items'), { query: query }).then(function (answer) {
      if (mine !== asked) return;
      table.setAttribute('aria-busy', 'false');
      if (answer.status !== 200) {
        if (answer.status !== 401) C.show(error, C.problem(answer, '藏品清单加载失败'));
        return;
      }
      render(answer.body.items);
    });
  }
  function render(items) {
    C.clear(body);
    var donors = {};
    items.forEach(function (item) { if (item.state === 'donated') donors[item.registration_id] = true; });
    var certified = {};
    items.forEach(function (item) {
      var cell = el('td');
      if (item.state === 'donated' && !certified[item.registration_id] && item.collector_name) {
        certified[item.registration_id] = true;
        var button = el('button', { type: 'button', class: 'btn btn-ghost btn-sm', text: '下载证书',
          'aria-label': '下载证书：' + item.collector_name });
        button.addEventListener('click', function () {
          fetchFile('/registrations/' + encodeURIComponent(item.registration_id) + '/donation-certificate.pdf',
            eid + '-' + item.registration_id + '-donation-certificate.pdf', button);
        });
        cell.appendChild(button);
      }
      var photo = el('td');
      if (item.photo_url) {
        photo.appendChild(el('a', { href: item.photo_url, target: '_blank', rel: 'noopener' }, [
          el('img', { class: 'item-thumb', src: item.photo_url, alt: '藏品照片：' + item.item_id + ' ' + item.name })
        ]));
      }
      body.appendChild(el('tr', {}, [
        el('td', { text: item.item_id }),
        photo,
        el('td', { text: item.name }),
        el('td', { text: [item.category, item.era].filter(Boolean).join(' / ') }),
        el('td', { text: data.intents_zh[item.intent] || item.intent }),
        el('td', { text: data.states_zh[item.state] || item.state }),
        el('td', { text: item.collector_name || '（已删除）' }),
        el('td', { text: item.recipient || '' }),
        cell
      ]));
    });
    $('items-summary').textContent = '共 ' + items.length + ' 件' + (Object.keys(donors).length ? '，捐赠者 ' + Object.keys(donors).length + ' 位' : '');
    if (!items.length) body.appendChild(el('tr', {}, [el('td', { colspan: '9', class: 'muted', text: '没有符合条件的藏品' })]));
  }
  $('state-filter').addEventListener('change', load);
  $('intent-filter').addEventListener('change', load);

  C.start(function () {
    C.api('GET', C.eventPath(eid)).then(function (answer) {
      if (answer.status === 200) $('ev-title').textContent = answer.body.title;
    });
    load();
  });
})();
