package db

import (
	"context"
	"errors"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// openV3 is a database as the release before canonical email keys left it:
// migrations 1 to 3 only.
func openV3(t *testing.T) *DB {
	t.Helper()
	d, err := Open(filepath.Join(t.TempDir(), "old.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	p, err := d.migrations()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(context.Background(), emailKeysVersion-1); err != nil {
		t.Fatal(err)
	}
	return d
}

// exec runs statements as the old release's queries would have.
func exec(t *testing.T, d *DB, query string, args ...any) {
	t.Helper()
	if _, err := d.Write.Exec(query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

// oldUser inserts a user as the old CreateUser did (address as typed,
// unique only under ASCII NOCASE) and returns its id.
func oldUser(t *testing.T, d *DB, email, hash string) int64 {
	t.Helper()
	var id int64
	err := d.Write.QueryRow(`INSERT INTO users (name, email, password_hash, created_at, updated_at) VALUES ('Someone', ?, ?, 1, 1) RETURNING id`,
		email, hash).Scan(&id)
	if err != nil {
		t.Fatalf("insert %s: %v", email, err)
	}
	return id
}

func schemaVersion(t *testing.T, d *DB) int64 {
	t.Helper()
	var v int64
	if err := d.Read.QueryRow(`SELECT max(version_id) FROM goose_db_version WHERE is_applied`).Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

func hasColumn(t *testing.T, d *DB, table, column string) bool {
	t.Helper()
	var n int
	if err := d.Read.QueryRow(`SELECT count(*) FROM pragma_table_info(?) WHERE name = ?`, table, column).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n > 0
}

// dump is every users row, to compare before and after a refusal.
func dump(t *testing.T, d *DB) string {
	t.Helper()
	rows, err := d.Read.Query(`SELECT id, email, password_hash FROM users ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var id int64
		var email, hash string
		if err := rows.Scan(&id, &email, &hash); err != nil {
			t.Fatal(err)
		}
		b.WriteString(email + "|" + hash + "\n")
	}
	return b.String()
}

// TestEmailKeysMigrationRefusesCollisions: a database of the old release
// where "Ä@example.com" and "ä@example.com" were two accounts (the old
// NOCASE folded ASCII only), or where an account's domain is not a valid
// domain name, refuses to migrate with a message naming the rows, and
// nothing is changed: no column, no version, same rows.
func TestEmailKeysMigrationRefusesCollisions(t *testing.T) {
	for _, tc := range []struct {
		name        string
		conflicting []string // rows the message must name
		words       []string // and what it must say of them
	}{
		{"case", []string{"Ä@example.com", "ä@example.com"}, []string{"are one address (ä@example.com)"}},
		{"width", []string{"bob@example.com", "bob@ｅｘａｍｐｌｅ.com"}, []string{"are one address (bob@example.com)"}},
		{"composition", []string{"ä@example.com", "a\u0308@example.com"}, []string{"are one address"}},
		{"three", []string{"ä@example.com", "Ä@example.com", "A\u0308@EXAMPLE.com"}, []string{"are one address"}},
		{"invalid domain", []string{"eve@xn--a.com"}, []string{"not a valid domain name"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := openV3(t)
			oldUser(t, d, "ada@example.com", "hash-of-ada") // conflicts with nothing
			var ids []int64
			for _, e := range tc.conflicting {
				ids = append(ids, oldUser(t, d, e, "hash-of-"+e))
			}
			before := dump(t, d)

			err := d.Migrate(context.Background())
			if err == nil {
				t.Fatal("the migration ran over accounts that conflict")
			}
			if !errors.Is(err, ErrEmailKeyConflict) {
				t.Fatalf("error %v, want ErrEmailKeyConflict", err)
			}
			msg := err.Error()
			for _, want := range append(tc.words, "nothing was changed", "DELETE FROM users WHERE id") {
				if !strings.Contains(msg, want) {
					t.Errorf("message does not say %q:\n%s", want, msg)
				}
			}
			for i, id := range ids {
				if want := "user " + strconv.FormatInt(id, 10) + " <" + tc.conflicting[i] + ">"; !strings.Contains(msg, want) {
					t.Errorf("message does not name %s:\n%s", want, msg)
				}
			}
			if strings.Contains(msg, "ada@example.com") {
				t.Errorf("message names an account that conflicts with nothing:\n%s", msg)
			}
			if v := schemaVersion(t, d); v != emailKeysVersion-1 {
				t.Errorf("schema version %d after the refusal, want %d", v, emailKeysVersion-1)
			}
			for _, tc := range [][2]string{{"users", "email_key"}, {"tokens", "email_key"}, {"outbox", "to_key"}} {
				if hasColumn(t, d, tc[0], tc[1]) {
					t.Errorf("%s.%s exists after the refusal", tc[0], tc[1])
				}
			}
			if after := dump(t, d); after != before {
				t.Errorf("rows changed by the refusal:\nbefore %s\nafter  %s", before, after)
			}
		})
	}
}

// TestEmailKeysMigrationKeepsAccounts: an ordinary old database migrates;
// every account keeps its id, password hash and sessions, and is found by
// any spelling of its address; links and the mail count carry over.
func TestEmailKeysMigrationKeepsAccounts(t *testing.T) {
	ctx := context.Background()
	d := openV3(t)
	ada := oldUser(t, d, "Ada@Example.COM", "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA")
	bob := oldUser(t, d, "bob@ｅｘａｍｐｌｅ.com", "")
	now := time.Now()
	exec(t, d, `INSERT INTO user_sessions (id, user_id, created_at, last_seen_at, authenticated_at) VALUES ('s1', ?, ?, ?, ?)`,
		ada, now.Unix(), now.Unix(), now.Unix())
	exec(t, d, `INSERT INTO sessions (token, data, expiry) VALUES ('scs-token', x'00', julianday('now') + 30)`)
	exec(t, d, `INSERT INTO tokens (hash, purpose, user_id, email, created_at, expires_at) VALUES (x'01', 'change_email', ?, 'Ñew@example.com', ?, ?)`,
		ada, now.Unix(), now.Add(time.Hour).Unix())
	exec(t, d, `INSERT INTO tokens (hash, purpose, user_id, email, created_at, expires_at) VALUES (x'02', 'change_email', ?, 'eve@xn--a.com', ?, ?)`,
		bob, now.Unix(), now.Add(time.Hour).Unix())
	for _, to := range []string{"Ñew@example.com", "ñew@EXAMPLE.com"} {
		exec(t, d, `INSERT INTO outbox (to_addr, subject, text_body, html_body, created_at, next_attempt_at) VALUES (?, 's', 't', 'h', ?, ?)`,
			to, now.Unix(), now.Unix())
	}

	if err := d.Migrate(ctx); err != nil {
		t.Fatal(err)
	}

	for _, spelling := range []string{"Ada@Example.COM", "ada@example.com", "ADA@ｅｘａｍｐｌｅ.com"} {
		u, err := d.UserByEmail(ctx, spelling)
		if err != nil || u.ID != ada {
			t.Fatalf("UserByEmail(%q) = %d, %v; want user %d", spelling, u.ID, err, ada)
		}
		if u.Email != "Ada@Example.COM" || u.PasswordHash != "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA" {
			t.Fatalf("user %d is now %q with hash %q: the address and hash must be kept", ada, u.Email, u.PasswordHash)
		}
	}
	u, err := d.UserByEmail(ctx, "bob@example.com")
	if err != nil || u.ID != bob {
		t.Fatalf("UserByEmail(bob@example.com) = %d, %v; want user %d", u.ID, err, bob)
	}
	if u.Email != "bob@example.com" {
		t.Errorf("the fullwidth domain is stored as %q, want the resolvable bob@example.com", u.Email)
	}
	if _, su, err := d.SessionUser(ctx, "s1"); err != nil || su.ID != ada {
		t.Fatalf("the session record of user %d: %d, %v", ada, su.ID, err)
	}
	var scs int
	if err := d.Read.QueryRow(`SELECT count(*) FROM sessions WHERE token = 'scs-token'`).Scan(&scs); err != nil || scs != 1 {
		t.Fatalf("scs session rows: %d, %v; want 1", scs, err)
	}
	if _, err := d.CreateUser(ctx, "Mallory", "ADA@EXAMPLE.COM", "", now); !errors.Is(err, ErrEmailTaken) {
		t.Fatalf("a new account for another spelling of an old one: %v, want ErrEmailTaken", err)
	}
	var keyed int
	if err := d.Read.QueryRow(`SELECT count(*) FROM tokens WHERE email_key = 'ñew@example.com' AND purpose = 'change_email'`).Scan(&keyed); err != nil || keyed != 1 {
		t.Errorf("the old email-change link to Ñew@example.com is not found by key: %d, %v", keyed, err)
	}
	if pending, _ := d.PendingEmail(ctx, ada, "change_email", now); pending != "Ñew@example.com" {
		t.Errorf("the link keeps the address it was sent to: %q", pending)
	}
	if _, err := d.PeekToken(ctx, []byte{2}, "change_email", now); !errors.Is(err, ErrNotFound) {
		t.Errorf("a link to an address without a key survived the migration: %v", err)
	}
	if n, err := d.CountMailSince(ctx, "ÑEW@example.com", now.Add(-time.Minute), false); err != nil || n != 2 {
		t.Errorf("mail counted for Ñew@example.com across spellings: %d, %v; want 2", n, err)
	}

	// And back: the older release's schema, then forward again.
	if err := d.MigrateDownTo(ctx, emailKeysVersion-1); err != nil {
		t.Fatal(err)
	}
	if hasColumn(t, d, "users", "email_key") || schemaVersion(t, d) != emailKeysVersion-1 {
		t.Fatal("MigrateDownTo left the email keys")
	}
	if err := d.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if u, err := d.UserByEmail(ctx, "ada@example.com"); err != nil || u.ID != ada {
		t.Fatalf("after down and up again: %d, %v", u.ID, err)
	}
}

// TestEmailKeyUnique: the database itself holds one account per key, so a
// caller that skipped a lookup still cannot make a second one.
func TestEmailKeyUnique(t *testing.T) {
	ctx := context.Background()
	d := openTestDB(t)
	now := time.Now()
	first, err := d.CreateUser(ctx, "Ä", "ä@example.com", "", now)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range []string{"Ä@example.com", "Ä@EXAMPLE.COM", "ä@ｅｘａｍｐｌｅ.com", "a\u0308@example.com"} {
		if _, err := d.CreateUser(ctx, "Mallory", e, "", now); !errors.Is(err, ErrEmailTaken) {
			t.Errorf("CreateUser(%q) after ä@example.com: %v, want ErrEmailTaken", e, err)
		}
	}
	other, err := d.CreateUser(ctx, "B", "b@example.com", "", now)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.SetEmail(ctx, other.ID, "A\u0308@Example.com", now); !errors.Is(err, ErrEmailTaken) {
		t.Errorf("SetEmail to another spelling of user %d's address: %v, want ErrEmailTaken", first.ID, err)
	}
	if _, err := d.CreateUser(ctx, "Eve", "eve@xn--a.com", "", now); err == nil {
		t.Error("CreateUser accepted an address whose domain IDNA refuses")
	}
	if _, err := d.UserByEmail(ctx, "eve@xn--a.com"); !errors.Is(err, ErrNotFound) {
		t.Errorf("UserByEmail of an address without a key: %v, want ErrNotFound", err)
	}
}
