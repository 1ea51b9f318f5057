package db

import (
	"context"
	"errors"
	"testing"
	"time"

	"latchkey/internal/dbtest"
)

// TestClaimMailLeases: a claimed message is nobody else's until its lease
// runs out, and then it is due again, as when its sender died mid-send;
// a message marked sent is never claimed again.
func TestClaimMailLeases(t *testing.T) {
	ctx := context.Background()
	d := openTestDB(t)
	now := time.Unix(1_700_000_000, 0)
	for _, to := range []string{"a@example.com", "b@example.com", "c@example.com"} {
		if err := d.EnqueueMail(ctx, to, "s", "t", "h", now, false); err != nil {
			t.Fatal(err)
		}
	}
	first, err := d.ClaimMail(ctx, now, time.Minute, 2)
	if err != nil || len(first) != 2 || first[0].To != "a@example.com" || first[1].To != "b@example.com" {
		t.Fatalf("first claim = %v, %v; want a and b", first, err)
	}
	second, err := d.ClaimMail(ctx, now, time.Minute, 2)
	if err != nil || len(second) != 1 || second[0].To != "c@example.com" {
		t.Fatalf("second claim = %v, %v; want only c", second, err)
	}
	if err := d.MarkMailSent(ctx, first[0].ID, now, true); err != nil {
		t.Fatal(err)
	}
	if again, err := d.ClaimMail(ctx, now.Add(59*time.Second), time.Minute, 10); err != nil || len(again) != 0 {
		t.Fatalf("within the lease: %v, %v; want nothing", again, err)
	}
	again, err := d.ClaimMail(ctx, now.Add(61*time.Second), time.Minute, 10)
	if err != nil || len(again) != 2 || again[0].To != "b@example.com" || again[1].To != "c@example.com" {
		t.Fatalf("after the lease: %v, %v; want b and c again (a was sent)", again, err)
	}
}

// TestClaimMailSkipsLockedRows: on PostgreSQL a sender whose claim is not
// yet committed does not hold up another: the second gets the other rows
// at once (FOR UPDATE SKIP LOCKED), not the same rows after a wait.
func TestClaimMailSkipsLockedRows(t *testing.T) {
	ctx := context.Background()
	d := openTestDB(t)
	if !d.Postgres() {
		t.Skip("PostgreSQL only: SQLite has one writer")
	}
	now := time.Unix(1_700_000_000, 0)
	for _, to := range []string{"a@example.com", "b@example.com", "c@example.com", "d@example.com"} {
		if err := d.EnqueueMail(ctx, to, "s", "t", "h", now, false); err != nil {
			t.Fatal(err)
		}
	}
	claimed := make(chan []Mail, 1)
	release := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- d.InTx(ctx, func(q *Queries) error {
			m, err := q.ClaimMail(ctx, now, time.Minute, 2)
			claimed <- m
			<-release
			return err
		})
	}()
	first := <-claimed
	quick, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	second, err := d.ClaimMail(quick, now, time.Minute, 2)
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if err != nil {
		t.Fatalf("the second claim waited for the first: %v", err)
	}
	if len(first) != 2 || len(second) != 2 {
		t.Fatalf("claims of %d and %d, want 2 and 2", len(first), len(second))
	}
	seen := map[int64]bool{}
	for _, m := range append(first, second...) {
		if seen[m.ID] {
			t.Fatalf("message %d claimed twice", m.ID)
		}
		seen[m.ID] = true
	}
}

// TestExclusively: on PostgreSQL a job runs on one instance at a time: while
// one holds it another skips the round, and once it is done it runs again.
func TestExclusively(t *testing.T) {
	ctx := context.Background()
	url, path := dbtest.Target(t)
	d, err := Connect(ctx, url, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	if err := d.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	other := d
	if d.Postgres() {
		// Another instance: its own pool on the same schema.
		other, err = OpenPostgres(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { other.Close() })
	}
	var inner bool
	ran, err := d.Exclusively(ctx, "job", func(ctx context.Context) error {
		var err error
		inner, err = other.Exclusively(ctx, "job", func(context.Context) error { return nil })
		return err
	})
	if err != nil || !ran {
		t.Fatalf("Exclusively = %v, %v; want it to run", ran, err)
	}
	if want := !d.Postgres(); inner != want {
		t.Fatalf("while running, another ran it too: %v, want %v", inner, want)
	}
	ran, err = other.Exclusively(ctx, "job", func(context.Context) error { return errors.New("boom") })
	if !ran || err == nil {
		t.Fatalf("after release: ran %v, err %v; want it run and its error back", ran, err)
	}
}

// TestBackupOnPostgresSaysPgDump: backup does not pretend on PostgreSQL.
func TestBackupOnPostgresSaysPgDump(t *testing.T) {
	d := openTestDB(t)
	if !d.Postgres() {
		t.Skip("PostgreSQL only")
	}
	if err := d.Backup(context.Background(), t.TempDir()+"/x.db"); !errors.Is(err, ErrBackupPostgres) {
		t.Fatalf("Backup = %v, want ErrBackupPostgres", err)
	}
}

// TestMailCapHoldsUnderConcurrency: requests at once for one address, each
// counting its mail and queueing one more only below the cap, queue no
// more than the cap: on SQLite the single writer orders them, on
// PostgreSQL the count holds the address until its transaction commits.
func TestMailCapHoldsUnderConcurrency(t *testing.T) {
	ctx := context.Background()
	d := openTestDB(t)
	now := time.Unix(1_700_000_000, 0)
	const limit, tries = 3, 12
	errs := make(chan error, tries)
	for range tries {
		go func() {
			errs <- d.InTx(ctx, func(q *Queries) error {
				n, err := q.CountMailSince(ctx, "Ada@example.com", now.Add(-time.Hour), false)
				if err != nil || n >= limit {
					return err
				}
				time.Sleep(20 * time.Millisecond) // widen the window between count and insert
				return q.EnqueueMail(ctx, "ada@example.com", "s", "t", "h", now, false)
			})
		}()
	}
	for range tries {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	n, err := d.CountMailSince(ctx, "ada@example.com", now.Add(-time.Hour), false)
	if err != nil || n != limit {
		t.Fatalf("%d messages queued, %v; want the cap, %d", n, err, limit)
	}
}
