/* Registration form, SMS (SPEC §7): 获取验证码 (60 s countdown), 找回电子票. */
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('page-data').textContent);
  var form = document.getElementById('reg-form');
  if (!form) return;
  var COUNTDOWN = 60;

  function phone() {
    var el = form.elements.namedItem('phone');
    return el ? String(el.value || '').trim() : '';
  }
  function post(path, body) {
    return fetch('../events/' + encodeURIComponent(data.event_id) + '/' + path, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
      credentials: 'same-origin',
      cache: 'no-store'
    }).then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (json) {
        return { status: res.status, body: json || {}, retryAfter: parseInt(res.headers.get('Retry-After'), 10) || 0 };
      });
    });
  }
  function failure(answer) {
    var fields = answer.body.fields || {};
    if (answer.status === 429) return '请求过于频繁，请 ' + (answer.retryAfter || COUNTDOWN) + ' 秒后再试';
    if (answer.status === 422) return (fields.phone || ['请先填写正确的 11 位手机号']).join('；');
    return answer.body.message || '发送失败，请稍后重试';
  }

  var sendCode = document.getElementById('send-code');
  var codeStatus = document.getElementById('code-status');
  var timer = null;
  function countdown(seconds) {
    clearInterval(timer);
    var left = seconds;
    sendCode.disabled = true;
    sendCode.textContent = '重新获取（' + left + ' 秒）';
    timer = setInterval(function () {
      left -= 1;
      if (left <= 0) {
        clearInterval(timer);
        sendCode.disabled = false;
        sendCode.textContent = sendCode.getAttribute('data-label');
        return;
      }
      sendCode.textContent = '重新获取（' + left + ' 秒）';
    }, 1000);
  }
  if (sendCode) {
    sendCode.addEventListener('click', function () {
      if (!/1[3-9](\D*\d){9}/.test(phone())) {
        codeStatus.textContent = '请先填写正确的 11 位手机号';
        return;
      }
      sendCode.disabled = true;
      codeStatus.textContent = '正在发送…';
      post('phone-codes', { phone: phone() }).then(function (answer) {
        if (answer.status === 202) {
          codeStatus.textContent = '验证码已发送，请查收短信';
          countdown(COUNTDOWN);
          var input = document.getElementById('f-phone_code');
          if (input) input.focus();
          return;
        }
        codeStatus.textContent = failure(answer);
        if (answer.status === 429) countdown(Math.min(answer.retryAfter || COUNTDOWN, 3600));
        else sendCode.disabled = false;
      }, function () {
        sendCode.disabled = false;
        codeStatus.textContent = '网络不稳定，验证码没有发出，请重试';
      });
    });
  }

  var recover = document.getElementById('recover');
  var recoveryStatus = document.getElementById('recovery-status');
  if (recover) {
    recover.addEventListener('click', function () {
      recover.disabled = true;
      recoveryStatus.textContent = '正在发送…';
      post('ticket-recovery', { phone: phone() }).then(function (answer) {
        if (answer.status === 202) {
          recoveryStatus.textContent = '如果该手机号已报名本活动，电子票链接将通过短信发送到这个号码，请留意查收。';
          return;
        }
        recover.disabled = false;
        recoveryStatus.textContent = failure(answer);
      }, function () {
        recover.disabled = false;
        recoveryStatus.textContent = '网络不稳定，请重试';
      });
    });
  }
})();
