package handlers

import (
	"fmt"

	"github.com/labstack/echo/v4"

	"latchkey/db"
	"latchkey/views"
)

// Keys in the scs session. The session holds only the id of the user's
// session record; everything else is loaded from the database, so ending
// the record ends the session everywhere.
const (
	sessionKeyID    = "sid"
	sessionKeyFlash = "flash"
	// sessionKeyEmail is the address a link was just sent to, shown once on
	// /verify-request (kept out of the URL and so out of logs and history).
	sessionKeyEmail = "sent_to"
	// sessionKeyReset marks that the link just sent was a password reset,
	// so /verify-request says so (and the redirect is the same for both).
	sessionKeyReset = "sent_reset"
	// sessionKeyNext is where to go after signing in with an emailed link
	// requested from this browser (say, back to /settings).
	sessionKeyNext = "next"
)

// signIn starts a fresh session for user: a new session token (so a token
// planted before sign-in is worthless), a new session record, and a
// persistent cookie only when remember is set.
func (h *Handlers) signIn(c echo.Context, user db.User, remember bool) error {
	ctx := c.Request().Context()
	if old := h.sessions.GetString(ctx, sessionKeyID); old != "" {
		if err := h.accounts.EndSession(ctx, old); err != nil {
			return fmt.Errorf("sign in: %w", err)
		}
	}
	if err := h.sessions.RenewToken(ctx); err != nil {
		return fmt.Errorf("sign in: renew session: %w", err)
	}
	sid, err := h.accounts.RecordSession(ctx, user.ID, c.Request().UserAgent(), c.RealIP())
	if err != nil {
		return fmt.Errorf("sign in: %w", err)
	}
	h.sessions.Put(ctx, sessionKeyID, sid)
	h.sessions.RememberMe(ctx, remember)
	c.Set(ctxSignedIn, user.ID)
	return nil
}

// signOut ends the session on the server: its record and its scs data are
// deleted, so a copy of the old cookie is worth nothing.
func (h *Handlers) signOut(c echo.Context) error {
	ctx := c.Request().Context()
	if sid := h.sessions.GetString(ctx, sessionKeyID); sid != "" {
		if err := h.accounts.EndSession(ctx, sid); err != nil {
			return fmt.Errorf("sign out: %w", err)
		}
	}
	if err := h.sessions.Destroy(ctx); err != nil {
		return fmt.Errorf("sign out: %w", err)
	}
	return nil
}

func (h *Handlers) flash(c echo.Context, msg string) {
	h.sessions.Put(c.Request().Context(), sessionKeyFlash, msg)
}

// page returns what the layout needs. It reads the session only when the
// browser sent a session cookie, so a signed-out GET does no database work,
// and only where one was loaded: the error page of a static file, of the
// health check or of a body refused before the session is read has none.
func (h *Handlers) page(c echo.Context, title string) views.Page {
	p := views.Page{Title: title, AppName: h.cfg.AppName, Dev: h.cfg.Dev}
	p.CSRF, _ = c.Get(ctxCSRF).(string)
	if _, err := c.Cookie(h.sessions.Cookie.Name); err == nil && c.Get(ctxSessionLoaded) == true {
		ctx := c.Request().Context()
		p.SignedIn = h.sessions.GetString(ctx, sessionKeyID) != ""
		if h.sessions.Exists(ctx, sessionKeyFlash) {
			p.Flash = h.sessions.PopString(ctx, sessionKeyFlash)
		}
	}
	if u, ok := c.Get(ctxUser).(db.User); ok {
		p.SignedIn, p.UserName = true, u.Name
	}
	return p
}
