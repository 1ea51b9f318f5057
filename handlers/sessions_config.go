package handlers

import (
	"net/http"
	"time"

	"github.com/alexedwards/scs/v2"

	"latchkey/db"
)

// NewSessions configures scs as DESIGN.md says: tokens stored hashed,
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
//
// The codec is scs's gob with its decodings remembered (db.SessionCodec);
// it and the store's copy of the rows are the session layer's only caches
// (db/session_cache.go).
func NewSessions(store scs.Store, secure bool) *scs.SessionManager {
	sm := scs.New()
	sm.Store = store
	sm.Codec = db.NewSessionCodec()
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
