/* baoming console, /admin: the event list (newest first, live counts) and 新建活动. */
(function () {
  'use strict';
  var C = window.BaomingConsole, $ = C.$, el = C.el;
  var REFRESH_MS = 15000;
  var list = $('event-list'), more = $('more-events'), status = $('list-status'), listError = $('list-error');
  var createCard = $('create-card'), newButton = $('new-event');
  var cursor = null, loaded = 0, timer = null, generation = 0;

  function eventHref(eid) { return C.root + 'admin/events/' + encodeURIComponent(eid); }

  function counts(event) {
    var c = event.counts || {};
    return [
      ['已确认', (c.seats_confirmed || 0) + ' / ' + event.capacity],
      ['剩余', c.seats_remaining === undefined ? '–' : c.seats_remaining],
      ['候补', c.waitlisted || 0],
      ['已签到', c.checked_in || 0]
    ];
  }
  function statsList(event) {
    return el('dl', { class: 'mini-stats', 'data-counts': '' }, counts(event).map(function (pair) {
      return el('div', {}, [el('dt', { text: pair[0] }), el('dd', { text: String(pair[1]) })]);
    }));
  }
  function row(event) {
    var headingId = 'ev-' + event.event_id;
    return el('li', { class: 'event-card', 'data-event': event.event_id }, [
      el('p', { class: 'eyebrow', text: C.kindLabel(event.kind) + ' · ' + event.event_id }),
      el('h2', { id: headingId }, [el('a', { href: eventHref(event.event_id), text: event.title })]),
      el('p', { class: 'muted small', text: C.fmtRange(event.starts_at, event.ends_at) + ' · ' + event.venue }),
      statsList(event)
    ]);
  }
  function summary() {
    status.textContent = loaded ? '共 ' + loaded + ' 个活动' + (cursor ? '（还有更多）' : '') : '还没有活动。点“新建活动”开始。';
  }

  function load(reset) {
    var mine = reset ? ++generation : generation;
    if (reset) { cursor = null; loaded = 0; }
    C.show(listError, '');
    more.disabled = true;
    return C.api('GET', 'events', { query: { limit: 50, cursor: reset ? null : cursor } }).then(function (answer) {
      if (mine !== generation) return;
      more.disabled = false;
      if (answer.status !== 200) { if (answer.status !== 401) C.show(listError, C.problem(answer)); return; }
      if (reset) C.clear(list);
      (answer.body.items || []).forEach(function (event) { list.appendChild(row(event)); });
      loaded += (answer.body.items || []).length;
      cursor = answer.body.next_cursor || null;
      more.hidden = !cursor;
      summary();
    });
  }
  more.addEventListener('click', function () { load(false); });

  /* Live counts: the first page again (as many as shown, up to 100), counts updated in place. */
  function refreshCounts() {
    if (document.visibilityState !== 'visible' || !C.token()) return;
    C.api('GET', 'events', { query: { limit: Math.min(Math.max(loaded, 1), 100) } }).then(function (answer) {
      if (answer.status !== 200) return;
      var known = 0;
      (answer.body.items || []).forEach(function (event) {
        var item = list.querySelector('[data-event="' + event.event_id + '"]');
        if (!item) return;
        known += 1;
        item.replaceChild(statsList(event), item.querySelector('[data-counts]'));
      });
      if (!known && answer.body.items && answer.body.items.length) load(true); // the list changed under us
    });
  }
  function startTimer() { stopTimer(); timer = setInterval(refreshCounts, REFRESH_MS); }
  function stopTimer() { if (timer) clearInterval(timer); timer = null; }
  document.addEventListener('visibilitychange', function () {
    if (document.visibilityState === 'visible' && C.token()) { refreshCounts(); startTimer(); } else stopTimer();
  });

  // --- 新建活动 ---
  function openCreate(open) {
    createCard.hidden = !open;
    newButton.setAttribute('aria-expanded', open ? 'true' : 'false');
    if (open) { form.reset(); $('create-title').focus(); createCard.scrollIntoView({ block: 'start' }); }
    else newButton.focus();
  }
  var form = C.eventForm({
    onSaved: function (event) {
      // The new event's own page: its links, gates and attendees are what comes next.
      location.assign(eventHref(event.event_id));
    },
    onClose: function () { openCreate(false); }
  });
  newButton.addEventListener('click', function () { openCreate(createCard.hidden); });

  C.onSignOut(function () { stopTimer(); C.clear(list); createCard.hidden = true; });
  C.start(function () { load(true); startTimer(); });
})();
