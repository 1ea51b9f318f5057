//go:build secondfactor

package handlers

// The second factor at POST /api/auth/token, enabled once the second
// factor is merged (go test -tags secondfactor; drop the tag then). It
// turns the factor on through the real enrolment page and reads the code
// from the secret shown there.

import (
	"net/http"
	"net/url"
	"regexp"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
)

// TestAPITokenSecondFactor: with the second factor on, the right password
// alone is mfa_required, a wrong code invalid_code, the right code a pair.
func TestAPITokenSecondFactor(t *testing.T) {
	app := newTestApp(t)
	browser := app.client()
	browser.signup("Ada Lovelace", "ada@example.com", strongPassword)
	page := browser.get("/settings/2fa")
	assertStatus(t, page, http.StatusOK)
	m := regexp.MustCompile(`\b([A-Z2-7]{32})\b`).FindStringSubmatch(page.body)
	if m == nil {
		t.Fatal("no secret on /settings/2fa")
	}
	secret := m[1]
	code, err := totp.GenerateCode(secret, app.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	assertStatus(t, browser.postForm("/settings/2fa", url.Values{"code": {code}}), http.StatusOK)
	app.clock.Advance(31 * time.Second) // a used time step is refused after

	p := app.program()
	res := p.apiJSON(http.MethodPost, "/api/auth/token", "", map[string]string{"email": "ada@example.com", "password": strongPassword})
	assertAPIError(t, res, http.StatusUnauthorized, "mfa_required")
	res = p.apiJSON(http.MethodPost, "/api/auth/token", "", map[string]string{"email": "ada@example.com", "password": strongPassword, "code": "000000"})
	assertAPIError(t, res, http.StatusUnauthorized, "invalid_code")
	res = p.apiJSON(http.MethodPost, "/api/auth/token", "", map[string]string{"email": "ada@example.com", "password": "wrong", "code": "000000"})
	assertAPIError(t, res, http.StatusUnauthorized, "invalid_grant")
	code, _ = totp.GenerateCode(secret, app.clock.Now())
	res = p.apiJSON(http.MethodPost, "/api/auth/token", "", map[string]string{"email": "ada@example.com", "password": strongPassword, "code": code})
	assertStatus(t, res, http.StatusOK)
}
