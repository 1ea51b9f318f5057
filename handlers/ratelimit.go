package handlers

import (
	"math"
	"strconv"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"golang.org/x/time/rate"
)

// limits holds the token buckets of DESIGN.md's rate limits: per client IP
// on every limited POST, and per (IP, email) for failed passwords. A bucket
// allows a burst, then one request per interval.
//
// There is deliberately no per-account bucket: a flood from one IP would
// then lock the real owner out from everywhere.
type limits struct {
	perIPKeys   *keyedLimiter
	perPairKeys *keyedLimiter
}

func newLimits(burst int, interval time.Duration, now func() time.Time) *limits {
	if burst < 1 {
		burst = 10
	}
	if interval <= 0 {
		interval = 6 * time.Second
	}
	return &limits{
		perIPKeys:   newKeyedLimiter(burst, interval, now),
		perPairKeys: newKeyedLimiter(burst, interval, now),
	}
}

// perIP refuses a request with 429 once the client IP has used its burst.
// It runs before the handler, so a refusal costs no hash and no query.
func (l *limits) perIP(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if wait, ok := l.perIPKeys.allow(c.RealIP()); !ok {
			return tooManyRequests(wait)
		}
		return next(c)
	}
}

// passwordAttemptAllowed reports whether this IP may try another password
// for this email; it spends nothing.
func (l *limits) passwordAttemptAllowed(ip, email string) (time.Duration, bool) {
	return l.perPairKeys.peek(ip + "\x00" + email)
}

// passwordFailed spends one attempt of the (IP, email) pair.
func (l *limits) passwordFailed(ip, email string) {
	l.perPairKeys.allow(ip + "\x00" + email)
}

// errTooMany carries how long to wait to the error handler.
type errTooMany struct{ wait time.Duration }

func (e *errTooMany) Error() string { return "too many requests" }

func tooManyRequests(wait time.Duration) error { return &errTooMany{wait: wait} }

// retryAfter is the Retry-After value in whole seconds, at least 1.
func (e *errTooMany) retryAfter() string {
	return strconv.Itoa(max(1, int(math.Ceil(e.wait.Seconds()))))
}

// keyedLimiter is one rate.Limiter per key. Memory stays bounded: a bucket
// that has been idle long enough to refill completely behaves exactly like a
// new one, so it is dropped; a sweep runs as the map grows.
type keyedLimiter struct {
	mu        sync.Mutex
	buckets   map[string]*bucket
	burst     int
	every     rate.Limit
	refill    time.Duration // time for an empty bucket to fill up
	now       func() time.Time
	nextSweep time.Time
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

func newKeyedLimiter(burst int, interval time.Duration, now func() time.Time) *keyedLimiter {
	return &keyedLimiter{buckets: map[string]*bucket{}, burst: burst, every: rate.Every(interval),
		refill: time.Duration(burst) * interval, now: now}
}

func (k *keyedLimiter) get(key string, now time.Time) *bucket {
	b, ok := k.buckets[key]
	if !ok {
		if now.After(k.nextSweep) || len(k.buckets) >= 10_000 && len(k.buckets)%10_000 == 0 {
			k.sweep(now)
		}
		b = &bucket{lim: rate.NewLimiter(k.every, k.burst)}
		k.buckets[key] = b
	}
	b.seen = now
	return b
}

// sweep drops every bucket idle for longer than a full refill.
func (k *keyedLimiter) sweep(now time.Time) {
	for key, b := range k.buckets {
		if now.Sub(b.seen) > k.refill {
			delete(k.buckets, key)
		}
	}
	k.nextSweep = now.Add(k.refill)
}

// allow spends one token for key; when none is left it reports how long
// until one is.
func (k *keyedLimiter) allow(key string) (time.Duration, bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	now := k.now()
	b := k.get(key, now)
	if b.lim.AllowN(now, 1) {
		return 0, true
	}
	return k.wait(b, now), false
}

// peek reports whether key has a token left, without spending it.
func (k *keyedLimiter) peek(key string) (time.Duration, bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	now := k.now()
	b, ok := k.buckets[key]
	if !ok || b.lim.TokensAt(now) >= 1 {
		return 0, true
	}
	return k.wait(b, now), false
}

func (k *keyedLimiter) wait(b *bucket, now time.Time) time.Duration {
	r := b.lim.ReserveN(now, 1)
	d := r.DelayFrom(now)
	r.CancelAt(now)
	return d
}

// size is the number of keys held (for tests of the memory bound).
//
//lint:ignore U1000 kept for the rate-limit tests.
func (k *keyedLimiter) size() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return len(k.buckets)
}
