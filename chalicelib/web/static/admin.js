/* baoming console, shared core: the admin token (this tab's sessionStorage only), API calls with
   the bearer header, sign-in / sign-out, DOM and time helpers, the event form, the confirmation
   dialog. The page scripts (admin-list.js, admin-event.js) build on window.BaomingConsole. */
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('page-data').textContent);
  var ROOT = data.root;
  var TOKEN_KEY = 'baoming:admin-token';
  var memoryToken = null;
  var C = window.BaomingConsole = { data: data, root: ROOT };

  function $(id) { return document.getElementById(id); }
  C.$ = $;

  /* el('p', {class: 'x', text: '…'}, [children]): text always goes in as text, never as markup. */
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      var v = attrs[key];
      if (v === null || v === undefined || v === false) return;
      if (key === 'text') node.textContent = String(v);
      else if (key === 'class') node.className = v;
      else if (key === 'dataset') Object.keys(v).forEach(function (k) { node.dataset[k] = v[k]; });
      else node.setAttribute(key, v === true ? '' : String(v));
    });
    (children || []).forEach(function (child) {
      if (child === null || child === undefined || child === false) return;
      node.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
    });
    return node;
  }
  C.el = el;
  C.clear = function (node) { while (node.firstChild) node.removeChild(node.firstChild); return node; };
  C.show = function (node, text) { node.textContent = text; node.hidden = !text; };

  // --- the token: sessionStorage of this tab, never a URL, cookie or localStorage ---
  function session() { try { return window.sessionStorage; } catch (err) { return null; } }
  C.token = function () {
    var s = session(), value = null;
    try { value = s && s.getItem(TOKEN_KEY); } catch (err) { value = null; }
    return value || memoryToken;
  };
  function saveToken(value) {
    memoryToken = value;
    var s = session();
    try {
      if (!s) return;
      if (value) s.setItem(TOKEN_KEY, value); else s.removeItem(TOKEN_KEY);
    } catch (err) { /* storage refused: the token lives in memory until the page closes */ }
  }

  // --- API ---
  function query(params) {
    var parts = [];
    Object.keys(params || {}).forEach(function (key) {
      var v = params[key];
      if (v === null || v === undefined || v === '') return;
      parts.push(encodeURIComponent(key) + '=' + encodeURIComponent(v));
    });
    return parts.length ? '?' + parts.join('&') : '';
  }
  C.query = query;
  C.eventPath = function (eid, rest) { return 'events/' + encodeURIComponent(eid) + (rest || ''); };

  /* api('GET', 'events', {query, body, token, blob}) → Promise of {status, body, response}.
     A 401 signs the organiser out at once (the token is dropped, the sign-in form shows);
     a network failure is status 0. */
  C.api = function (method, path, options) {
    options = options || {};
    var token = options.token || C.token();
    var headers = { Accept: options.blob ? '*/*' : 'application/json' };
    if (token) headers.Authorization = 'Bearer ' + token;
    var init = { method: method, headers: headers, cache: 'no-store', credentials: 'same-origin' };
    if (options.body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(options.body);
    }
    return fetch(ROOT + path + query(options.query), init).then(function (response) {
      if (response.status === 401 && !options.token) {
        C.signOut('登录已失效或令牌已更换，请重新输入管理员令牌。');
        return { status: 401, body: { message: '请重新登录' }, response: response, signedOut: true };
      }
      if (options.blob && response.ok) {
        return response.blob().then(function (blob) { return { status: response.status, body: blob, response: response }; });
      }
      if (response.status === 204) return { status: 204, body: {}, response: response };
      return response.json().catch(function () { return {}; }).then(function (body) {
        return { status: response.status, body: body || {}, response: response };
      });
    }, function () {
      return { status: 0, body: {}, response: null };
    });
  };

  /* A sentence for an error answer that has no better place. */
  C.problem = function (answer, fallback) {
    if (!answer.status) return '网络连接失败，请检查网络后重试。';
    if (answer.body && answer.body.message) return answer.body.message;
    if (answer.status === 403) return '没有权限执行此操作。';
    if (answer.status === 404) return '找不到该项目（可能已被删除）。';
    if (answer.status >= 500) return '服务器暂时不可用，请稍后重试。';
    return fallback || ('操作失败（' + answer.status + '）');
  };

  // --- sign-in / sign-out ---
  var started = null, onSignedOut = [];
  C.onSignOut = function (fn) { onSignedOut.push(fn); };
  function authAreas(on) {
    var areas = document.querySelectorAll('[data-auth]');
    for (var i = 0; i < areas.length; i++) areas[i].hidden = !on;
    $('sign-out').hidden = !on;
    $('signin').hidden = on;
  }
  C.signOut = function (message) {
    saveToken(null);
    onSignedOut.forEach(function (fn) { fn(); });
    authAreas(false);
    C.show($('signin-notice'), message || '');
    var input = $('admin-token');
    input.value = '';
    if (message) input.focus();
  };
  function signedIn() {
    authAreas(true);
    C.show($('signin-notice'), '');
    if (started) started();
  }
  /* start(fn): fn runs once signed in (at once when this tab already holds a token). */
  C.start = function (fn) {
    started = fn;
    if (C.token()) signedIn();
    else authAreas(false);
  };
  $('sign-out').addEventListener('click', function () {
    C.signOut('');
    C.show($('signin-notice'), '已退出。');
    $('admin-token').focus();
  });
  $('signin-form').addEventListener('submit', function (ev) {
    ev.preventDefault();
    var input = $('admin-token'), error = $('signin-error'), button = $('signin-submit');
    var token = input.value.trim();
    C.show(error, '');
    input.removeAttribute('aria-invalid');
    if (!token) {
      C.show(error, '请粘贴管理员令牌');
      input.setAttribute('aria-invalid', 'true');
      input.focus();
      return;
    }
    button.disabled = true;
    button.textContent = '验证中…';
    C.api('GET', 'events', { query: { limit: 1 }, token: token }).then(function (answer) {
      button.disabled = false;
      button.textContent = '登录';
      if (answer.status === 200) {
        saveToken(token);
        input.value = '';
        signedIn();
        return;
      }
      input.setAttribute('aria-invalid', 'true');
      C.show(error, answer.status === 401 ? '令牌不正确，请检查后重新粘贴' : C.problem(answer, '无法验证令牌，请稍后重试'));
      input.focus();
    });
  });

  // --- times: shown and entered in Beijing time (Asia/Shanghai, UTC+8, no DST) ---
  var EIGHT_HOURS = 8 * 3600 * 1000;
  function shanghai(iso) {
    var ms = Date.parse(iso);
    return isNaN(ms) ? null : new Date(ms + EIGHT_HOURS).toISOString();
  }
  C.toLocalInput = function (iso) { var s = iso ? shanghai(iso) : null; return s ? s.slice(0, 16) : ''; };
  C.fromLocalInput = function (value) {
    if (!value) return null;
    if (/^\d{4}-\d\d-\d\dT\d\d:\d\d$/.test(value)) return value + ':00+08:00';
    if (/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?$/.test(value)) return value.slice(0, 19) + '+08:00';
    return value;
  };
  C.fmtTime = function (iso, seconds) {
    var s = iso ? shanghai(iso) : null;
    return s ? s.slice(0, 10) + ' ' + s.slice(11, seconds ? 19 : 16) : '';
  };
  C.fmtClock = function (iso) { var s = iso ? shanghai(iso) : null; return s ? s.slice(11, 16) : ''; };
  C.fmtRange = function (starts, ends) {
    var a = C.fmtTime(starts), b = C.fmtTime(ends);
    if (!b) return a;
    return a + ' – ' + (a.slice(0, 10) === b.slice(0, 10) ? b.slice(11) : b);
  };
  C.roleLabel = function (role) { return (data.roles_zh && data.roles_zh[role]) || role || ''; };
  C.kindLabel = function (kind) { return (data.kinds && data.kinds[kind]) || kind || ''; };

  // --- copy buttons: <button data-copy="input-id"> ---
  document.addEventListener('click', function (ev) {
    var button = ev.target.closest ? ev.target.closest('[data-copy]') : null;
    if (!button) return;
    var input = $(button.getAttribute('data-copy'));
    var label = button.textContent;
    function done(ok) {
      button.textContent = ok ? '已复制' : '请手动复制';
      setTimeout(function () { button.textContent = label; }, 1500);
    }
    input.select();
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(input.value).then(function () { done(true); }, function () {
        var ok = false;
        try { ok = document.execCommand('copy'); } catch (err) { ok = false; }
        done(ok);
      });
    } else {
      var ok = false;
      try { ok = document.execCommand('copy'); } catch (err) { ok = false; }
      done(ok);
    }
  });

  // --- the confirmation dialog: confirm({title, text, ok}) → Promise<boolean> ---
  C.confirm = function (options) {
    var dialog = $('confirm-dialog'), okButton = $('confirm-ok'), back = $('confirm-back');
    var opener = document.activeElement;
    $('confirm-title').textContent = options.title;
    $('confirm-text').textContent = options.text;
    okButton.textContent = options.ok || '确认';
    return new Promise(function (resolve) {
      function finish(answer) {
        okButton.removeEventListener('click', yes);
        back.removeEventListener('click', no);
        dialog.removeEventListener('cancel', no);
        if (dialog.open) dialog.close();
        if (opener && opener.focus && document.contains(opener)) opener.focus();
        resolve(answer);
      }
      function yes() { finish(true); }
      function no(ev) { if (ev) ev.preventDefault(); finish(false); }
      okButton.addEventListener('click', yes);
      back.addEventListener('click', no);
      dialog.addEventListener('cancel', no);
      if (dialog.showModal) dialog.showModal(); else dialog.setAttribute('open', '');
      back.focus();
    });
  };

  // --- field errors (the same pattern as the registration form) ---
  C.fieldErrors = function (form, formError) {
    function clear() {
      var shown = form.querySelectorAll('.error');
      for (var i = 0; i < shown.length; i++) { shown[i].textContent = ''; shown[i].hidden = true; }
      var marked = form.querySelectorAll('[aria-invalid]');
      for (i = 0; i < marked.length; i++) marked[i].removeAttribute('aria-invalid');
      C.show(formError, '');
    }
    function show(fields, message) {
      var unplaced = [], first = null;
      Object.keys(fields || {}).forEach(function (path) {
        var container = null, parts = path.split('.'); // the most specific: "questions.2.options", else "questions"
        for (; parts.length && !container; parts.pop()) container = form.querySelector('[data-field="' + parts.join('.').replace(/["\\]/g, '') + '"]');
        var box = container && container.querySelector('.error');
        var messages = [].concat(fields[path]);
        if (!box) { unplaced = unplaced.concat(messages); return; }
        box.textContent = (box.textContent ? box.textContent + '；' : '') + messages.join('；');
        box.hidden = false;
        var controls = container.querySelectorAll('input:not([type=hidden]), select, textarea');
        for (var i = 0; i < controls.length; i++) {
          if (!controls[i].disabled) controls[i].setAttribute('aria-invalid', 'true');
        }
        if (!first) first = container;
      });
      C.show(formError, unplaced.length ? unplaced.join('；') : (message || '提交的内容有误，请检查标出的字段'));
      var target = first || formError;
      var control = first && first.querySelector('input:not([disabled]), select, textarea');
      if (target.scrollIntoView) target.scrollIntoView({ block: 'center' });
      if (control) { try { control.focus({ preventScroll: true }); } catch (err) { control.focus(); } }
    }
    return { clear: clear, show: show };
  };

  // The QR encoder (npm qrcode-generator) is fetched once, on first need: gate links, invite links.
  var qrLoading = null;
  C.qrEncoder = function () {
    if (window.qrcode) return Promise.resolve(window.qrcode);
    if (!qrLoading) {
      qrLoading = new Promise(function (resolve, reject) {
        var script = document.createElement('script');
        script.src = data.qr_lib;
        script.onload = function () { resolve(window.qrcode); };
        script.onerror = function () { qrLoading = null; reject(new Error('qr')); };
        document.head.appendChild(script);
      });
    }
    return qrLoading;
  };

  // --- the event form (create on /admin, edit on the event page) ---
  var TIME_FIELDS = ['starts_at', 'ends_at', 'registration_opens_at', 'registration_closes_at'];
  var NUMBER_FIELDS = ['capacity', 'max_party_size', 'retention_days'];
  var CONFLICTS = {
    event_exists: '活动编号已被使用，请换一个或留空自动生成',
    capacity_below_confirmed: '名额不能少于已确认的座位数',
    version_conflict: '活动刚被其他人修改，请刷新后重试'
  };

  /* The award-ceremony parts (admin-awards.js + .css, SPEC §9): loaded when first needed, so the
     console's first load stays as light as before. Resolves with C (rejects if the file can't load). */
  var awardsLoading = null;
  C.awardsModule = function () {
    if (!awardsLoading) {
      awardsLoading = new Promise(function (resolve, reject) {
        var link = document.createElement('link');
        link.rel = 'stylesheet';
        link.href = data.awards_css;
        document.head.appendChild(link);
        var script = document.createElement('script');
        script.src = data.awards_js;
        script.onload = function () { resolve(C); };
        script.onerror = function () { awardsLoading = null; reject(new Error('awards')); };
        document.head.appendChild(script);
      });
    }
    return awardsLoading;
  };

  /* The 报名问题 editor (admin-questions.js + .css, SPEC §6), the same way: loaded on first need. */
  var questionsLoading = null;
  C.questionsModule = function () {
    if (!questionsLoading) {
      questionsLoading = new Promise(function (resolve, reject) {
        document.head.appendChild(C.el('link', { rel: 'stylesheet', href: data.questions_css }));
        var script = C.el('script', { src: data.questions_js });
        script.onload = function () { resolve(C); };
        script.onerror = function () { questionsLoading = null; reject(new Error('questions')); };
        document.head.appendChild(script);
      });
    }
    return questionsLoading;
  };

  /* eventForm({onSaved(event), onClose()}) wires #event-form; returns {fill(event)} for editing. */
  C.eventForm = function (options) {
    var form = $('event-form');
    var mode = form.getAttribute('data-mode');
    var submit = $('event-form-submit'), ok = $('event-form-ok');
    var errors = C.fieldErrors(form, $('event-form-error'));
    var original = null, sending = false;

    function control(name) { return form.querySelector('#ef-' + name); }
    function kind() {
      var picked = form.querySelector('input[name="kind"]:checked');
      return picked ? picked.value : null;
    }
    function showRoles() {
      var groups = form.querySelectorAll('[data-kind]'), current = kind();
      for (var i = 0; i < groups.length; i++) {
        var on = groups[i].getAttribute('data-kind') === current;
        groups[i].hidden = !on;
        var boxes = groups[i].querySelectorAll('input');
        for (var j = 0; j < boxes.length; j++) boxes[j].disabled = !on;
      }
      var only = form.querySelectorAll('[data-kind-only]');
      for (i = 0; i < only.length; i++) only[i].hidden = only[i].getAttribute('data-kind-only') !== current;
    }
    var awards = null, pendingAwards = [];
    function withAwards() {
      return C.awardsModule().then(function () {
        if (!awards) { awards = C.awardsEditor(form); if (awards) awards.fill(pendingAwards); }
        return awards;
      });
    }
    var addAward = form.querySelector('#award-add');
    if (addAward) addAward.addEventListener('click', function () { withAwards().then(function (ed) { if (ed) ed.add(); }, function () {}); });
    var questions = null, pendingQuestions = [];
    function withQuestions() {
      return C.questionsModule().then(function () {
        if (!questions) { questions = C.questionsEditor(form); if (questions) questions.fill(pendingQuestions); }
        return questions;
      });
    }
    var addQuestion = form.querySelector('#question-add');
    if (addQuestion) addQuestion.addEventListener('click', function () { withQuestions().then(function (ed) { if (ed) ed.add(); }, function () {}); });
    var kinds = form.querySelectorAll('input[name="kind"]');
    for (var i = 0; i < kinds.length; i++) kinds[i].addEventListener('change', showRoles);
    showRoles();

    function roles() {
      var boxes = form.querySelectorAll('[data-kind]:not([hidden]) input[name="roles"]'), out = [];
      for (var i = 0; i < boxes.length; i++) if (boxes[i].checked) out.push(boxes[i].value);
      return out;
    }
    // 签到名单 (SPEC §5): lines "编号 名称 身份,…", roles by Chinese name or id.
    function parseLists(text) {
      var ids = {}, zh = data.roles_zh || {};
      Object.keys(zh).forEach(function (id) { ids[zh[id]] = id; });
      return text.split('\n').map(function (line) { return line.trim().split(/\s+/); }).filter(function (p) { return p[0]; })
        .map(function (p) {
          var item = { list_id: p[0], name: p[1] || p[0] }, roles = p.slice(2).join(',').split(/[,，、]/).filter(Boolean);
          if (roles.length) item.roles = roles.map(function (r) { return ids[r] || r; });
          return item;
        });
    }
    function formatLists(lists) {
      return (lists || []).filter(function (l) { return l.roles || l.list_id + l.name !== 'main入场'; }).map(function (l) {
        return [l.list_id, l.name].concat(l.roles ? l.roles.map(C.roleLabel).join(',') : []).join(' ');
      }).join('\n');
    }
    function numberOf(name) {
      var text = control(name).value.trim();
      if (text === '') return undefined;
      var n = Number(text);
      return isFinite(n) && /^-?\d+$/.test(text) ? n : text; // a non-integer goes as typed: the server says why
    }
    function collect() {
      var body = { kind: kind() };
      ['title', 'venue'].forEach(function (name) { body[name] = control(name).value.trim(); });
      TIME_FIELDS.forEach(function (name) { body[name] = C.fromLocalInput(control(name).value); });
      NUMBER_FIELDS.forEach(function (name) { body[name] = numberOf(name); });
      body.waitlist = control('waitlist').checked;
      if (control('verify_phone')) body.verify_phone = control('verify_phone').checked;
      body.roles = roles();
      var lists = parseLists(control('checkin_lists').value);
      body.checkin_lists = lists.length ? lists : [{ list_id: 'main', name: '入场' }];
      if (awards && kind() === 'award_ceremony') {
        body.awards = awards.value();
        if (mode === 'create' && !body.awards.length) delete body.awards;
      }
      if (questions) {
        body.questions = questions.value();
        if (mode === 'create' && !body.questions.length) delete body.questions;
      }
      if (mode === 'create') {
        if (!lists.length) delete body.checkin_lists;
        var eid = control('event_id').value.trim();
        if (eid) body.event_id = eid;
        // Left blank: say nothing, so the server answers "required" or applies its default.
        ['title', 'venue', 'starts_at', 'ends_at', 'registration_opens_at', 'registration_closes_at'].forEach(function (n) {
          if (!body[n]) delete body[n];
        });
        NUMBER_FIELDS.forEach(function (n) { if (body[n] === undefined) delete body[n]; });
      }
      return body;
    }
    function same(name, a, b) {
      if (TIME_FIELDS.indexOf(name) >= 0) {
        if (!a || !b) return !a && !b;
        return Date.parse(a) === Date.parse(b);
      }
      if (name === 'roles') return (a || []).slice().sort().join(',') === (b || []).slice().sort().join(',');
      if (name === 'checkin_lists') return formatLists(a) === formatLists(b);
      if (name === 'awards') return JSON.stringify(a || []) === JSON.stringify(b || []);
      if (name === 'questions') return questions.same(a, b);
      return a === b;
    }
    /* Only what changed, for PATCH. A number left blank goes as null: the server says it's required. */
    function changes() {
      var body = collect(), out = {};
      delete body.kind;
      Object.keys(body).forEach(function (name) {
        var value = body[name];
        if (value === undefined) value = null;
        if (!same(name, value, original[name])) out[name] = value;
      });
      return out;
    }

    function fill(event) {
      original = event;
      var radios = form.querySelectorAll('input[name="kind"]');
      for (var i = 0; i < radios.length; i++) radios[i].checked = radios[i].value === event.kind;
      showRoles();
      control('title').value = event.title || '';
      control('venue').value = event.venue || '';
      control('event_id').value = event.event_id;
      TIME_FIELDS.forEach(function (name) { control(name).value = C.toLocalInput(event[name]); });
      NUMBER_FIELDS.forEach(function (name) { control(name).value = event[name] === null || event[name] === undefined ? '' : event[name]; });
      control('waitlist').checked = !!event.waitlist;
      if (control('verify_phone')) control('verify_phone').checked = !!event.verify_phone;
      var boxes = form.querySelectorAll('input[name="roles"]');
      for (i = 0; i < boxes.length; i++) boxes[i].checked = (event.roles || []).indexOf(boxes[i].value) >= 0;
      control('checkin_lists').value = formatLists(event.checkin_lists);
      pendingAwards = event.awards || [];
      if (awards) awards.fill(pendingAwards);
      pendingQuestions = event.questions || [];
      if (questions) questions.fill(pendingQuestions);
      function filled() { form.removeAttribute('inert'); form.setAttribute('aria-busy', 'false'); }
      if (!questions && pendingQuestions.length) withQuestions().then(filled, filled); // busy until its rows are drawn
      else filled();
    }

    function busy(on) {
      sending = on;
      submit.disabled = on;
      submit.textContent = on ? '提交中…' : submit.getAttribute('data-label');
    }
    function handle(answer, sentCapacity) {
      var body = answer.body || {};
      if (answer.status === 201 || answer.status === 200) {
        if (mode === 'edit') {
          fill(body);
          ok.textContent = '已保存（' + C.fmtClock(new Date().toISOString()) + '）';
        }
        if (options.onSaved) options.onSaved(body);
        return;
      }
      if (answer.status === 422 && body.fields) { errors.show(questions ? questions.explain(body.fields) : body.fields, body.message); return; }
      if (answer.status === 409 && body.error === 'question_in_use' && questions) {
        errors.show({ questions: [questions.inUse(body, original && original.questions)] }, body.message);
        return;
      }
      if (answer.status === 409 && body.error === 'capacity_below_confirmed') {
        errors.show({ capacity: [body.message || CONFLICTS.capacity_below_confirmed] }, body.message);
        return;
      }
      if (answer.status === 409 && body.error === 'event_exists') {
        errors.show({ event_id: [body.message || CONFLICTS.event_exists] }, body.message);
        return;
      }
      C.show($('event-form-error'), C.problem(answer, CONFLICTS[body.error]));
      $('event-form-error').scrollIntoView({ block: 'center' });
    }
    form.addEventListener('submit', function (ev) {
      ev.preventDefault();
      if (sending) return;
      errors.clear();
      ok.textContent = '';
      var request;
      if (mode === 'edit') {
        var patch = changes();
        if (!Object.keys(patch).length) { ok.textContent = '没有需要保存的修改'; return; }
        request = C.api('PATCH', C.eventPath(original.event_id), { body: patch });
      } else {
        request = C.api('POST', 'events', { body: collect() });
      }
      busy(true);
      request.then(function (answer) { busy(false); handle(answer); });
    });
    form.addEventListener('reset', function (ev) {
      errors.clear();
      ok.textContent = '';
      if (mode === 'edit' && original) { ev.preventDefault(); fill(original); return; }
      setTimeout(function () { showRoles(); pendingAwards = []; if (awards) awards.fill([]); pendingQuestions = []; if (questions) questions.fill([]); }, 0); // after the browser put the defaults back
    });
    var close = $('event-form-close');
    if (close) close.addEventListener('click', function () { errors.clear(); if (options.onClose) options.onClose(); });
    return {
      fill: fill,
      reset: function () { form.reset(); },
      focus: function () { control('title').focus(); },
      loadAwards: withAwards
    };
  };
})();
