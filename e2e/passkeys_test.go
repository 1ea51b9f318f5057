package e2e

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"

	"latchkey/internal/apptest"
	"latchkey/internal/smtptest"
)

// passkeyServer is a server of its own reached as localhost: browsers
// refuse WebAuthn on an IP address, and BASE_URL's host is the relying
// party id.
func passkeyServer(t *testing.T) *server {
	t.Helper()
	apptest.SkipShort(t)
	mail, err := smtptest.Listen()
	if err != nil {
		t.Fatal(err)
	}
	app, err := apptest.Start(context.Background(), apptest.Options{Host: "localhost", Settings: serverSettings(mail.URL)})
	if err != nil {
		mail.Close()
		t.Fatalf("start latchkey: %v", err)
	}
	s := &server{App: app, inbox: inbox{mail}}
	t.Cleanup(func() {
		if err := s.stop(); err != nil {
			t.Error(err)
		}
	})
	s.LogOnFailure(t)
	return s
}

// authenticator gives the tab a DevTools virtual authenticator, as a
// phone or laptop with a fingerprint reader: CTAP2, built in, holding
// discoverable credentials, verifying its user.
func (b *tab) authenticator() webauthn.AuthenticatorID {
	b.t.Helper()
	var id webauthn.AuthenticatorID
	b.do(chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		if _, err := chromedp.Call(ctx, webauthn.Enable, webauthn.EnableParams{}); err != nil {
			return err
		}
		res, err := chromedp.Call(ctx, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{
			Options: &webauthn.VirtualAuthenticatorOptions{Protocol: "ctap2", Ctap2version: "ctap2_1", Transport: "internal",
				HasResidentKey: true, HasUserVerification: true, IsUserVerified: true, AutomaticPresenceSimulation: true}})
		if err != nil {
			return err
		}
		id = res.AuthenticatorID
		return nil
	}))
	return id
}

// credentials are the passkeys the tab's authenticator holds.
func (b *tab) credentials(id webauthn.AuthenticatorID) []*webauthn.Credential {
	b.t.Helper()
	var creds []*webauthn.Credential
	b.do(chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		res, err := chromedp.Call(ctx, webauthn.GetCredentials, webauthn.GetCredentialsParams{AuthenticatorID: id})
		if err != nil {
			return err
		}
		creds = res.Credentials
		return nil
	}))
	return creds
}

// presence turns the authenticator's simulated touch on or off. Off, a
// request waits: the autofill request that /login makes on load stays
// pending, so the button can be pressed.
func (b *tab) presence(id webauthn.AuthenticatorID, on bool) {
	b.t.Helper()
	b.do(chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, webauthn.SetAutomaticPresenceSimulation,
			webauthn.SetAutomaticPresenceSimulationParams{AuthenticatorID: id, Enabled: on})
		return err
	}))
}

