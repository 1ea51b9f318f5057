package db

import (
	"maps"
	"sync"
	"time"

	"github.com/alexedwards/scs/v2"
)

// The session layer's two caches, the only session state kept in memory.
//
// A signed-in page view finds its scs row (sessionStore), decodes it
// (scs's gob) and then reads the user_sessions record, the authority on
// who is signed in (accounts.SessionUser). The load benchmark was run
// without these caches, with the decoded sessions alone, and with both:
// GET /dashboard gave 0.34, 0.40 and 0.43 of its baseline on average and
// cost 316, 226 and 209 µs of CPU a request (docs/PERFORMANCE.md, "The
// session layer"). Each cache is worth more than the 5 % the session layer
// may lose, so both are kept, here and nowhere else.
//
// Neither holds authority. Whether a request is signed in is decided by
// the user_sessions record, read from the database on every signed-in
// request, so ending a session (sign-out everywhere, the command line, a
// disabled account) takes effect at once whatever is cached here. The
// user's row, their role with it, is read in that same query
// (SessionUser), so a promotion or demotion counts at the next request.

// sessionCacheSize bounds each cache: a few hundred bytes a session, so a
// few MiB however many sessions or requests there are.
const sessionCacheSize = 10_000

// sessionCache keeps the scs rows that sessionStore found or wrote, so a
// signed-in page view costs one query (its user_sessions record) and not
// two.
//
// The copy is right because this process is the only writer of the
// sessions table: every Commit and Delete passes here and updates it, and
// an entry past its expiry is treated as gone. (The command line ends
// sessions by deleting user_sessions records, never scs rows.) Were a
// second process ever to write the same rows, this copy would not see its
// writes: sessionStore alone would.
type sessionCache struct {
	store *sessionStore

	// writing serializes a write with its update of the copy, so the copy
	// ends in the same state as the table (the writer connection
	// serializes the writes themselves anyway).
	writing sync.Mutex
	mu      sync.Mutex
	rows    map[string]cachedRow
	max     int
	version uint64 // bumped by every write, so a slow Find cannot cache stale data
}

type cachedRow struct {
	data   []byte
	expiry time.Time
}

func newSessionCache(store *sessionStore, max int) *sessionCache {
	return &sessionCache{store: store, rows: map[string]cachedRow{}, max: max}
}

// Find returns the session data for token, from memory when it is there.
func (s *sessionCache) Find(token string) ([]byte, bool, error) {
	now := time.Now()
	s.mu.Lock()
	c, ok := s.rows[token]
	version := s.version
	s.mu.Unlock()
	if ok {
		if now.Before(c.expiry) {
			return c.data, true, nil
		}
		s.mu.Lock()
		if c2, still := s.rows[token]; still && !now.Before(c2.expiry) {
			delete(s.rows, token)
		}
		s.mu.Unlock()
		return nil, false, nil
	}
	data, expiry, found, err := s.store.lookup(token)
	if err != nil || !found {
		return nil, false, err
	}
	s.remember(token, cachedRow{data: data, expiry: expiry}, version)
	return data, true, nil
}

// Commit stores the session data and its expiry.
func (s *sessionCache) Commit(token string, b []byte, expiry time.Time) error {
	s.writing.Lock()
	defer s.writing.Unlock()
	if err := s.store.Commit(token, b, expiry); err != nil {
		s.written(token, nil)
		return err
	}
	s.written(token, &cachedRow{data: b, expiry: expiry})
	return nil
}

// Delete removes the session.
func (s *sessionCache) Delete(token string) error {
	s.writing.Lock()
	defer s.writing.Unlock()
	err := s.store.Delete(token)
	s.written(token, nil)
	return err
}

// written records a write that has reached the database: token now holds
// c (nil: nothing known), and every Find that started before it may have
// read older data, so none of them may fill the copy.
func (s *sessionCache) written(token string, c *cachedRow) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.version++
	delete(s.rows, token)
	if c != nil {
		s.put(token, *c)
	}
}

// remember keeps what Find read for token, unless a write happened since
// it read version.
func (s *sessionCache) remember(token string, c cachedRow, version uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.version == version {
		s.put(token, c)
	}
}

// put stores c; at the bound an arbitrary entry makes room (it is only read
// from the database again). s.mu is held.
func (s *sessionCache) put(token string, c cachedRow) {
	if _, ok := s.rows[token]; !ok && len(s.rows) >= s.max {
		for k := range s.rows {
			delete(s.rows, k)
			break
		}
	}
	s.rows[token] = c
}

// SessionCodec is scs's gob codec that remembers what it decoded. scs
// decodes the session on every request that carries a cookie, and gob
// builds a new decoder, types and all, each time: about 190 allocations
// and 28 µs, two thirds of the session work of a signed-in page view.
//
// The key is the row's bytes themselves and the same bytes always decode
// to the same values, so nothing here can go stale: a changed row is new
// bytes, a deleted one is never found. The bytes written are scs's gob, as
// before this cache and without it, so rows already in the table load and
// an older release reads the rows this one writes.
//
// Only sessions whose values are all immutable (strings, numbers, bools,
// times) are kept, and each request gets its own copy of the map, so no
// request can see another's changes through a shared slice or pointer.
type SessionCodec struct {
	gob     scs.GobCodec
	mu      sync.Mutex
	decoded map[string]decodedSession
	max     int
}

type decodedSession struct {
	deadline time.Time
	values   map[string]any
}

// NewSessionCodec returns the codec for scs's SessionManager.Codec.
func NewSessionCodec() *SessionCodec {
	return &SessionCodec{decoded: map[string]decodedSession{}, max: sessionCacheSize}
}

// Encode is scs's gob encoding.
func (c *SessionCodec) Encode(deadline time.Time, values map[string]any) ([]byte, error) {
	return c.gob.Encode(deadline, values)
}

// Decode is scs's gob decoding, answered from memory for bytes it has
// decoded before.
func (c *SessionCodec) Decode(b []byte) (time.Time, map[string]any, error) {
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
