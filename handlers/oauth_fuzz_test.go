package handlers

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// FuzzProviderCallback sends arbitrary callback parameters to a browser
// with a flow in progress: the answer is always a redirect to the error
// page (or, were the fuzzer to guess this flow's code, the dashboard),
// never a 5xx, and no account or identity is made from a code the
// provider never issued.
func FuzzProviderCallback(f *testing.F) {
	w := newProviderWorld(f, unlimited)
	f.Add("1-code", "", "", "", "")
	f.Add("", "", "access_denied", "The user said no", "")
	f.Add(strings.Repeat("A", 5000), "", "", "", "")
	f.Add("\x00\xff", "\r\n", "server_error", "\x1b[31m", "")
	f.Add("x", "wrong", "", "", "code=a&code=b&state=")
	f.Add("x", "", "", "", "%zz&state=%00")
	f.Fuzz(func(t *testing.T, code, state, errParam, desc, raw string) {
		c := fuzzClient(t, w.app)
		u := c.startAt("/login/oauth/github", url.Values{})
		if state == "" {
			state = u.Query().Get("state")
		}
		q := url.Values{"code": {code}, "state": {state}}
		if errParam != "" {
			q.Set("error", errParam)
			q.Set("error_description", desc)
		}
		query := q.Encode()
		if raw != "" && !strings.ContainsAny(raw, " #\x7f") && !strings.ContainsFunc(raw, func(r rune) bool { return r < 0x20 }) {
			query = raw
		}
		res := c.get("/login/oauth/github/callback?" + query)
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("status %d for ?%s\n%s", res.StatusCode, query, excerpt(res.body))
		}
		loc := res.Header.Get("Location")
		if !strings.HasPrefix(loc, "/auth/error?error=") && loc != "/dashboard" {
			t.Fatalf("Location %q for ?%s", loc, query)
		}
		if n := w.app.count(t, "users", ""); n != 0 && loc != "/dashboard" {
			t.Fatalf("%d accounts made", n)
		}
	})
}
