package main

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"sync"
	"time"

	"latchkey/handlers"
)

// logBuffer batches the server's request log into few writes: it flushes
// every logFlushEvery, when its 64 KiB fill, at once after any line that
// is not a request line below warning level (logHandler: the start line,
// the cleanup's and the mail worker's lines, every warning and error), and
// when the server stops.
//
// Why: the request log is a line per request, and written one write(2) at
// a time it cost a seventh of a cheap request's CPU (GET /login: 0.63 of
// bare Echo with the lines, 0.73 without; the 429s of a flood 0.58 and
// 0.74, docs/PERFORMANCE.md), most of it the system call and the wake-up of
// whatever reads the other end of the pipe (journald, a container
// runtime). Batched, the lines reach the reader at most logFlushEvery
// late; a crash loses at most that much, never the panic itself, which the
// runtime writes straight to stderr. Only `latchkey serve` uses it: the
// other commands write their few lines directly.
type logBuffer struct {
	mu   sync.Mutex
	w    *bufio.Writer
	stop chan struct{}
	done chan struct{}
}

const logFlushEvery = 100 * time.Millisecond

func newLogBuffer(w io.Writer) *logBuffer {
	b := &logBuffer{w: bufio.NewWriterSize(w, 64<<10), stop: make(chan struct{}), done: make(chan struct{})}
	go b.run()
	return b
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.w.Write(p)
}

// Flush writes out what is buffered.
func (b *logBuffer) Flush() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.w.Flush()
}

func (b *logBuffer) run() {
	defer close(b.done)
	t := time.NewTicker(logFlushEvery)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			_ = b.Flush()
		case <-b.stop:
			return
		}
	}
}

// Close stops the flushing and writes out the rest.
func (b *logBuffer) Close() error {
	close(b.stop)
	<-b.done
	return b.Flush()
}

// logHandler flushes buf right after every record but the request log's
// below warning level, so that only the one line a request is batched and
// what an operator must see (the start line a supervisor waits for, a
// warning) is never held back.
type logHandler struct {
	slog.Handler
	buf *logBuffer
}

func (h logHandler) Handle(ctx context.Context, r slog.Record) error {
	err := h.Handler.Handle(ctx, r)
	if r.Level >= slog.LevelWarn || r.Message != handlers.RequestLogMessage {
		if ferr := h.buf.Flush(); err == nil {
			err = ferr
		}
	}
	return err
}

func (h logHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return logHandler{h.Handler.WithAttrs(attrs), h.buf}
}

func (h logHandler) WithGroup(name string) slog.Handler {
	return logHandler{h.Handler.WithGroup(name), h.buf}
}
