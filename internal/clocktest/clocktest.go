// Package clocktest is a clock that tests move by hand, for code that takes
// a `func() time.Time` (accounts, handlers, the rate limiter, the mail
// worker): a test can let a link expire or a bucket refill without
// sleeping. It imports no Latchkey package.
package clocktest

import (
	"sync"
	"time"
)

// Clock is safe to read from the server's goroutines while the test
// advances it.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// New is a clock that reads start until it is advanced.
func New(start time.Time) *Clock {
	return &Clock{now: start}
}

// Now is the clock's time; pass the method value (clock.Now) where the code
// under test wants a func() time.Time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// Set moves the clock to t, so two apps under test read the same time.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}
