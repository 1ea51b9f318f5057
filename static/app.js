// Progressive enhancement only: every page works without this file.
// Adds a "Show" toggle to password fields.
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
