package e2e

import (
	"net"
	"net/http"
	"testing"

	"github.com/oauth2-proxy/mockoidc"
)

// TestProviderJourney: a person clicks "Continue with Test SSO" on /login,
// approves at a real OpenID provider started in this test process (it
// approves at once), and lands on the dashboard with a new account; the
// connected accounts page lists the provider. The pages are axe-checked
// and screenshotted.
func TestProviderJourney(t *testing.T) {
	m, err := mockoidc.NewServer(nil)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Start(ln, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Shutdown() })
	m.QueueUser(&mockoidc.MockUser{Subject: "e2e-ada", Email: "ada.sso@example.com", EmailVerified: true})

	srv := ownServer(t, "OIDC_ISSUER="+m.Issuer(), "OIDC_CLIENT_ID="+m.ClientID,
		"OIDC_CLIENT_SECRET="+m.ClientSecret, "OIDC_NAME=Test SSO")
	b := newTab(t, srv, true)
	b.expect(b.open("/login"), http.StatusOK, "/login")
	b.see(`form[action="/login/oauth/oidc"] button`, "Continue with Test SSO")
	b.check("login-with-provider")
	b.expect(b.press(`form[action="/login/oauth/oidc"] button`), http.StatusOK, "/dashboard")
	b.expect(b.open("/settings/connections"), http.StatusOK, "/settings/connections")
	b.see("main", "Test SSO")
	b.check("settings-connections")
}
