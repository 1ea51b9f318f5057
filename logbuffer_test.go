package main

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	"latchkey/internal/logtest"
)

// TestLogBuffer: an info line is held until the next flush (and reaches
// the writer within logFlushEvery or so), a warning goes out at once with
// what was held before it, and Close writes the rest.
func TestLogBuffer(t *testing.T) {
	var out logtest.Buffer
	buf := newLogBuffer(&out)
	log := slog.New(logHandler{slog.NewTextHandler(buf, nil), buf})

	log.Info("request", "path", "/login")
	deadline := time.Now().Add(2 * time.Second)
	for !strings.Contains(out.String(), "path=/login") {
		if time.Now().After(deadline) {
			t.Fatalf("the info line never reached the writer: %q", out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}

	log.Info("held")
	log.Warn("database slow")
	if got := out.String(); !strings.Contains(got, "msg=held") || !strings.Contains(got, `msg="database slow"`) {
		t.Fatalf("a warning must go out at once, with the lines before it: %q", got)
	}
	log.With("request_id", "abc").Error("failed")
	if got := out.String(); !strings.Contains(got, "request_id=abc msg=failed") && !strings.Contains(got, "msg=failed request_id=abc") {
		t.Fatalf("an error from a derived logger must go out at once: %q", got)
	}

	log.Info("last")
	if err := buf.Close(); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); !strings.Contains(got, "msg=last") {
		t.Fatalf("Close must write out the rest: %q", got)
	}
}
