package handlers

import (
	"log/slog"
	"math"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"golang.org/x/time/rate"

	"latchkey/auth"
	"latchkey/db"
)

// limits holds the token buckets of the rate limits (docs/ARCHITECTURE.md,
// "Rate limits"): per client IP on every limited route, per (IP, email) for
// failed passwords, and per signed-in user on the settings forms that check
// a password or send mail. A bucket allows a burst, then one request per
// interval.
//
// There is deliberately no per-account bucket at sign-in: a flood from one
// IP would then lock the real owner out from everywhere. The per-user
// bucket is different: only requests already signed in as that user spend
// it, so a stranger cannot empty it, and it stops one session from testing
// addresses or passwords from many IPs at once.
//
// On SQLite the buckets are in memory (keyedLimiter); on PostgreSQL, where
// several instances share the database, in it (sharedLimiter), so that a
// client's attempts count together on every instance.
type limits struct {
	perIPKeys   buckets
	perPairKeys buckets
	perUserKeys buckets
}

// buckets is one kind of bucket, by key: allow spends a token, peek only
// looks; both say how long to wait when none is left.
type buckets interface {
	allow(key string) (time.Duration, bool)
	peek(key string) (time.Duration, bool)
}

// limitSettings are the numbers of one kind of bucket.
type limitSettings struct {
	burst    int
	interval time.Duration
}

// newLimits builds the buckets from the settings as given: the per-IP and
// per-user buckets have RATE_LIMIT_BURST and RATE_LIMIT_INTERVAL, the
// (IP, email) pair its own numbers (which package main resolves to the
// per-IP ones when they are not set).
func newLimits(perIP, perPair limitSettings, now func() time.Time, shared *db.DB, log *slog.Logger) *limits {
	if shared != nil && shared.Postgres() {
		return &limits{
			perIPKeys:   newSharedLimiter(shared, "ip", perIP, now, log),
			perPairKeys: newSharedLimiter(shared, "pair", perPair, now, log),
			perUserKeys: newSharedLimiter(shared, "user", perIP, now, log),
		}
	}
	return &limits{
		perIPKeys:   newKeyedLimiter(perIP.burst, perIP.interval, now),
		perPairKeys: newKeyedLimiter(perPair.burst, perPair.interval, now),
		perUserKeys: newKeyedLimiter(perIP.burst, perIP.interval, now),
	}
}

// perIP refuses a request with 429 once the client IP has used its burst.
// It runs before the handler, so a refusal costs no hash and no query.
func (l *limits) perIP(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if wait, ok := l.perIPKeys.allow(clientKey(c.RealIP())); !ok {
			return tooManyRequests(wait)
		}
		return next(c)
	}
}

// perUser refuses a request with 429 once the signed-in user has used their
// burst, whichever IPs the requests came from. It goes after RequireUser,
// which it needs to know the user, and before the handler, so a refusal
// costs no hash and sends no mail.
func (l *limits) perUser(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if wait, ok := l.perUserKeys.allow(userKey(currentUser(c).ID)); !ok {
			return tooManyRequests(wait)
		}
		return next(c)
	}
}

// userKey is the bucket key of a signed-in user.
func userKey(id int64) string { return "user:" + strconv.FormatInt(id, 10) }

// passwordAttemptAllowed reports whether this IP may try another password
// for this email; it spends nothing.
func (l *limits) passwordAttemptAllowed(ip, email string) (time.Duration, bool) {
	return l.perPairKeys.peek(pairKey(ip, email))
}

// passwordFailed spends one attempt of the (IP, email) pair.
func (l *limits) passwordFailed(ip, email string) {
	l.perPairKeys.allow(pairKey(ip, email))
}

// pairKey is the bucket of wrong passwords for one account from one client.
// The address is keyed here, once for every caller, by its canonical key
// (auth.EmailKey), so that sign-in and the settings page spend one bucket
// whatever the spelling: "ä@x", "Ä@X" and a fullwidth "ä@ｘ" are one
// account, and must not be three allowances of guesses. The forms refuse an
// address without a key; it falls back to its lower case here.
func pairKey(ip, email string) string {
	key, err := auth.EmailKey(email)
	if err != nil {
		key = strings.ToLower(strings.TrimSpace(email))
	}
	return clientKey(ip) + "\x00" + key
}

