package handlers

import (
	"maps"
	"sync"
	"time"

	"github.com/alexedwards/scs/v2"
)

// sessionCodec is scs's gob codec that remembers what it decoded: the one
// cache the session layer keeps, because the load benchmark showed it is
// needed (docs/PERFORMANCE.md, "The session layer"). scs decodes the
// session on every request that carries a cookie, and gob builds a new
// decoder, types and all, each time: about 190 of the 280 allocations of
// a signed-in page view's session work, and without it GET /dashboard
// fell from about 0.42 to 0.33 of its baseline.
//
// It is safe because it holds no authority and nothing that can go stale.
// The key is the row's bytes themselves, which the store reads from the
// table on every request, so a deleted or changed row is never answered
// from here; the same bytes always decode to the same values; and who is
// signed in is decided by the user_sessions record those values point to,
// which accounts.SessionUser reads on every signed-in request. The bytes
// written are scs's gob, as before, so rows already in the table load and
// an older release can still read the rows this one writes.
//
// Only sessions whose values are all immutable (strings, numbers, bools,
// times) are kept, and each request gets its own copy of the map, so no
// request can see another's changes; at most max decodings are kept (a
// few MiB), so a flood of new sessions cannot grow it.
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
