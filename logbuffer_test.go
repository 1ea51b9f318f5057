package main

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	"latchkey/handlers"
	"latchkey/internal/logtest"
)

// TestLogBuffer: a request line is held until the next flush (and reaches
// the writer within logFlushEvery or so), a warning or any other line goes
// out at once with what was held before it, and Close writes the rest.
func TestLogBuffer(t *testing.T) {
	var out logtest.Buffer
	buf := newLogBuffer(&out)
	log := slog.New(logHandler{slog.NewTextHandler(buf, nil), buf})

	log.Info(handlers.RequestLogMessage, "path", "/login")
	deadline := time.Now().Add(2 * time.Second)
	for !strings.Contains(out.String(), "path=/login") {
		if time.Now().After(deadline) {
			t.Fatalf("the info line never reached the writer: %q", out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}

	log.Info(handlers.RequestLogMessage, "path", "/held")
	log.Warn("database slow")
	if got := out.String(); !strings.Contains(got, "path=/held") || !strings.Contains(got, `msg="database slow"`) {
		t.Fatalf("a warning must go out at once, with the lines before it: %q", got)
	}
	log.Info("listening", "addr", "127.0.0.1:8080")
	if got := out.String(); !strings.Contains(got, "addr=127.0.0.1:8080") {
		t.Fatalf("a line other than a request's must go out at once: %q", got)
	}
	log.With("request_id", "abc").Error("failed")
	if got := out.String(); !strings.Contains(got, "request_id=abc msg=failed") && !strings.Contains(got, "msg=failed request_id=abc") {
		t.Fatalf("an error from a derived logger must go out at once: %q", got)
	}

	log.Info(handlers.RequestLogMessage, "path", "/last")
	if err := buf.Close(); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); !strings.Contains(got, "path=/last") {
		t.Fatalf("Close must write out the rest: %q", got)
	}
}
