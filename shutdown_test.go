package main

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"latchkey/db"
	"latchkey/internal/smtptest"
)

// A message whose delivery is under way when the operator stops the server
// (SIGTERM) is finished and recorded as sent before the process exits, so
// the restarted server does not send it a second time. The SMTP server takes
// the message and then holds its answer to DATA, so the signal arrives in
// the middle of the delivery.
func TestSIGTERMDuringDeliverySendsOnce(t *testing.T) {
	bin := buildLatchkey(t)
	inbox := smtptest.Start(t)
	dbPath := filepath.Join(t.TempDir(), "latchkey.db")

	queueMail(t, dbPath, "first@example.com")
	release := inbox.HoldReplies()
	first := startLatchkey(t, bin, dbPath, inbox.URL)
	waitUntil(t, "the first message reaches the SMTP server", func() bool { return len(inbox.To("first@example.com")) == 1 })

	if err := first.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// A server that does not wait for its mail worker is gone by now.
	time.Sleep(300 * time.Millisecond)
	release()
	first.wait(t)

	// A second message, queued after the first: once it has arrived the
	// restarted worker has been through the outbox in order, first included.
	queueMail(t, dbPath, "second@example.com")
	second := startLatchkey(t, bin, dbPath, inbox.URL)
	waitUntil(t, "the second message arrives after the restart", func() bool { return len(inbox.To("second@example.com")) == 1 })
	if err := second.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	second.wait(t)

	if n := len(inbox.To("first@example.com")); n != 1 {
		t.Fatalf("the message being delivered at SIGTERM arrived %d times, want once\nfirst run:\n%s\nsecond run:\n%s", n, first.logs(), second.logs())
	}
}

// buildLatchkey builds the binary from this module, as `make build` does.
func buildLatchkey(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "latchkey")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
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

type process struct {
	cmd  *exec.Cmd
	log  string // the file that holds its output
	done chan error
}

func (p *process) logs() string {
	b, err := os.ReadFile(p.log)
	if err != nil {
		return err.Error()
	}
	return string(b)
}

// startLatchkey runs `latchkey serve` on a free port of 127.0.0.1 with the
// database at dbPath, delivering mail to smtpURL.
func startLatchkey(t *testing.T, bin, dbPath, smtpURL string) *process {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	dir := t.TempDir()
	p := &process{cmd: exec.Command(bin, "serve"), log: filepath.Join(dir, "latchkey.log"), done: make(chan error, 1)}
	out, err := os.Create(p.log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { out.Close() })
	p.cmd.Dir = dir // no .env of the repository is read
	p.cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"),
		"APP_ENV=development",
		"DATABASE_PATH=" + dbPath,
		"LISTEN_ADDR=" + addr,
		"BASE_URL=http://" + addr,
		"SMTP_URL=" + smtpURL,
		"MAIL_FROM=Latchkey <no-reply@latchkey.test>",
		"LOG_LEVEL=info",
	}
	p.cmd.Stdout, p.cmd.Stderr = out, out
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- p.cmd.Wait() }()
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			_ = p.cmd.Process.Kill()
		}
	})
	return p
}

// wait waits for the process to exit by itself and fails the test unless it
// exited cleanly.
func (p *process) wait(t *testing.T) {
	t.Helper()
	select {
	case err := <-p.done:
		if err != nil {
			t.Fatalf("latchkey exited with %v\n%s", err, p.logs())
		}
	case <-time.After(20 * time.Second):
		_ = p.cmd.Process.Kill()
		t.Fatalf("latchkey did not exit within 20s of SIGTERM\n%s", p.logs())
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
