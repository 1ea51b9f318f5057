package handlers

import (
	"maps"
	"net/http"
	"sync"
	"time"

	"github.com/alexedwards/scs/v2"
)

// NewSessions configures scs as docs/ARCHITECTURE.md ("Sessions") says:
// tokens stored hashed,
// HttpOnly SameSite=Lax cookie, Secure under https, a browser-session
// cookie unless "remember me" was ticked.
//
// scs's Lifetime is that of a visitor who is not signed in: an hour. The
// session of a signed-in user gets its own deadline at sign-in (signIn),
// SESSION_LIFETIME away, or for a remembered one SESSION_IDLE_TIMEOUT
// away and sliding (slideSession). What is saved, and when, is decided by
// saveSession, not by scs's LoadAndSave.
//
// scs gets no IdleTimeout on purpose. With one, scs marks every loaded
// session modified, so every signed-in page view re-encodes the session,
// writes it to SQLite through the single writer and sends a new cookie.
// The idle timeout is enforced instead on the session record, whose
// last-seen time accounts.SessionUser checks on every signed-in request and
// moves at most once a minute (see accounts.Service.SessionIdleTimeout):
// a read-only request then writes nothing. A remembered session's cookie
// slides the same way Auth.js's updateAge does, by at least a day at a
// time, so it costs one write a day, not one a request.
func NewSessions(store scs.Store, secure bool) *scs.SessionManager {
	sm := scs.New()
	sm.Store = store
	sm.Codec = newSessionCodec()
	sm.Lifetime = anonymousSessionLifetime
	sm.HashTokenInStore = true
	sm.Cookie.Name = "latchkey_session"
	sm.Cookie.HttpOnly = true
	sm.Cookie.SameSite = http.SameSiteLaxMode
	sm.Cookie.Secure = secure
	sm.Cookie.Path = "/"
	// Persist=false: the cookie ends with the browser unless RememberMe(true).
	sm.Cookie.Persist = false
	return sm
}

const (
	// anonymousSessionLifetime is the longest a session row of a visitor
	// who is not signed in lives: long enough to carry a message or "we
	// sent a link to …" to the next page, short enough that a flood of
	// anonymous requests leaves nothing behind for long.
	anonymousSessionLifetime = time.Hour
	// cookieReissueInterval is the least a remembered session's expiry
	// moves when its cookie is re-issued, and so how often at most it is.
	cookieReissueInterval = 24 * time.Hour
)

// sessionCodec is scs's gob codec that remembers what it decoded. scs
// decodes the session on every request that carries a cookie, and gob
// builds a new decoder, types and all, each time: a fifth of the CPU of a
// signed-in page view in the profile. The same session bytes always decode
// to the same values, so the result is kept, keyed by the bytes, and each
// request gets its own copy of the map to change.
//
// Only sessions whose values are all immutable (strings, numbers, bools,
// times) are kept, so no request can see another's changes through a
// shared slice or pointer; the memory is bounded like the store's copy.
type sessionCodec struct {
	gob     scs.GobCodec
	mu      sync.Mutex
	decoded map[string]decodedSession
	max     int
}

type decodedSession struct {
	deadline time.Time
	values   map[string]any
}

func newSessionCodec() *sessionCodec {
	return &sessionCodec{decoded: map[string]decodedSession{}, max: 10_000}
}

func (c *sessionCodec) Encode(deadline time.Time, values map[string]any) ([]byte, error) {
	return c.gob.Encode(deadline, values)
}

func (c *sessionCodec) Decode(b []byte) (time.Time, map[string]any, error) {
	c.mu.Lock()
	d, ok := c.decoded[string(b)]
	c.mu.Unlock()
	if ok {
		return d.deadline, maps.Clone(d.values), nil
	}
	deadline, values, err := c.gob.Decode(b)
	if err != nil || !immutableValues(values) {
		return deadline, values, err
	}
	c.mu.Lock()
	if len(c.decoded) >= c.max {
		for k := range c.decoded {
			delete(c.decoded, k)
			break
		}
	}
	c.decoded[string(b)] = decodedSession{deadline: deadline, values: maps.Clone(values)}
	c.mu.Unlock()
	return deadline, values, nil
}

func immutableValues(values map[string]any) bool {
	for _, v := range values {
		switch v.(type) {
		case string, bool, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64,
			float32, float64, time.Time, time.Duration:
		default:
			return false
		}
	}
	return true
}
