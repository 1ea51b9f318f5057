package handlers

// The second factor at POST /api/auth/token. It turns the factor on through the real enrolment page and reads the code
// from the secret shown there.

import (
	"net/http"
	"testing"
)

// TestAPITokenSecondFactor: with the second factor on, the right password
// alone is mfa_required, a wrong code invalid_code, the right code a pair.
func TestAPITokenSecondFactor(t *testing.T) {
	app := newTestApp(t)
	secret, _ := app.enrolledUser("ada@example.com")

	p := app.program()
	res := p.apiJSON(http.MethodPost, "/api/auth/token", "", map[string]string{"email": "ada@example.com", "password": strongPassword})
	assertAPIError(t, res, http.StatusUnauthorized, "mfa_required")
	res = p.apiJSON(http.MethodPost, "/api/auth/token", "", map[string]string{"email": "ada@example.com", "password": strongPassword, "code": "000000"})
	assertAPIError(t, res, http.StatusUnauthorized, "invalid_code")
	res = p.apiJSON(http.MethodPost, "/api/auth/token", "", map[string]string{"email": "ada@example.com", "password": "wrong", "code": "000000"})
	assertAPIError(t, res, http.StatusUnauthorized, "invalid_grant")
	code := app.codeAt(secret, 0)
	res = p.apiJSON(http.MethodPost, "/api/auth/token", "", map[string]string{"email": "ada@example.com", "password": strongPassword, "code": code})
	assertStatus(t, res, http.StatusOK)
}
