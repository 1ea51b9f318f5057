// Progressive enhancement only: every page works without this file.
// Adds a "Show" toggle to password fields, and keeps a form from being
// sent twice.
document.querySelectorAll('input[type="password"]').forEach(function (input) {
  var button = document.createElement('button');
  button.type = 'button';
  button.className = 'reveal';
  button.textContent = 'Show';
  button.setAttribute('aria-controls', input.id);
  button.setAttribute('aria-pressed', 'false');
  button.setAttribute('aria-label', 'Show password');
  button.addEventListener('click', function () {
    var show = input.type === 'password';
    input.type = show ? 'text' : 'password';
    button.textContent = show ? 'Hide' : 'Show';
    button.setAttribute('aria-pressed', String(show));
    button.setAttribute('aria-label', show ? 'Hide password' : 'Show password');
  });
  var wrap = document.createElement('div');
  wrap.className = 'reveal-wrap';
  input.parentNode.insertBefore(wrap, input);
  wrap.appendChild(input);
  wrap.appendChild(button);
});

// A submit button is disabled while its form is being sent, so a second
// click does not send it twice. It is disabled only after the browser has
// read the form (a disabled button's name and value would not be sent),
// and enabled again when the page comes back from the back-forward cache.
document.addEventListener('submit', function (event) {
  var form = event.target;
  if (event.defaultPrevented) return;
  if (form.hasAttribute('data-sending')) {
    event.preventDefault();
    return;
  }
  form.setAttribute('data-sending', '');
  setTimeout(function () {
    Array.prototype.forEach.call(form.elements, function (el) {
      if (el.type === 'submit' && !el.disabled) {
        el.disabled = true;
        el.setAttribute('data-sending', '');
      }
    });
  }, 0);
});
window.addEventListener('pageshow', function () {
  document.querySelectorAll('[data-sending]').forEach(function (el) {
    el.removeAttribute('data-sending');
    if (el.type === 'submit') el.disabled = false;
  });
});
