package handlers

import (
	"net/http"
	"time"

	"github.com/alexedwards/scs/v2"
)

// NewSessions configures scs as DESIGN.md says: tokens stored hashed,
// HttpOnly SameSite=Lax cookie, Secure under https, a browser-session
// cookie unless "remember me" was ticked.
func NewSessions(store scs.Store, lifetime, idle time.Duration, secure bool) *scs.SessionManager {
	sm := scs.New()
	sm.Store = store
	sm.Lifetime = lifetime
	sm.IdleTimeout = idle
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
