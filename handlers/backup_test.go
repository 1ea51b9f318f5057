package handlers

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"latchkey/db"
)

// TestBackupWhileServing runs a backup the way `latchkey backup PATH` does
// (its own connection to the same file, VACUUM INTO) while browsers keep
// adding notes, then checks the copy: it opens, passes integrity_check, and
// holds every note whose request had finished before the backup started.
func TestBackupWhileServing(t *testing.T) {
	app := newTestApp(t)
	app.sqliteOnly(t, "latchkey backup copies the SQLite file; PostgreSQL is backed up with pg_dump")
	ctx := context.Background()
	c := app.client()
	c.signup("Ada Lovelace", "ada@example.com", strongPassword)
	token := c.csrf()

	// Some bulk, so the copy takes long enough for writes to land during it.
	var userID int64
	if err := app.db.Read.QueryRowContext(ctx, `SELECT id FROM users`).Scan(&userID); err != nil {
		t.Fatal(err)
	}
	if err := app.db.InTx(ctx, func(q *db.Queries) error {
		for i := range 4000 {
			if _, err := q.CreateNote(ctx, userID, fmt.Sprintf("seed %d %s", i, strings.Repeat("x", 900)), app.clock.Now()); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}

	// Writers: each finished 303 is a note committed by the app.
	type done struct {
		body string
		at   time.Time
	}
	var (
		mu        sync.Mutex
		committed []done
		failures  []string
		stop      = make(chan struct{})
		wg        sync.WaitGroup
	)
	post := func(body string) (int, error) {
		form := url.Values{"body": {body}, "_csrf": {token}}
		req, err := http.NewRequest(http.MethodPost, app.srv.URL+"/notes", strings.NewReader(form.Encode()))
		if err != nil {
			return 0, err
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		res, err := c.http.Do(req)
		if err != nil {
			return 0, err
		}
		res.Body.Close()
		return res.StatusCode, nil
	}
	for w := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				body := fmt.Sprintf("writer %d note %d", w, i)
				status, err := post(body)
				mu.Lock()
				if err != nil || status != http.StatusSeeOther {
					failures = append(failures, fmt.Sprintf("%s: status %d, %v", body, status, err))
				} else {
					committed = append(committed, done{body, time.Now()})
				}
				mu.Unlock()
			}
		}()
	}
	waitFor := func(n int) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for {
			mu.Lock()
			got := len(committed)
			mu.Unlock()
			if got >= n {
				return
			}
			if time.Now().After(deadline) {
				close(stop)
				wg.Wait()
				t.Fatalf("only %d notes committed; failures: %v", got, failures)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	waitFor(20)

	// The backup, as the CLI runs it: a second process would open the file
	// with its own connections, so this does too.
	var path string
	if err := app.db.Read.QueryRowContext(ctx, `SELECT file FROM pragma_database_list WHERE name = 'main'`).Scan(&path); err != nil {
		t.Fatal(err)
	}
	cli, err := db.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	out := filepath.Join(t.TempDir(), "backup.db")

	mu.Lock()
	before := append([]done(nil), committed...)
	mu.Unlock()
	start := time.Now()
	backupErr := cli.Backup(ctx, out)
	end := time.Now()
	waitFor(len(before) + 40) // writes go on after the backup too
	close(stop)
	wg.Wait()
	if backupErr != nil {
		t.Fatalf("backup: %v", backupErr)
	}
	if len(failures) > 0 {
		t.Fatalf("%d requests failed while the backup ran, e.g. %s", len(failures), failures[0])
	}
	during := 0
	for _, d := range committed {
		if d.at.After(start) && d.at.Before(end) {
			during++
		}
	}
	t.Logf("backup took %v; %d notes committed before it, %d during it, %d in all",
		end.Sub(start).Round(time.Millisecond), len(before), during, len(committed))
	if during == 0 {
		t.Fatalf("no request finished while the backup ran: the backup blocked the app")
	}

	// The copy stands alone: open it read-only, with no -wal file beside it.
	copyDB, err := sql.Open("sqlite3", "file:"+out+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer copyDB.Close()
	var integrity string
	if err := copyDB.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&integrity); err != nil {
		t.Fatalf("open the backup: %v", err)
	}
	if integrity != "ok" {
		t.Fatalf("integrity_check on the backup: %s", integrity)
	}
	var fkProblems int
	if err := copyDB.QueryRowContext(ctx, `SELECT count(*) FROM pragma_foreign_key_check`).Scan(&fkProblems); err != nil {
		t.Fatal(err)
	}
	if fkProblems != 0 {
		t.Fatalf("%d foreign key problems in the backup", fkProblems)
	}

	inCopy := map[string]bool{}
	rows, err := copyDB.QueryContext(ctx, `SELECT body FROM notes WHERE body LIKE 'writer %'`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var b string
		if err := rows.Scan(&b); err != nil {
			t.Fatal(err)
		}
		inCopy[b] = true
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	rows.Close()
	for _, d := range before {
		if !inCopy[d.body] {
			t.Fatalf("the backup lacks %q, committed before the backup started", d.body)
		}
	}
	if len(inCopy) > len(committed) {
		t.Fatalf("the backup has %d notes, more than the %d ever committed", len(inCopy), len(committed))
	}
	var seeds int
	var email string
	if err := copyDB.QueryRowContext(ctx, `SELECT count(*) FROM notes WHERE body LIKE 'seed %'`).Scan(&seeds); err != nil {
		t.Fatal(err)
	}
	if err := copyDB.QueryRowContext(ctx, `SELECT email FROM users`).Scan(&email); err != nil {
		t.Fatal(err)
	}
	if seeds != 4000 || email != "ada@example.com" {
		t.Fatalf("the backup has %d seed notes and user %q, want 4000 and ada@example.com", seeds, email)
	}

	// VACUUM INTO never overwrites: a second backup to the same path fails.
	if err := cli.Backup(ctx, out); err == nil {
		t.Fatalf("a backup over an existing file succeeded")
	}
}
