package handlers

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// FuzzTokenRoutes sends arbitrary token text to every route that takes one,
// by GET and POST: whatever it is, the answer is never a 5xx.
func FuzzTokenRoutes(f *testing.F) {
	for _, seed := range []string{
		"", " ", "=", "%", "\x00", "\xff\xfe", "null", "'; DROP TABLE tokens; --",
		strings.Repeat("A", 43), strings.Repeat("A", 42) + "=", strings.Repeat("_", 43), strings.Repeat("-", 44),
		strings.Repeat("A", 43) + "\n", "AAAA+/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", strings.Repeat("é", 43),
		strings.Repeat("x", 129), strings.Repeat("x", 10000), "../../etc/passwd", "<script>alert(1)</script>",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, token string) {
		app := newTestApp(t)
		c := app.client()
		q := "?token=" + url.QueryEscape(token)
		for _, res := range []*response{
			c.get("/login/email/confirm" + q),
			c.get("/verify-email" + q),
			c.get("/reset-password" + q),
			c.postForm("/login/email/confirm", url.Values{"token": {token}}),
			c.postForm("/reset-password", url.Values{"token": {token}, "password": {"violet marmalade skyline 42"}}),
			c.postForm("/reset-password", url.Values{"token": {token}, "password": {token}}),
		} {
			if res.StatusCode >= 500 {
				t.Fatalf("%s %s with token %q: %d", res.Request.Method, res.Request.URL.Path, token, res.StatusCode)
			}
			if res.StatusCode == http.StatusOK && res.Request.Method == http.MethodPost {
				t.Fatalf("POST %s with token %q answered 200", res.Request.URL.Path, token)
			}
		}
		if strings.Contains(app.logs.String(), "token=") {
			t.Fatalf("a token reached the log")
		}
	})
}
