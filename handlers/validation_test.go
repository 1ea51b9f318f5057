package handlers

import (
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// Every way a signup form can be wrong re-renders it with 422: the message
// next to its field and in the summary at the top, name and email kept, the
// password never sent back.
func TestSignupValidationErrors(t *testing.T) {
	app := newTestApp(t)
	c := app.client()

	for _, tc := range []struct {
		name                string
		fName, email, pass  string
		wantErrors          map[string]string // field → part of the message
		keptName, keptEmail string
		checkNotEchoed      bool
	}{
		{name: "empty fields", wantErrors: map[string]string{
			"name": "Enter your name.", "email": "Enter your email address.", "password": "Enter your password."}},
		{name: "only spaces in name", fName: "   ", email: "ada@example.com", pass: strongPassword,
			wantErrors: map[string]string{"name": "Enter your name."}, keptEmail: "ada@example.com"},
		{name: "bad email", fName: "Ada", email: "ada-at-example.com", pass: strongPassword,
			wantErrors: map[string]string{"email": "Enter an email address like name@example.com."},
			keptName:   "Ada", keptEmail: "ada-at-example.com", checkNotEchoed: true},
		{name: "255-character email", fName: "Ada", email: strings.Repeat("a", 243) + "@example.com", pass: strongPassword,
			wantErrors: map[string]string{"email": "254 characters"},
			keptName:   "Ada", keptEmail: strings.Repeat("a", 243) + "@example.com"},
		{name: "7 characters", fName: "Ada", email: "ada@example.com", pass: "Xq7#pLm",
			wantErrors: map[string]string{"password": "at least 8 characters"},
			keptName:   "Ada", keptEmail: "ada@example.com", checkNotEchoed: true},
		{name: "129 characters", fName: "Ada", email: "ada@example.com", pass: strings.Repeat("qz", 64) + "k",
			wantErrors: map[string]string{"password": "128 characters"},
			keptName:   "Ada", keptEmail: "ada@example.com", checkNotEchoed: true},
		{name: "common password", fName: "Ada", email: "ada@example.com", pass: "password1",
			wantErrors: map[string]string{"password": "This is one of the most common passwords"},
			keptName:   "Ada", keptEmail: "ada@example.com", checkNotEchoed: true},
		{name: "the email as password", fName: "Ada", email: "ada.lovelace@example.com", pass: "ada.lovelace@example.com",
			wantErrors: map[string]string{"password": "Don't use your email address in your password."},
			keptName:   "Ada", keptEmail: "ada.lovelace@example.com"},
		{name: "built from the email", fName: "Ada", email: "zanzibarfox@example.com", pass: "Zanzibarfox1815",
			wantErrors: map[string]string{"password": "Don't use your email address in your password."},
			keptName:   "Ada", keptEmail: "zanzibarfox@example.com", checkNotEchoed: true},
		{name: "built from the name", fName: "Grace Hopper", email: "gh@example.com", pass: "hopper-grace-1906",
			wantErrors: map[string]string{"password": "Don't use your name in your password."},
			keptName:   "Grace Hopper", keptEmail: "gh@example.com", checkNotEchoed: true},
		{name: "name too long", fName: strings.Repeat("n", 101), email: "ada@example.com", pass: strongPassword,
			wantErrors: map[string]string{"name": "100 characters"},
			keptName:   strings.Repeat("n", 101), keptEmail: "ada@example.com", checkNotEchoed: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := c.postForm("/signup", url.Values{"name": {tc.fName}, "email": {tc.email}, "password": {tc.pass}})
			assertStatus(t, res, http.StatusUnprocessableEntity)
			if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
				t.Fatalf("Content-Type %q", ct)
			}
			assertContains(t, res, "There's a problem")
			summary := errorSummary(res.body)
			for field, want := range tc.wantErrors {
				if got := fieldError(res.body, field); !strings.Contains(got, want) {
					t.Errorf("error next to %s = %q, want it to contain %q", field, got, want)
				}
				if !strings.Contains(summary, want) {
					t.Errorf("summary %q does not contain %q", summary, want)
				}
				// The summary links to the field it talks about.
				assertContains(t, res, `href="#f-`+field+`"`)
			}
			for _, field := range []string{"name", "email", "password"} {
				if _, want := tc.wantErrors[field]; !want && fieldError(res.body, field) != "" {
					t.Errorf("unexpected error on %s: %q", field, fieldError(res.body, field))
				}
			}
			if got, _ := fieldValue(res.body, "name"); got != tc.keptName {
				t.Errorf("name re-rendered as %q, want %q", got, tc.keptName)
			}
			if got, _ := fieldValue(res.body, "email"); got != tc.keptEmail {
				t.Errorf("email re-rendered as %q, want %q", got, tc.keptEmail)
			}
			if got, ok := fieldValue(res.body, "password"); !ok || got != "" {
				t.Errorf("password field value %q (present %v), want empty", got, ok)
			}
			if tc.checkNotEchoed && (strings.Contains(res.body, tc.pass) || strings.Contains(res.body, html.EscapeString(tc.pass))) {
				t.Errorf("the password %q is in the page", tc.pass)
			}
			if t.Failed() {
				t.Log(excerpt(res.body))
			}
		})
	}
	if n := app.countUsers(t, ""); n != 0 {
		t.Fatalf("%d users created by invalid forms", n)
	}
}

