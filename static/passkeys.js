// Passkeys: progressive enhancement only. The server renders the passkey
// parts hidden; this file shows them only where the browser has the
// WebAuthn API, and does the two ceremonies: adding a passkey on
// /settings/passkeys, signing in with one on /login (the button, and the
// browser's autofill on the email field through conditional mediation).
// The server does all the checking (go-webauthn); this only carries the
// options to the browser and the browser's answer back, as JSON.
(function () {
  'use strict';
  if (!window.PublicKeyCredential || !navigator.credentials) return;
  if (window.latchkeyPasskeys) return; // the script may be included twice
  window.latchkeyPasskeys = true;

  function toBytes(b64url) {
    var s = b64url.replace(/-/g, '+').replace(/_/g, '/');
    while (s.length % 4) s += '=';
    var bin = atob(s);
    var out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out.buffer;
  }

  function toB64url(buf) {
    var bytes = new Uint8Array(buf);
    var bin = '';
    for (var i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]);
    return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }

  function creationOptions(pk) {
    pk.challenge = toBytes(pk.challenge);
    pk.user.id = toBytes(pk.user.id);
    (pk.excludeCredentials || []).forEach(function (c) { c.id = toBytes(c.id); });
    return pk;
  }

  function requestOptions(pk) {
    pk.challenge = toBytes(pk.challenge);
    (pk.allowCredentials || []).forEach(function (c) { c.id = toBytes(c.id); });
    return pk;
  }

  function credentialJSON(cred) {
    var r = cred.response;
    var out = {
      id: cred.id,
      rawId: toB64url(cred.rawId),
      type: cred.type,
      authenticatorAttachment: cred.authenticatorAttachment || undefined,
      clientExtensionResults: cred.getClientExtensionResults ? cred.getClientExtensionResults() : {},
      response: { clientDataJSON: toB64url(r.clientDataJSON) }
    };
    if (r.attestationObject) {
      out.response.attestationObject = toB64url(r.attestationObject);
      if (r.getTransports) out.response.transports = r.getTransports();
    } else {
      out.response.authenticatorData = toB64url(r.authenticatorData);
      out.response.signature = toB64url(r.signature);
      if (r.userHandle) out.response.userHandle = toB64url(r.userHandle);
    }
    return out;
  }

  // post sends JSON with the page's CSRF token and resolves to the JSON
  // answer; a refusal rejects with the server's message.
  function post(path, csrf, body) {
    return fetch(path, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'Accept': 'application/json', 'X-CSRF-Token': csrf },
      body: JSON.stringify(body || {})
    }).then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (data) {
        if (!res.ok) {
          var err = new Error(data.error || 'Something went wrong. Please reload the page and try again.');
          err.redirect = data.redirect;
          throw err;
        }
        return data;
      });
    });
  }

  function show(el, msg) {
    if (!el) return;
    el.textContent = msg;
    el.hidden = !msg;
  }

  // The browser's own refusals (the user closed the dialog, a timeout)
  // are not the server's; say so plainly.
  function browserMessage(err) {
    if (err && (err.name === 'NotAllowedError' || err.name === 'AbortError')) {
      return 'The passkey request was cancelled or timed out. Try again when you are ready.';
    }
    if (err && err.name === 'InvalidStateError') {
      return 'This device already has a passkey for your account.';
    }
    return err && err.message ? err.message : 'Something went wrong. Please try again.';
  }

  // Adding a passkey (/settings/passkeys).
  var add = document.querySelector('[data-passkey-add]');
  if (add) {
    add.hidden = false;
    var form = document.getElementById('passkey-add');
    if (form) {
      var addError = document.getElementById('passkey-add-error');
      form.addEventListener('submit', function (event) {
        event.preventDefault();
        var csrf = form.querySelector('input[name="_csrf"]').value;
        var nameInput = form.querySelector('input[name="name"]');
        var button = form.querySelector('button[type="submit"]');
        var name = nameInput.value.trim() || button.getAttribute('data-default-name') || '';
        button.disabled = true;
        show(addError, '');
        post('/settings/passkeys/options', csrf, {})
          .then(function (opts) {
            return navigator.credentials.create({ publicKey: creationOptions(opts.publicKey) });
          })
          .then(function (cred) {
            var body = credentialJSON(cred);
            body.name = name;
            return post('/settings/passkeys', csrf, body);
          })
          .then(function (data) { window.location.assign(data.redirect || '/settings/passkeys'); })
          .catch(function (err) {
            if (err.redirect) { window.location.assign(err.redirect); return; }
            show(addError, browserMessage(err));
            button.disabled = false;
          });
      });
    }
  }

  // Signing in (/login).
  var signin = document.querySelector('[data-passkey-signin]');
  if (signin) {
    signin.hidden = false;
    var csrf = signin.querySelector('[data-passkey-csrf]').value;
    var next = signin.querySelector('[data-passkey-next]').value;
    var signinError = document.getElementById('passkey-signin-error');
    var pending = null; // the AbortController of the autofill request

    var finish = function (cred) {
      var body = credentialJSON(cred);
      var remember = document.querySelector('input[name="remember"]');
      body.remember = !!(remember && remember.checked);
      body.next = next;
      return post('/login/passkey', csrf, body).then(function (data) {
        window.location.assign(data.redirect || '/dashboard');
      });
    };

    var start = function (conditional) {
      var abort = new AbortController();
      return post('/login/passkey/options', csrf, {}).then(function (opts) {
        var req = { publicKey: requestOptions(opts.publicKey), signal: abort.signal };
        if (conditional) {
          req.mediation = 'conditional';
          pending = abort;
        }
        return navigator.credentials.get(req);
      }).then(function (cred) {
        if (cred) return finish(cred);
      });
    };

    document.getElementById('passkey-signin').addEventListener('click', function () {
      if (pending) { pending.abort(); pending = null; }
      show(signinError, '');
      start(false).catch(function (err) { show(signinError, browserMessage(err)); });
    });

    if (PublicKeyCredential.isConditionalMediationAvailable) {
      PublicKeyCredential.isConditionalMediationAvailable().then(function (ok) {
        if (!ok) return;
        start(true).catch(function (err) {
          // An aborted autofill request is the button taking over.
          if (err && err.name === 'AbortError') return;
          show(signinError, browserMessage(err));
        });
      });
    }
  }
})();
