package db

import (
	"context"
	"strings"
	"testing"
	"time"

	"latchkey/auth"
)

func emails(us []User) []string {
	out := make([]string, len(us))
	for i, u := range us {
		out[i] = u.Email
	}
	return out
}

// TestSearchUsers: a prefix of the address or of the name, case aside;
// % and _ are letters, not patterns; pages follow one another.
func TestSearchUsers(t *testing.T) {
	ctx := context.Background()
	d := openTestDB(t)
	now := time.Unix(1_700_000_000, 0)
	for _, u := range [][2]string{
		{"Ada Lovelace", "Ada@Example.com"}, {"Grace Hopper", "grace@example.com"}, {"Ärger", "aerger@example.com"},
		{"100% Sure", "percent@example.com"}, {"under_score", "u_s@example.com"}, {"Unders", "uxs@example.com"},
		{"Zed", "zed@example.com"},
	} {
		if _, err := d.CreateUser(ctx, u[0], u[1], "", now); err != nil {
			t.Fatal(err)
		}
	}
	for q, want := range map[string]string{
		"ada":                 "Ada@Example.com",
		"ADA@EXAM":            "Ada@Example.com",
		"grace h":             "grace@example.com",
		"ÄRG":                 "aerger@example.com",
		"100%":                "percent@example.com",
		"%":                   "",
		"u_":                  "u_s@example.com",
		"under_":              "u_s@example.com",
		"_":                   "",
		"x":                   "",
		"z":                   "zed@example.com",
		"zed@example.com\x00": "zed@example.com", // NUL is dropped
	} {
		got, err := d.SearchUsers(ctx, auth.SearchKey(q), 10, 0)
		if err != nil {
			t.Fatalf("%q: %v", q, err)
		}
		if g := strings.Join(emails(got), " "); g != want {
			t.Errorf("search %q = %q, want %q", q, g, want)
		}
	}
	all, err := d.SearchUsers(ctx, "", 3, 0)
	if err != nil || len(all) != 3 {
		t.Fatalf("first page: %v, %v", emails(all), err)
	}
	rest, err := d.SearchUsers(ctx, "", 10, 3)
	if err != nil || len(rest) != 4 || rest[0].Email == all[2].Email {
		t.Fatalf("second page: %v, %v", emails(rest), err)
	}
	// Pages of two, then one: the address matches by address, then the
	// name-only matches by name, each exactly once.
	for _, u := range [][2]string{{"Xavier", "xb@example.com"}, {"Xa Name", "m1@example.com"}, {"Xb Name", "m2@example.com"}, {"xc", "xa@example.com"}} {
		if _, err := d.CreateUser(ctx, u[0], u[1], "", now); err != nil {
			t.Fatal(err)
		}
	}
	for _, size := range []int{1, 2, 3, 10} {
		var got []string
		for offset := 0; offset < 10; offset += size {
			page, err := d.SearchUsers(ctx, "x", size, offset)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, emails(page)...)
		}
		if g := strings.Join(got, " "); g != "xa@example.com xb@example.com m1@example.com m2@example.com" {
			t.Errorf("pages of %d: %s", size, g)
		}
	}
	// A name change moves its key with it.
	if err := d.SetName(ctx, all[0].ID, "Quentin", now); err != nil {
		t.Fatal(err)
	}
	if got, _ := d.SearchUsers(ctx, "quen", 10, 0); len(got) != 1 || got[0].ID != all[0].ID {
		t.Fatalf("after a name change: %v", emails(got))
	}
}

// TestSearchUsersUsesIndexes: with many users, and statistics that say so,
// the search is an index seek on each key, read in the index's order (no
// sort of the matches), never a scan of users: it stays fast at a million.
func TestSearchUsersUsesIndexes(t *testing.T) {
	ctx := context.Background()
	d := openTestDB(t)
	_, err := d.Write.ExecContext(ctx, d.Rebind(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)
		INSERT INTO users (name, name_key, email, email_key, created_at, updated_at)
		SELECT 'Name ' || i, 'name ' || i, 'user' || i || '@example.com', 'user' || i || '@example.com', 0, 0 FROM n`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Write.ExecContext(ctx, `ANALYZE`); err != nil {
		t.Fatal(err)
	}
	// Selective prefixes: one that matches every row is rightly a scan.
	for _, q := range []string{"user123", "name 1234", "user1999", "%", "zzz"} {
		plan, err := d.ExplainSearchUsers(ctx, auth.SearchKey(q))
		if err != nil {
			t.Fatal(err)
		}
		text := strings.Join(plan, "\n")
		if d.Postgres() {
			if strings.Contains(text, "Seq Scan on users") || strings.Contains(text, "Sort") || !strings.Contains(text, "users_email_key_c_idx") || !strings.Contains(text, "users_name_key_c_idx") {
				t.Errorf("search %q does not use both indexes:\n%s", q, text)
			}
			continue
		}
		for _, line := range plan {
			// SCAN m is the matches being sorted; a SCAN of users would
			// read the whole table.
			if strings.HasPrefix(strings.TrimSpace(line), "SCAN users") || strings.Contains(line, "TEMP B-TREE") {
				t.Errorf("search %q scans: %q\n%s", q, line, text)
			}
		}
		if !strings.Contains(text, "INDEX users_email_key_idx") || !strings.Contains(text, "INDEX users_name_key_idx") {
			t.Errorf("search %q does not use both indexes:\n%s", q, text)
		}
	}
}

// TestUserActivityUsesIndex: a user's log, newest first, is read along
// activity_user_created_idx from its end, not sorted, however many lines
// other users have.
func TestUserActivityUsesIndex(t *testing.T) {
	ctx := context.Background()
	d := openTestDB(t)
	u, err := d.CreateUser(ctx, "Ada", "ada@example.com", "", time.Unix(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	other, err := d.CreateUser(ctx, "Grace", "grace@example.com", "", time.Unix(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	// A few of the user's lines among many of another's, as in the bench.
	_, err = d.Write.ExecContext(ctx, d.Rebind(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)
		INSERT INTO activity (user_id, kind, created_at) SELECT CASE WHEN i <= 500 THEN CAST(? AS BIGINT) ELSE CAST(? AS BIGINT) END, 'sign_in', i FROM n`), u.ID, other.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Write.ExecContext(ctx, `ANALYZE`); err != nil {
		t.Fatal(err)
	}
	plan, err := d.ExplainUserActivity(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Join(plan, "\n")
	// The per-line check of the line's session (is it still live?) is
	// the planner's to make: on an empty user_sessions table PostgreSQL
	// rightly scans it, and TestQueryPlansUseIndexes holds it to its key
	// once sequential scans are priced out.
	if !strings.Contains(text, "activity_user_created_idx") || strings.Contains(text, "TEMP B-TREE") || strings.Contains(text, "Sort") ||
		strings.Contains(text, "Seq Scan on activity") {
		t.Fatalf("the user's log is not read along its index:\n%s", text)
	}
}
