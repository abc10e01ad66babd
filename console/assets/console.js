// Postgate console: the selection bar of the unposted invoices and the live progress of a
// posting run. Plain JavaScript, no libraries; the pages work without it (the server checks all).
(function () {
  'use strict';

  function one(selector, root) { return (root || document).querySelector(selector); }
  function all(selector, root) { return Array.prototype.slice.call((root || document).querySelectorAll(selector)); }

  // Money is summed exactly: decimal strings as integers at six decimals.
  var SCALE = 6;
  function units(text) {
    var negative = text.charAt(0) === '-';
    if (negative) { text = text.slice(1); }
    var parts = text.split('.');
    var fraction = (parts[1] || '').slice(0, SCALE);
    while (fraction.length < SCALE) { fraction += '0'; }
    var value = BigInt(parts[0] || '0') * BigInt(10 ** SCALE) + BigInt(fraction);
    return negative ? -value : value;
  }
  // Written as the server writes money (ConsoleFormat.money): exact, at least two decimals,
  // thousands grouped with commas. The rule is the platform's en-US number format, given the
  // exact decimal text (Intl formats a string without going through a float).
  var MONEY = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: SCALE, useGrouping: true });
  function money(value) {
    var negative = value < 0n;
    var text = (negative ? -value : value).toString().padStart(SCALE + 1, '0');
    var exact = (negative ? '-' : '') + text.slice(0, text.length - SCALE) + '.' + text.slice(text.length - SCALE);
    return MONEY.format(exact);
  }

  function selectionBar() {
    var form = one('#selection');
    var button = one('#post-button');
    if (!form || !button) { return; }
    var rows = all('tbody tr[data-id]', form);
    var pageBox = one('#select-page');
    var allBox = one('#select-all');
    var tip = one('#post-tip');
    var list = one('#post-reasons');
    var labels = {};
    all('#reason-labels li').forEach(function (li) { labels[li.getAttribute('data-code')] = li.textContent; });

    function plural(count) { return count + ' invoice' + (count === 1 ? '' : 's'); }

    function update() {
      var everything = allBox && allBox.checked;
      var count = 0;
      var totals = {};
      var reasons = {};
      var totalsText = '';
      rows.forEach(function (row) {
        var box = one('input[name=id]', row);
        var chosen = everything || (box && box.checked);
        row.classList.toggle('selected', !!chosen);
        if (!chosen || everything) { return; }
        count += 1;
        var currency = row.getAttribute('data-currency');
        totals[currency] = (totals[currency] || 0n) + units(row.getAttribute('data-total'));
        (row.getAttribute('data-reasons') || '').split(' ').filter(Boolean).forEach(function (code) {
          reasons[code] = (reasons[code] || 0) + 1;
        });
      });
      if (everything) {
        count = Number(allBox.getAttribute('data-count'));
        totalsText = allBox.getAttribute('data-totals').trim().replace(/\s{2,}/g, ' · ');
        all('#all-reasons li').forEach(function (li) {
          reasons[li.getAttribute('data-code')] = Number(li.getAttribute('data-count'));
        });
      } else {
        totalsText = Object.keys(totals).sort().map(function (currency) { return money(totals[currency]) + ' ' + currency; }).join(' · ');
      }
      one('#sel-count').textContent = String(count);
      one('#sel-totals').textContent = totalsText ? ' · ' + totalsText : '';

      var lines = Object.keys(reasons).sort().map(function (code) {
        return (labels[code] || code) + ' (' + plural(reasons[code]) + ')';
      });
      if (everything && allBox.getAttribute('data-evaluated') !== 'yes') {
        lines = [];
      }
      list.textContent = '';
      lines.forEach(function (line) {
        var li = document.createElement('li');
        li.textContent = line;
        list.appendChild(li);
      });
      var why = count === 0 ? ['Select the invoices to post.'] : lines;
      if (why.length > 0) {
        button.setAttribute('aria-disabled', 'true');
        button.title = 'Post is not possible:\n' + why.join('\n');
        tip.textContent = button.title;
      } else {
        button.removeAttribute('aria-disabled');
        button.title = 'Preview the posting of ' + plural(count);
        tip.textContent = '';
        tip.hidden = true;
      }
    }

    function showTip() { if (button.getAttribute('aria-disabled') === 'true') { tip.hidden = false; } }
    function hideTip() { tip.hidden = true; }
    button.addEventListener('focus', showTip);
    button.addEventListener('mouseenter', showTip);
    button.addEventListener('blur', hideTip);
    button.addEventListener('mouseleave', hideTip);
    document.addEventListener('keydown', function (event) { if (event.key === 'Escape') { hideTip(); } });

    form.addEventListener('submit', function (event) {
      if (event.submitter === button && button.getAttribute('aria-disabled') === 'true') {
        event.preventDefault();
        showTip();
      }
    });
    form.addEventListener('change', function (event) {
      var target = event.target;
      if (target === pageBox) {
        rows.forEach(function (row) { var box = one('input[name=id]', row); if (box) { box.checked = pageBox.checked; } });
        if (!pageBox.checked && allBox) { allBox.checked = false; }
      } else if (target === allBox) {
        if (allBox.checked) {
          rows.forEach(function (row) { var box = one('input[name=id]', row); if (box) { box.checked = true; } });
          if (pageBox) { pageBox.checked = true; }
        }
      } else if (target.name === 'id' && !target.checked) {
        if (allBox) { allBox.checked = false; }
        if (pageBox) { pageBox.checked = false; }
      }
      update();
    });
    update();
  }

  function runProgress() {
    var run = one('#run');
    if (!run || run.getAttribute('data-status') !== 'running') { return; }
    var token = run.getAttribute('data-token');
    var bar = one('#run-progress');
    var status = one('#run-status');
    function poll() {
      fetch('/console/runs/' + token + '/progress', { credentials: 'same-origin', headers: { Accept: 'application/json' } })
        .then(function (response) { return response.json(); })
        .then(function (progress) {
          bar.max = progress.total;
          bar.value = progress.done;
          one('#run-posted').textContent = progress.posted;
          one('#run-already').textContent = progress.alreadyPosted;
          one('#run-not-posted').textContent = progress.notPosted;
          if (progress.status === 'running') {
            status.textContent = 'Posting… ' + progress.done + ' of ' + progress.total + ' done.';
            window.setTimeout(poll, 300);
          } else {
            window.location.reload();
          }
        })
        .catch(function () { window.setTimeout(poll, 1000); });
    }
    window.setTimeout(poll, 200);
  }

  // A button marked aria-disabled stays focusable (so that its reasons can be read) but does not submit.
  document.addEventListener('submit', function (event) {
    if (event.submitter && event.submitter.getAttribute('aria-disabled') === 'true') { event.preventDefault(); }
  });

  document.addEventListener('DOMContentLoaded', function () {
    selectionBar();
    runProgress();
  });
}());