// A multi-byte password is counted in characters: 8 of them are long enough
// for the form, 7 are not, whatever their length in bytes.
func TestSignupCountsCharactersNotBytes(t *testing.T) {
	app := newTestApp(t)
	c := app.client()
	res := c.postForm("/signup", url.Values{"name": {"Ada"}, "email": {"ada@example.com"}, "password": {"жёлтыйк"}})
	assertStatus(t, res, http.StatusUnprocessableEntity)
	if got := fieldError(res.body, "password"); !strings.Contains(got, "at least 8 characters") {
		t.Fatalf("7 Cyrillic letters (14 bytes): error %q", got)
	}
	c.signup("Ada", "ada@example.com", "зелёный слон танцует")
}

// A wrong password and an unknown address get the same 422 and the same
// words, so the page does not tell a stranger who has an account.
func TestLoginWrongPasswordAndUnknownEmailLookAlike(t *testing.T) {
	app := newTestApp(t)
	app.createUser(t, "Ada", "ada@example.com", strongPassword)
	c := app.client()

	wrong := c.login("ada@example.com", "not-the-password-at-all")
	unknown := c.login("nobody@example.com", "not-the-password-at-all")
	for _, res := range []*response{wrong, unknown} {
		assertStatus(t, res, http.StatusUnprocessableEntity)
		if got := fieldError(res.body, "password"); got != credentialsMismatch {
			t.Fatalf("error next to password = %q, want %q", got, credentialsMismatch)
		}
		if !strings.Contains(errorSummary(res.body), credentialsMismatch) {
			t.Fatalf("summary %q lacks the message", errorSummary(res.body))
		}
		if fieldError(res.body, "email") != "" {
			t.Fatalf("an error next to email would tell which part was wrong")
		}
		assertNotContains(t, res, "not-the-password-at-all")
		if got, _ := fieldValue(res.body, "password"); got != "" {
			t.Fatalf("password echoed: %q", got)
		}
	}
	if got, _ := fieldValue(wrong.body, "email"); got != "ada@example.com" {
		t.Fatalf("email kept as %q", got)
	}
	// The two pages differ only by the address typed.
	a := strings.ReplaceAll(wrong.body, "ada@example.com", "X")
	b := strings.ReplaceAll(unknown.body, "nobody@example.com", "X")
	if a != b {
		t.Fatalf("the pages for a wrong password and an unknown email differ")
	}
}

func TestLoginValidationErrors(t *testing.T) {
	app := newTestApp(t)
	c := app.client()
	for _, tc := range []struct {
		name, email, pass string
		wantErrors        map[string]string
	}{
		{"empty fields", "", "", map[string]string{"email": "Enter your email address.", "password": "Enter your password."}},
		{"bad email", "ada", "whatever-it-is", map[string]string{"email": "Enter an email address like name@example.com."}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := c.login(tc.email, tc.pass)
			assertStatus(t, res, http.StatusUnprocessableEntity)
			summary := errorSummary(res.body)
			for field, want := range tc.wantErrors {
				if got := fieldError(res.body, field); got != want {
					t.Errorf("error next to %s = %q, want %q", field, got, want)
				}
				if !strings.Contains(summary, want) {
					t.Errorf("summary %q lacks %q", summary, want)
				}
			}
			if got, _ := fieldValue(res.body, "email"); got != tc.email {
				t.Errorf("email kept as %q", got)
			}
			if tc.pass != "" {
				assertNotContains(t, res, tc.pass)
			}
		})
	}
}

// Autofill and phone keyboards add spaces around an address: they are
// trimmed, not refused, at signup and at sign-in.
func TestEmailSurroundingSpacesAreTrimmed(t *testing.T) {
	app := newTestApp(t)
	c := app.client()
	c.signup("  Ada  ", " ada@example.com ", strongPassword)
	if n := app.countUsers(t, "email = 'ada@example.com' AND name = 'Ada'"); n != 1 {
		t.Fatalf("stored untrimmed (%d rows match the trimmed values)", n)
	}
	assertStatus(t, c.postForm("/logout", nil), http.StatusSeeOther)
	res := c.login("\tADA@example.com  ", strongPassword)
	assertStatus(t, res, http.StatusSeeOther)
	assertLocation(t, res, "/dashboard")
}
