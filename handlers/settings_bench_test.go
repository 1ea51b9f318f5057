package handlers

import (
	"net/http"
	"testing"
)

// BenchmarkSettingsSessions is GET /settings through the whole app (real
// SQLite file) for a user signed in only here and for one with 10,000
// other sessions: issue 20 wants the second within 0.9 of the first, so
// the difference per op is what a page of listed sessions costs.
func BenchmarkSettingsSessions(b *testing.B) {
	for _, bc := range []struct {
		name   string
		others int
	}{{"1 session", 0}, {"10000 sessions", 9_999}} {
		b.Run(bc.name, func(b *testing.B) {
			app := newTestApp(b)
			c := app.browser(uaChromeMac)
			c.signup("Ada Lovelace", "ada@example.com", strongPassword)
			app.addSessions(app.user("ada@example.com").ID, "ada", bc.others)
			b.ReportAllocs()
			for b.Loop() {
				if res := c.get("/settings"); res.StatusCode != http.StatusOK {
					b.Fatalf("GET /settings answered %d", res.StatusCode)
				}
			}
		})
	}
}
