package e2e

import (
	"net/http"
	"strings"
	"testing"
)

// TestPersonalTokensJourney: a person makes a personal access token on
// /settings/tokens, sees it once (on a phone too: the audit checks nothing
// scrolls sideways), finds it in the list, and revokes it. The pages are
// axe-checked.
func TestPersonalTokensJourney(t *testing.T) {
	s := shared(t)
	b := newTab(t, s, true)
	b.signUp("Annie Easley", "annie@example.com", firstPassword)
	b.expect(b.open("/settings/tokens"), http.StatusOK, "/settings/tokens")
	b.see(`nav.settings-nav a[aria-current="page"]`, "Tokens")
	b.check("settings-tokens-empty")

	b.typeInto("#f-name", "orbit calculations")
	b.expect(b.press(`form[action="/settings/tokens"] button[type=submit]`), http.StatusOK, "/settings/tokens")
	b.see("#new-token-title", "orbit calculations")
	if tok := b.text("#new-token"); !strings.HasPrefix(tok, "lk_pat_") {
		t.Fatalf("the new token shows as %q", tok)
	}
	b.check("settings-tokens-new")

	b.expect(b.open("/settings/tokens"), http.StatusOK, "/settings/tokens")
	if b.count("#new-token") != 0 {
		t.Fatal("the token is shown again")
	}
	b.see(".sessions", "orbit calculations")
	b.expect(b.press(`.session form button[type=submit]`), http.StatusOK, "/settings/tokens")
	b.see(".flash", "Token revoked")
}