// clientKey is the bucket key of a client address. An IPv6 client is
// usually given a whole /64 and can pick a new address in it for every
// request, so IPv6 addresses share the bucket of their /64; an IPv4 address
// is its own key.
func clientKey(ip string) string {
	parsed := net.ParseIP(ip)
	if parsed == nil || parsed.To4() != nil {
		return ip
	}
	return parsed.Mask(net.CIDRMask(64, 128)).String() + "/64"
}

// errTooMany carries how long to wait to the error handler.
type errTooMany struct{ wait time.Duration }

func (e *errTooMany) Error() string { return "too many requests" }

func tooManyRequests(wait time.Duration) error { return &errTooMany{wait: wait} }

// retryAfter is the Retry-After value: retrySeconds as text.
func (e *errTooMany) retryAfter() string { return strconv.Itoa(e.retrySeconds()) }

// retrySeconds is the wait in whole seconds, at least 1: Retry-After has
// no finer unit.
func (e *errTooMany) retrySeconds() int { return max(1, int(math.Ceil(e.wait.Seconds()))) }

// keyedLimiter is one rate.Limiter per key. Memory stays bounded: a bucket
// that has been idle long enough to refill completely behaves exactly like a
// new one, so it is dropped. A sweep runs when a new key arrives after a
// refill period has passed since the last one, so the map holds at most the
// keys seen in the last two refill periods; it also runs when the map has
// doubled since the last sweep, which keeps its cost (linear in the map)
// amortised to a constant per new key.
type keyedLimiter struct {
	mu        sync.Mutex
	buckets   map[string]*bucket
	burst     int
	every     rate.Limit
	refill    time.Duration // time for an empty bucket to fill up
	now       func() time.Time
	nextSweep time.Time
	sweepSize int // sweep early when the map reaches this size
	visited   int // buckets looked at by sweeps, to test their cost
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

func newKeyedLimiter(burst int, interval time.Duration, now func() time.Time) *keyedLimiter {
	return &keyedLimiter{buckets: map[string]*bucket{}, burst: burst, every: rate.Every(interval),
		refill: time.Duration(burst) * interval, now: now, sweepSize: sweepEvery}
}

// sweepEvery is the smallest map size that triggers a sweep before the
// refill period has passed.
const sweepEvery = 10_000

func (k *keyedLimiter) get(key string, now time.Time) *bucket {
	b, ok := k.buckets[key]
	if !ok {
		if !now.Before(k.nextSweep) || len(k.buckets) >= k.sweepSize {
			k.sweep(now)
		}
		b = &bucket{lim: rate.NewLimiter(k.every, k.burst)}
		k.buckets[key] = b
	}
	b.seen = now
	return b
}

// sweep drops every bucket idle for at least a full refill: it is full
// again, so forgetting it changes nothing.
func (k *keyedLimiter) sweep(now time.Time) {
	k.visited += len(k.buckets)
	for key, b := range k.buckets {
		if now.Sub(b.seen) >= k.refill {
			delete(k.buckets, key)
		}
	}
	k.nextSweep = now.Add(k.refill)
	k.sweepSize = max(sweepEvery, 2*len(k.buckets))
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

// wait is how long until the bucket holds one whole token again, in whole
// seconds (Retry-After has no finer unit), checked against the limiter's
// own arithmetic so that a client waiting exactly that long is let in. It
// only reads the bucket: a refused request does not push the wait further.
func (k *keyedLimiter) wait(b *bucket, now time.Time) time.Duration {
	missing := 1 - b.lim.TokensAt(now)
	secs := max(1, math.Ceil(missing/float64(k.every)))
	d := time.Duration(secs) * time.Second
	for b.lim.TokensAt(now.Add(d)) < 1 {
		d += time.Second
	}
	return d
}
