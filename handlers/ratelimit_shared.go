package handlers

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"log/slog"
	"math"
	"sync"
	"time"

	"latchkey/db"
)

// sharedLimiter keeps its buckets in PostgreSQL (db.TakeRateToken): one
// statement per limited request, whichever instance answers it. Keys are
// hashed, so the table holds no address or IP in clear, and prefixed with
// the kind of bucket.
//
// When the database cannot answer, the request is let through (and
// logged): it is about to fail at the database anyway, and refusing every
// client for an outage would turn it into a lockout.
type sharedLimiter struct {
	db       *db.DB
	prefix   string
	burst    int
	interval time.Duration
	now      func() time.Time
	log      *slog.Logger

	mu        sync.Mutex
	nextSweep time.Time
}

// sharedLimitTimeout bounds the limiter's statement: a slow database must
// not hold a request at the door.
const sharedLimitTimeout = 2 * time.Second

func newSharedLimiter(d *db.DB, prefix string, s limitSettings, now func() time.Time, log *slog.Logger) *sharedLimiter {
	return &sharedLimiter{db: d, prefix: prefix + ":", burst: s.burst, interval: s.interval, now: now, log: log}
}

func (l *sharedLimiter) key(key string) string {
	sum := sha256.Sum256([]byte(key))
	return l.prefix + base64.RawURLEncoding.EncodeToString(sum[:])
}

func (l *sharedLimiter) allow(key string) (time.Duration, bool) {
	now := l.now()
	l.sweep(now)
	ctx, cancel := context.WithTimeout(context.Background(), sharedLimitTimeout)
	defer cancel()
	allowed, tokens, err := l.db.TakeRateToken(ctx, l.key(key), l.burst, l.interval, now)
	if err != nil {
		l.log.Error("rate limit", "err", err)
		return 0, true
	}
	if allowed {
		return 0, true
	}
	return l.wait(tokens), false
}

func (l *sharedLimiter) peek(key string) (time.Duration, bool) {
	ctx, cancel := context.WithTimeout(context.Background(), sharedLimitTimeout)
	defer cancel()
	tokens, err := l.db.PeekRateTokens(ctx, l.key(key), l.burst, l.interval, l.now())
	if err != nil {
		l.log.Error("rate limit", "err", err)
		return 0, true
	}
	if tokens >= 1 {
		return 0, true
	}
	return l.wait(tokens), false
}

// wait is how long until the bucket holds a whole token, in whole seconds
// (Retry-After has no finer unit), rounded up so a client waiting exactly
// that long is let in.
func (l *sharedLimiter) wait(tokens float64) time.Duration {
	secs := max(1, math.Ceil((1-tokens)*l.interval.Seconds()))
	return time.Duration(secs) * time.Second
}

// sweep forgets, once per refill period and in the background, the buckets
// idle for a whole refill: they are full again, the same as none.
func (l *sharedLimiter) sweep(now time.Time) {
	refill := time.Duration(l.burst) * l.interval
	l.mu.Lock()
	due := !now.Before(l.nextSweep)
	if due {
		l.nextSweep = now.Add(refill)
	}
	l.mu.Unlock()
	if !due {
		return
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := l.db.DeleteIdleRateBuckets(ctx, l.prefix, now.Add(-refill)); err != nil {
			l.log.Warn("rate limit sweep", "err", err)
		}
	}()
}
