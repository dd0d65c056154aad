/* baoming ticket page: cancel with a confirmation step. */
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('page-data').textContent);
  function $(id) { return document.getElementById(id); }
  var cancel = $('cancel'), confirmBox = $('confirm'), yes = $('confirm-yes'), no = $('confirm-no');
  var errorBox = $('cancel-error');
  if (!cancel) return;

  function showError(text) { errorBox.textContent = text; errorBox.hidden = false; }
  cancel.addEventListener('click', function () {
    cancel.hidden = true;
    confirmBox.hidden = false;
    errorBox.hidden = true;
    no.focus();
  });
  no.addEventListener('click', function () {
    confirmBox.hidden = true;
    cancel.hidden = false;
    cancel.focus();
  });
  function cancelled() {
    var status = $('status');
    status.textContent = '已取消';
    status.className = 'status status-cancelled';
    $('status-note').textContent = '此报名已取消，二维码已失效。';
    $('qr-block').hidden = true;
    $('cancel-area').hidden = true;
    $('register-again').hidden = false;
    status.setAttribute('tabindex', '-1');
    status.focus(); // the focused button is gone: the new status is read out instead
  }
  yes.addEventListener('click', function () {
    yes.disabled = true; no.disabled = true;
    yes.textContent = '正在取消…';
    fetch('../tickets/' + encodeURIComponent(data.token) + '/cancel', {
      method: 'POST', credentials: 'same-origin', cache: 'no-store'
    }).then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (body) {
        yes.disabled = false; no.disabled = false; yes.textContent = '确认取消';
        if (res.ok && body.status === 'cancelled') { cancelled(); return; }
        confirmBox.hidden = true;
        if (body.error === 'already_checked_in') { showError('该票已签到，无法取消'); return; }
        cancel.hidden = false;
        cancel.focus();
        showError(body.message || '取消失败，请稍后重试');
      });
    }, function () {
      yes.disabled = false; no.disabled = false; yes.textContent = '确认取消';
      showError('网络不稳定，取消没有完成，请稍后再试');
    });
  });
})();
