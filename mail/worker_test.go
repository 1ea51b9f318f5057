package mail_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"latchkey/db"
	"latchkey/internal/clocktest"
	"latchkey/internal/dbtest"
	"latchkey/internal/logtest"
	"latchkey/internal/smtptest"
	"latchkey/mail"
)

// dbTarget is where a test's outbox lives: a new SQLite file, or a new
// schema on the PostgreSQL at TEST_DATABASE_URL (internal/dbtest), so the
// worker's claims, leases and exactly-once delivery are tested on both.
type dbTarget struct{ url, path string }

func newTarget(t *testing.T) dbTarget {
	url, path := dbtest.Target(t)
	return dbTarget{url: url, path: path}
}

func openDB(t *testing.T, where dbTarget) *db.DB {
	t.Helper()
	d, err := db.Connect(context.Background(), where.url, where.path)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return d
}

func newWorker(t *testing.T, d *db.DB, url string, clk *clocktest.Clock, logs *logtest.Buffer) *mail.Worker {
	t.Helper()
	s, err := mail.NewSMTP(url, from)
	if err != nil {
		t.Fatal(err)
	}
	w := mail.NewWorker(d, s, slog.New(slog.NewTextHandler(logs, nil)), false)
	w.Now = clk.Now
	return w
}

func enqueue(t *testing.T, d *db.DB, now time.Time, n int) {
	t.Helper()
	for i := range n {
		m, err := mail.Messages{}.LoginLink(fmt.Sprintf("user%d@example.com", i), "User", "http://latchkey.test/l?token=secret-link-"+fmt.Sprint(i), 15*time.Minute).Render()
		if err != nil {
			t.Fatal(err)
		}
		if err := d.EnqueueMail(context.Background(), m.To, m.Subject, m.Text, m.HTML, now, false); err != nil {
			t.Fatal(err)
		}
	}
}

type pending struct {
	attempts int
	next     time.Time
	lastErr  string
}

