// The console's one script, served as a file (the CSP allows script-src 'self' only, nothing inline). Everything it
// does is an extra: pages work without it. It copies values (and says so in the live region), shows times in the
// viewer's time zone beside UTC, and tells forms that zone so a typed date means the viewer's local time.
export const SCRIPT = `'use strict';
(function () {
  var zone = '';
  try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone || ''; } catch (error) { zone = ''; }

  function announce(text) {
    var region = document.getElementById('announcer');
    if (!region) return;
    region.textContent = '';
    // A change after a moment: screen readers announce a region's new text, not a repeat of the same.
    setTimeout(function () { region.textContent = text; }, 60);
  }

  document.addEventListener('click', function (event) {
    var button = event.target instanceof Element ? event.target.closest('[data-copy-target]') : null;
    if (!button) return;
    var source = document.getElementById(button.getAttribute('data-copy-target'));
    if (!source) return;
    var label = button.querySelector('.copy-label') || button;
    var what = button.getAttribute('data-copy-what') || 'value';
    var original = label.getAttribute('data-label') || label.textContent;
    label.setAttribute('data-label', original);
    function show(text, spoken) {
      label.textContent = text;
      announce(spoken);
      setTimeout(function () { label.textContent = original; }, 2000);
    }
    function selectSource() {
      var range = document.createRange();
      range.selectNodeContents(source);
      var selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
    }
    var text = source.textContent.trim();
    var spokenWhat = what.charAt(0).toUpperCase() + what.slice(1);
    function failed() { selectSource(); show('Press Ctrl+C', 'Could not copy. The ' + what + ' is selected: press Ctrl+C to copy it.'); }
    if (!navigator.clipboard) { failed(); return; }
    navigator.clipboard.writeText(text).then(function () { show('Copied', spokenWhat + ' copied to the clipboard.'); }, failed);
  });

  function two(value) { return (value < 10 ? '0' : '') + value; }
  function wallClock(date) {
    return date.getFullYear() + '-' + two(date.getMonth() + 1) + '-' + two(date.getDate()) + 'T' + two(date.getHours()) + ':' + two(date.getMinutes());
  }

  function localTimes() {
    var format;
    try {
      format = new Intl.DateTimeFormat('en-US', { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZoneName: 'shortOffset' });
    } catch (error) { return; }
    document.querySelectorAll('time[datetime]').forEach(function (time) {
      var at = new Date(time.getAttribute('datetime'));
      if (isNaN(at.getTime()) || at.getTimezoneOffset() === 0) return;
      var parts = {};
      format.formatToParts(at).forEach(function (part) { parts[part.type] = part.value; });
      var local = document.createElement('span');
      local.className = 'local-time';
      local.title = 'Your time zone' + (zone ? ' (' + zone + ')' : '');
      local.textContent = parts.year + '-' + parts.month + '-' + parts.day + ' ' + parts.hour + ':' + parts.minute + ' ' + parts.timeZoneName;
      time.classList.add('beside');
      time.parentNode.insertBefore(local, time);
      time.parentNode.insertBefore(document.createTextNode(' '), time);
    });
  }

  function zonedForms() {
    if (!zone) return;
    document.querySelectorAll('input[type="hidden"][name="timeZone"]').forEach(function (field) {
      var form = field.form;
      var date = form && form.querySelector('input[type="datetime-local"][data-utc-value]');
      if (date && date.value === date.getAttribute('data-utc-value')) {
        var at = new Date(date.value + ':00Z');
        if (!isNaN(at.getTime())) date.value = wallClock(at);
      }
      field.value = zone;
      if (form) form.querySelectorAll('[data-time-zone-label]').forEach(function (label) { label.textContent = 'your time zone (' + zone + ')'; });
    });
    document.querySelectorAll('input[type="datetime-local"]').forEach(function (date) {
      date.addEventListener('input', function () {
        var custom = date.form && date.form.querySelector('input[name="expiry"][value="custom"]');
        if (custom) custom.checked = true;
      });
    });
  }

  localTimes();
  zonedForms();
})();
`;
