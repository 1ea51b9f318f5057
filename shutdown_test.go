package main

import (
	"context"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"latchkey/db"
	"latchkey/internal/apptest"
	"latchkey/internal/smtptest"
)

// A message whose delivery is under way when the operator stops the server
// (SIGTERM) is finished and recorded as sent before the process exits, so
// the restarted server does not send it a second time. The SMTP server takes
// the message and then holds its answer to DATA, so the signal arrives in
// the middle of the delivery.
func TestSIGTERMDuringDeliverySendsOnce(t *testing.T) {
	apptest.SkipShort(t)
	inbox := smtptest.Start(t)
	dbPath := filepath.Join(t.TempDir(), "latchkey.db")
	opts := apptest.Options{Database: dbPath, Settings: []string{"SMTP_URL=" + inbox.URL, "MAIL_FROM=Latchkey <no-reply@latchkey.test>"}}

	queueMail(t, dbPath, "first@example.com")
	release := inbox.HoldReplies()
	first := apptest.Run(t, opts)
	waitUntil(t, "the first message reaches the SMTP server", func() bool { return len(inbox.To("first@example.com")) == 1 })

	if err := syscall.Kill(first.Pid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// A server that does not wait for its mail worker is gone by now.
	time.Sleep(300 * time.Millisecond)
	release()
	if err := first.Stop(); err != nil {
		t.Fatalf("first run: %v\n%s", err, first.Logs())
	}

	// A second message, queued after the first: once it has arrived the
	// restarted worker has been through the outbox in order, first included.
	queueMail(t, dbPath, "second@example.com")
	second := apptest.Run(t, opts)
	waitUntil(t, "the second message arrives after the restart", func() bool { return len(inbox.To("second@example.com")) == 1 })
	if err := second.Stop(); err != nil {
		t.Fatalf("second run: %v\n%s", err, second.Logs())
	}

	if n := len(inbox.To("first@example.com")); n != 1 {
		t.Fatalf("the message being delivered at SIGTERM arrived %d times, want once\nfirst run:\n%s\nsecond run:\n%s", n, first.Logs(), second.Logs())
	}
}

// queueMail puts one message in the outbox of the database at path, as a
// request would.
func queueMail(t *testing.T, path, to string) {
	t.Helper()
	ctx := context.Background()
	d, err := db.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := d.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := d.EnqueueMail(ctx, to, "Hello "+to, "A message for "+to, "", time.Now(), false); err != nil {
		t.Fatal(err)
	}
}

func waitUntil(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestMain removes the binary apptest built for this package's tests.
func TestMain(m *testing.M) { apptest.Main(m) }