// waitPath waits until the tab is at path (a script navigates there).
func (b *tab) waitPath(path string) {
	b.t.Helper()
	deadline := time.Now().Add(stepTimeout)
	for b.path() != path {
		if time.Now().After(deadline) {
			b.t.Fatalf("at %s, never reached %s", b.path(), path)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// addCredential is WebAuthn.addCredential with a credential of the fields
// it needs alone: cdproto's Credential always sends the CMTG fields, which
// Chromium refuses for an authenticator without that extension.
var addCredential = cdp.Command[addCredentialParams, cdp.Empty]{Method: webauthn.CommandAddCredential}

type addCredentialParams struct {
	AuthenticatorID webauthn.AuthenticatorID `json:"authenticatorId"`
	Credential      plainCredential          `json:"credential"`
}

type plainCredential struct {
	CredentialID         []byte  `json:"credentialId"`
	IsResidentCredential bool    `json:"isResidentCredential"`
	RpID                 string  `json:"rpId"`
	PrivateKey           []byte  `json:"privateKey"`
	UserHandle           []byte  `json:"userHandle"`
	SignCount            float64 `json:"signCount"`
}

// visible reports whether the element is shown (not hidden).
func (b *tab) visible(sel string) bool {
	b.t.Helper()
	return b.attr(sel, "hidden") == "false" && b.count(sel) == 1
}

// waitText waits until sel's text contains want (a message a script writes).
func (b *tab) waitText(sel, want string) {
	b.t.Helper()
	deadline := time.Now().Add(stepTimeout)
	for {
		if b.count(sel) > 0 && strings.Contains(b.text(sel), want) {
			return
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("%s at %s never said %q (it says %q)", sel, b.path(), want, b.text(sel))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestPasskeyJourney: add a passkey on /settings/passkeys, sign out, sign
// in with it from /login's button, see it in the list with its last use,
// and remove it; another user's copy of the credential is refused. The
// pages are audited, and the list and the login page saved as screenshots.
func TestPasskeyJourney(t *testing.T) {
	s := passkeyServer(t)
	b := newTab(t, s, true)
	auth := b.authenticator()
	const email = "grace@example.com"
	b.signUp("Grace Hopper", email, firstPassword)

	b.expect(b.open("/settings/passkeys"), http.StatusOK, "/settings/passkeys")
	if !b.visible("[data-passkey-add]") {
		t.Fatal("with WebAuthn in the browser, the add form is still hidden")
	}
	b.typeInto("#passkey-name", "Work laptop")
	b.expect(b.press("#passkey-add button[type=submit]"), http.StatusOK, "/settings/passkeys")
	b.see(".flash", "has been added")
	b.see(".session-device", "Work laptop")
	b.see(".session-facts", "Never")
	if n := len(b.credentials(auth)); n != 1 {
		t.Fatalf("the authenticator holds %d credentials, want 1", n)
	}
	s.inbox.next(t, email, "A passkey was added")

	// The button: with the touch held back, the autofill request /login
	// makes on load waits, and the page stays for the button.
	b.presence(auth, false)
	b.signOut()
	if !b.visible("[data-passkey-signin]") {
		t.Fatal("the passkey button of /login is hidden with WebAuthn in the browser")
	}
	if ac := b.attr("#f-email", "autocomplete"); ac != "username webauthn" {
		t.Fatalf("the email field's autocomplete is %q", ac)
	}
	b.check("login-passkey")
	b.presence(auth, true)
	b.expect(b.press("#passkey-signin"), http.StatusOK, "/dashboard")

	// The browser's autofill (conditional mediation): the virtual
	// authenticator picks the passkey at once, as a person choosing it in
	// the email field's suggestions, and the page signs in by itself.
	b.presence(auth, false)
	b.signOut()
	b.presence(auth, true)
	b.expect(b.open("/login"), http.StatusOK, "/login")
	b.waitPath("/dashboard")

	b.expect(b.open("/settings/passkeys"), http.StatusOK, "/settings/passkeys")
	if strings.Contains(b.text(".session-facts"), "Never") {
		t.Fatal("the passkey's last use is not shown after signing in with it")
	}
	b.check("passkeys")

	// Another user copies Grace's credential (its id and private key) onto
	// their own authenticator, under their own user handle: the server
	// does not take it for theirs, nor for Grace's.
	cred := b.credentials(auth)[0]
	m := newTab(t, s, true)
	mAuth := m.authenticator()
	m.signUp("Mallory", "mallory@example.com", firstPassword)
	m.expect(m.open("/settings/passkeys"), http.StatusOK, "/settings/passkeys")
	m.expect(m.press("#passkey-add button[type=submit]"), http.StatusOK, "/settings/passkeys")
	own := m.credentials(mAuth)[0]
	m.do(chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		if _, err := chromedp.Call(ctx, webauthn.ClearCredentials, webauthn.ClearCredentialsParams{AuthenticatorID: mAuth}); err != nil {
			return err
		}
		_, err := chromedp.Call(ctx, addCredential, addCredentialParams{AuthenticatorID: mAuth, Credential: plainCredential{
			CredentialID: cred.CredentialID, IsResidentCredential: true, RpID: cred.RpID, PrivateKey: cred.PrivateKey,
			UserHandle: own.UserHandle, SignCount: cred.SignCount + 1}})
		return err
	}))
	m.presence(mAuth, false)
	m.signOut()
	m.presence(mAuth, true)
	m.do(clickOnly("#passkey-signin"))
	m.waitText("#passkey-signin-error", "don't recognise that passkey")
	if m.path() != "/login" {
		t.Fatalf("the copied credential led to %s", m.path())
	}

	// Removing it: a plain form.
	b.expect(b.press(".session form button[type=submit]"), http.StatusOK, "/settings/passkeys")
	b.see(".flash", "has been removed")
	if n := b.count(".session"); n != 0 {
		t.Fatalf("%d passkeys listed after removing the only one", n)
	}
	s.inbox.next(t, email, "A passkey was removed")
}

// TestPasskeysWithoutScript: with JavaScript off the passkey parts are not
// there, and the password sign-in and the passkeys page still work.
func TestPasskeysWithoutScript(t *testing.T) {
	s := passkeyServer(t)
	b := newTab(t, s, false)
	b.expect(b.open("/login"), http.StatusOK, "/login")
	if b.visible("[data-passkey-signin]") {
		t.Fatal("the passkey button shows without JavaScript")
	}
	b.check("login-no-script")
	b.signUp("Ada Lovelace", "ada@example.com", firstPassword)
	b.signOut()
	b.typeInto("#f-email", "ada@example.com")
	b.typeInto("#f-password", firstPassword)
	b.expect(b.press(loginButton), http.StatusOK, "/dashboard")
	b.expect(b.open("/settings/passkeys"), http.StatusOK, "/settings/passkeys")
	if b.visible("[data-passkey-add]") {
		t.Fatal("the add form shows without JavaScript")
	}
	b.see("main", "You have no passkeys yet.")
	b.check("passkeys-no-script")
}
