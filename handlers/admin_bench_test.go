package handlers

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"latchkey/db"
)

// BenchmarkAdminSearch is GET /admin/users?q=… through the whole app (real
// SQLite file) for a prefix that fills a page of 50 with more behind it:
// what issue 19's bench scenario pays per request, so a change to the
// query, the rows or the template can be weighed here in seconds.
func BenchmarkAdminSearch(b *testing.B) {
	app := newTestApp(b)
	admin := app.client()
	admin.signup("Alice Admin", "alice@example.com", strongPassword)
	app.setRole(b, "alice@example.com", db.RoleAdmin)
	ctx := context.Background()
	err := app.db.InTx(ctx, func(q *db.Queries) error {
		for i := range 120 {
			if _, err := q.CreateUser(ctx, "Carol "+strconv.Itoa(i), "carol"+strconv.Itoa(1000+i)+"@example.com", "", app.clock.Now()); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		res := admin.get("/admin/users?q=carol")
		if res.StatusCode != http.StatusOK || strings.Count(res.body, `href="/admin/users/`) != 50 {
			b.Fatalf("GET /admin/users?q=carol answered %d without a page of 50", res.StatusCode)
		}
	}
}
