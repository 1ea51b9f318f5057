package e2e

import (
	"context"
	"net/http"
	"strconv"
	"testing"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// TestErrorPages visits every page that says something went wrong and
// audits it like the others.
func TestErrorPages(t *testing.T) {
	s := shared(t)
	b := newTab(t, s, true)

	// A page that needs an account sends a stranger to sign in, and
	// remembers where they were going.
	b.expect(b.open("/dashboard"), http.StatusOK, "/login?next=/dashboard")
	if next := b.attr(`form[action="/login"] input[name=next]`, "value"); next != "/dashboard" {
		t.Fatalf("the sign-in form carries next=%q, want /dashboard", next)
	}

	b.expect(b.open("/no-such-page"), http.StatusNotFound, "/no-such-page")
	b.see("main h1", "Page not found")
	b.check("not-found")

	for code, heading := range map[string]string{
		"Verification":  "This link can't be used",
		"AccessDenied":  "Access denied",
		"Configuration": "Server error",
		"<script>":      "Something went wrong", // unknown codes get Default; nothing echoed
	} {
		b.open("/auth/error?error=" + code)
		b.see("main h1", heading)
	}
	b.open("/auth/error?error=AccessDenied")
	b.check("auth-error-access-denied")

	// A form whose token no longer matches (here: the hidden field was
	// changed, as after a token rotation in another tab) is refused.
	b.expect(b.open("/login"), http.StatusOK, "/login")
	b.do(chromedp.Evaluate[chromedp.Void](`document.querySelector('form[action="/login"] input[name=_csrf]').value = 'stale-token'`))
	b.typeInto("#f-email", "someone@example.com")
	b.typeInto("#f-password", "any password at all")
	b.expect(b.press(loginButton), http.StatusForbidden, "/login")
	b.see("main h1", "This form has expired")
	b.check("forbidden")

	// The same when the CSRF cookie expired while the page stayed open.
	b.expect(b.open("/forgot-password"), http.StatusOK, "/forgot-password")
	b.do(chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, network.DeleteCookies, network.DeleteCookiesParams{Name: "_csrf", URL: s.URL})
		return err
	}))
	b.typeInto("#f-email", "someone@example.com")
	b.expect(b.press(forgotButton), http.StatusForbidden, "/forgot-password")
	b.see("main h1", "This form has expired")
}

// TestTooManyRequests runs its own server with a tiny burst, so a few
// requests show the 429 page.
func TestTooManyRequests(t *testing.T) {
	browser(t) // skip or fail before starting a server when there is no browser
	s := ownServer(t, "RATE_LIMIT_BURST=2", "RATE_LIMIT_INTERVAL=30s")
	b := newTab(t, s, true)
	for range 2 {
		b.open("/forgot-password")
		b.typeInto("#f-email", "flood@example.com")
		b.expect(b.press(forgotButton), http.StatusOK, "/verify-request")
	}
	b.open("/forgot-password")
	b.typeInto("#f-email", "flood@example.com")
	res := b.pressResponse(forgotButton)
	b.expect(res.Status, http.StatusTooManyRequests, "/forgot-password")
	retry, _ := res.Headers["Retry-After"].(string)
	if secs, err := strconv.Atoi(retry); err != nil || secs < 1 {
		t.Fatalf("429 without a usable Retry-After: %q", retry)
	}
	b.see("main h1", "Too many attempts")
	b.see("main", "Please wait")
	b.check("too-many-requests")
}
