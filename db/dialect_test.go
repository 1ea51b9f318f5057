package db

import (
	"strings"
	"testing"
)

// TestRebind: each ? outside quotes becomes the next $n; inside a string
// or a quoted name it stays, so a literal question mark is never taken for
// a parameter.
func TestRebind(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`SELECT 1`, `SELECT 1`},
		{`SELECT * FROM t WHERE a = ? AND b = ?`, `SELECT * FROM t WHERE a = $1 AND b = $2`},
		{`UPDATE outbox SET last_error = '' WHERE id = ?`, `UPDATE outbox SET last_error = '' WHERE id = $1`},
		{`SELECT '?', "a?b", ? FROM t`, `SELECT '?', "a?b", $1 FROM t`},
		{`SELECT 'it''s ?', ?`, `SELECT 'it''s ?', $1`},
		{`VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, `VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`},
		{`SELECT pg_advisory_xact_lock(hashtextextended(?, 0))`, `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`},
	} {
		if got := rebind(c.in); got != c.want {
			t.Errorf("rebind(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// FuzzRebind: any text is rebound without a panic; text without a ? comes
// back unchanged, and no ? outside quotes survives.
func FuzzRebind(f *testing.F) {
	for _, s := range []string{`a = ?`, `'?'`, `"?" ?`, `'unterminated ?`, `??`, ``} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		got := rebind(q)
		if !strings.Contains(q, "?") && got != q {
			t.Fatalf("rebind(%q) = %q, want it unchanged", q, got)
		}
		if strings.Count(got, "?") > strings.Count(q, "?") {
			t.Fatalf("rebind(%q) = %q added a ?", q, got)
		}
		if !strings.ContainsAny(q, `'"`) && strings.Contains(got, "?") {
			t.Fatalf("rebind(%q) = %q left a ? outside quotes", q, got)
		}
		rebound.Delete(q) // keep the cache to the real queries
	})
}
