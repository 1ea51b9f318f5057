// Package logtest collects what a server logs so that a test can read it:
// the in-process app's slog output in the handler tests, the real
// binary's stdout and stderr in internal/apptest. It imports no Latchkey
// package.
package logtest

import (
	"bytes"
	"sync"
)

// Buffer is an io.Writer that many goroutines may write to while a test
// reads it (a bytes.Buffer alone is not safe for that).
type Buffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String is everything written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Len is how many bytes have been written so far; String()[n:] is what was
// written after Len returned n.
func (b *Buffer) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Len()
}