func pendingMail(t *testing.T, d *db.DB) []pending {
	t.Helper()
	rows, err := d.Read.Query(`SELECT attempts, next_attempt_at, last_error FROM outbox WHERE sent_at IS NULL ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []pending
	for rows.Next() {
		var p pending
		var next int64
		if err := rows.Scan(&p.attempts, &next, &p.lastErr); err != nil {
			t.Fatal(err)
		}
		p.next = time.Unix(next, 0)
		out = append(out, p)
	}
	return out
}

// An SMTP outage loses nothing: failed messages stay queued with their
// attempt counted and a retry time in the future, are not retried before
// it, and all go out once the server is back and the time has come.
func TestMailWorkerRetriesThroughOutage(t *testing.T) {
	ctx := context.Background()
	srv := smtptest.Start(t)
	d := openDB(t, newTarget(t))
	t.Cleanup(func() { d.Close() })
	clk := clocktest.New(time.Now())
	logs := &logtest.Buffer{}
	w := newWorker(t, d, srv.URL, clk, logs)

	enqueue(t, d, clk.Now(), 3)
	srv.Stop()
	if sent := w.DeliverDue(ctx); sent != 0 {
		t.Fatalf("sent %d with the server down", sent)
	}
	p := pendingMail(t, d)
	if len(p) != 3 {
		t.Fatalf("%d pending after a failed round, want 3", len(p))
	}
	for _, m := range p {
		if m.attempts != 1 || !m.next.After(clk.Now()) || m.lastErr == "" {
			t.Fatalf("after one failure: %+v (now %v), want 1 attempt, a future retry and the error", m, clk.Now())
		}
	}

	// A second round at the same moment tries nothing: backoff holds.
	if sent := w.DeliverDue(ctx); sent != 0 || pendingMail(t, d)[0].attempts != 1 {
		t.Fatal("retried before the backoff elapsed")
	}
	// Still down after the first backoff: a second attempt, a longer wait.
	clk.Advance(time.Minute)
	w.DeliverDue(ctx)
	p = pendingMail(t, d)
	if p[0].attempts != 2 || !p[0].next.After(clk.Now()) {
		t.Fatalf("after the second failure: %+v", p[0])
	}

	srv.Resume()
	if sent := w.DeliverDue(ctx); sent != 0 {
		t.Fatalf("sent %d before the retry time", sent)
	}
	clk.Advance(time.Minute)
	if sent := w.DeliverDue(ctx); sent != 3 {
		t.Fatalf("sent %d once the server was back, want 3", sent)
	}
	if p := pendingMail(t, d); len(p) != 0 {
		t.Fatalf("%d still pending", len(p))
	}
	if got := len(srv.Messages()); got != 3 {
		t.Fatalf("server received %d, want 3", got)
	}
	if strings.Contains(logs.String(), "token=") {
		t.Fatalf("a link reached the log:\n%s", logs.String())
	}
}

// Mail queued before a crash goes out after the restart: a new Worker on the
// reopened database delivers it, and only once.
func TestMailWorkerDeliversAfterRestart(t *testing.T) {
	ctx := context.Background()
	srv := smtptest.Start(t)
	where := newTarget(t)
	clk := clocktest.New(time.Now())
	logs := &logtest.Buffer{}

	d := openDB(t, where)
	enqueue(t, d, clk.Now(), 2)
	srv.Stop()
	newWorker(t, d, srv.URL, clk, logs).DeliverDue(ctx) // fails: one attempt recorded
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}

	srv.Resume()
	clk.Advance(10 * time.Minute)
	d = openDB(t, where)
	t.Cleanup(func() { d.Close() })
	w := newWorker(t, d, srv.URL, clk, logs)
	if sent := w.DeliverDue(ctx); sent != 2 {
		t.Fatalf("after restart sent %d, want 2", sent)
	}
	if sent := w.DeliverDue(ctx); sent != 0 {
		t.Fatalf("sent %d again", sent)
	}
	got := srv.Messages()
	if len(got) != 2 || !strings.Contains(got[0].Text, "secret-link-0") || !strings.Contains(got[1].Text, "secret-link-1") {
		t.Fatalf("received %+v", got)
	}
	// Production does not keep delivered links in the database.
	all, err := d.RecentMail(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range all {
		if m.SentAt.IsZero() || m.Text != "" || m.HTML != "" {
			t.Fatalf("delivered mail kept its body or was not marked sent: %+v", m)
		}
	}
}

// Run delivers on Wake without waiting for the poll interval.
func TestMailWorkerRunWakes(t *testing.T) {
	srv := smtptest.Start(t)
	d := openDB(t, newTarget(t))
	t.Cleanup(func() { d.Close() })
	clk := clocktest.New(time.Now())
	w := newWorker(t, d, srv.URL, clk, &logtest.Buffer{})
	w.Poll = time.Hour

	waitFor := func(n int) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for len(srv.Messages()) < n {
			if time.Now().After(deadline) {
				t.Fatalf("%d messages delivered within 5s, want %d", len(srv.Messages()), n)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	// The first message, queued before Run starts, goes out in Run's first
	// round; once it has arrived that round's query is over, so only Wake
	// can send the next ones (the poll is an hour).
	enqueue(t, d, clk.Now(), 1)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { w.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	waitFor(1)
	enqueue(t, d, clk.Now(), 2)
	w.Wake()
	waitFor(3)
}

// mailerFunc is a Mailer made of a function.
type mailerFunc func(context.Context, mail.Message) error

func (f mailerFunc) Send(ctx context.Context, m mail.Message) error { return f(ctx, m) }

// A shutdown that begins while a message is being sent lets that delivery
// finish and records it, so a restart does not send it again; the messages
// after it wait for the restart.
func TestMailWorkerStoppedMidDeliveryRecordsIt(t *testing.T) {
	d := openDB(t, newTarget(t))
	t.Cleanup(func() { d.Close() })
	clk := clocktest.New(time.Now())
	enqueue(t, d, clk.Now(), 2)
	ctx, stop := context.WithCancel(context.Background())
	var sends []string
	w := mail.NewWorker(d, mailerFunc(func(sendCtx context.Context, m mail.Message) error {
		sends = append(sends, m.To)
		stop() // the signal arrives while this message is on the wire
		return sendCtx.Err()
	}), slog.New(slog.NewTextHandler(&logtest.Buffer{}, nil)), false)
	w.Now = clk.Now

	if sent := w.DeliverDue(ctx); sent != 1 || len(sends) != 1 {
		t.Fatalf("sent %d (%q), want the one under way when the shutdown began", sent, sends)
	}
	p := pendingMail(t, d)
	if len(p) != 1 || p[0].attempts != 0 {
		t.Fatalf("pending after the shutdown: %+v, want only the second message, untried", p)
	}
}
