package handlers

import (
	"maps"
	"net/http"
	"sync"
	"time"

	"github.com/alexedwards/scs/v2"
)

// NewSessions configures scs as DESIGN.md says: tokens stored hashed,
// HttpOnly SameSite=Lax cookie, Secure under https, a browser-session
// cookie unless "remember me" was ticked.
//
// scs gets no IdleTimeout on purpose. With one, scs marks every loaded
// session modified, so every signed-in page view re-encodes the session,
// writes it to SQLite through the single writer and sends a new cookie.
// The idle timeout is enforced instead on the session record, whose
// last-seen time accounts.SessionUser checks on every signed-in request and
// moves at most once a minute (see accounts.Service.SessionIdleTimeout):
// a read-only request then writes nothing.
func NewSessions(store scs.Store, lifetime time.Duration, secure bool) *scs.SessionManager {
	sm := scs.New()
	sm.Store = store
	sm.Codec = newSessionCodec()
	sm.Lifetime = lifetime
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
