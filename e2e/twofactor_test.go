package e2e

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
)

// TestTwoFactorJourney turns on two-step verification with JavaScript off,
// as the app's secret is typed (read off the page, the code computed as an
// authenticator app would), signs out, and signs in again through the code
// page. The enrolment, the recovery codes and the code page are audited
// (and screenshotted by `make screenshots`).
func TestTwoFactorJourney(t *testing.T) {
	s := shared(t)
	b := newTab(t, s, false)
	b.shots = true
	const email = "sophie@example.com"
	b.signUp("Sophie Germain", email, firstPassword)

	b.expect(b.open("/settings"), http.StatusOK, "/settings")
	b.expect(b.press(`main a[href="/settings/2fa"]`), http.StatusOK, "/settings/2fa")
	b.see("main h1", "Security")
	b.see(`nav.settings-nav a[aria-current="page"]`, "Security")
	if n := b.count(`img.qr[src^="data:image/png;base64,"]`); n != 1 {
		t.Fatalf("%d QR codes on the enrolment page, want 1", n)
	}
	secret := strings.ReplaceAll(b.text("code.secret"), " ", "")
	b.check("two-factor-enrol")

	// A wrong code is refused and leaves it off.
	b.typeInto("#enrol-code", "000000")
	b.expect(b.press(`form[action="/settings/2fa"] button[type=submit]`), http.StatusUnprocessableEntity, "/settings/2fa")
	b.see(".summary", "didn't work")

	code, err := totp.GenerateCode(secret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	b.replace("#enrol-code", code)
	b.expect(b.press(`form[action="/settings/2fa"] button[type=submit]`), http.StatusOK, "/settings/2fa")
	b.see(".flash", "Two-step verification is on")
	if n := b.count("ol.recovery-codes li"); n != 10 {
		t.Fatalf("%d recovery codes shown, want 10", n)
	}
	if href := b.attr(`a[download="recovery-codes.txt"]`, "href"); !strings.HasPrefix(href, "data:text/plain") {
		t.Fatalf("download link %q", href)
	}
	b.check("two-factor-recovery-codes")

	b.expect(b.open("/dashboard"), http.StatusOK, "/dashboard")
	b.expect(b.press(logoutButton), http.StatusOK, "/login")

	// Signing in: the password, then the code page; the dashboard does not
	// open in between.
	b.typeInto("#f-email", email)
	b.typeInto("#f-password", firstPassword)
	b.expect(b.press(loginButton), http.StatusOK, "/login/2fa")
	b.see("main h1", "Two-step verification")
	b.check("two-factor-code")
	b.expect(b.open("/dashboard"), http.StatusOK, "/login?next=/dashboard")
	b.expect(b.open("/login/2fa"), http.StatusOK, "/login/2fa")
	// The enrolment used this step: the next one is what the app shows
	// next, within the one step of drift allowed.
	code, err = totp.GenerateCode(secret, time.Now().Add(30*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	b.typeInto("#f-code", code)
	b.expect(b.press(`form[action="/login/2fa"] button[type=submit]`), http.StatusOK, "/dashboard")
}
