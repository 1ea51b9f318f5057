package handlers

import "testing"

// The few places where a test reads the database in SQL that differs
// between SQLite and PostgreSQL (the app's own queries are one text, see
// db/dialect.go; scs's two stores keep the session expiry differently).

// sessionExpiryUnix is an SQL expression for a sessions row's expiry in
// Unix seconds: sqlite3store keeps a Julian day, pgxstore a timestamptz.
func (a *testApp) sessionExpiryUnix() string {
	if a.db.Postgres() {
		return "extract(epoch from expiry)::float8"
	}
	return "(expiry - 2440587.5) * 86400"
}

// sqliteOnly skips a test about something only SQLite has (its file, its
// backup) when the suite runs on PostgreSQL.
func (a *testApp) sqliteOnly(t *testing.T, why string) {
	t.Helper()
	if a.db.Postgres() {
		t.Skip("SQLite only: " + why)
	}
}
