package handlers

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/labstack/echo/v4"

	"latchkey/accounts"
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
	// sessionKeySent is what kind of link was just sent (sentLogin,
	// sentReset, sentConfirmation), so /verify-request says so while the
	// redirect is the same for all.
	sessionKeySent = "sent_kind"
	// sessionKeySignedUp is the address this browser signed up with: its
	// confirmation link opens here without the password.
	sessionKeySignedUp = "signed_up"
	// sessionKeyNext is where to go after signing in with an emailed link
	// requested from this browser (say, back to /settings).
	sessionKeyNext = "next"
	// sessionKeyRemember is scs's own key behind RememberMe: it carries
	// nothing for the visitor, so it alone is no reason to keep a row.
	sessionKeyRemember = "__rememberMe"
)

// signIn starts a fresh session for user: a new session token (so a token
// planted before sign-in is worthless; on SQLite its row becomes the new
// one's in the same write, db.Renewing), a new session record, a new CSRF
// token, and a persistent cookie only when remember is set. method is how
// the user proved who they are (accounts.MethodPassword …), for the
// sign-in's line of the activity log.
func (h *Handlers) signIn(c echo.Context, user db.User, remember bool, method string) error {
	ctx := c.Request().Context()
	// The record's created_at is kept in whole seconds and taken just after
	// this: counting from the second before, the deadline can never pass
	// sign-in + SESSION_LIFETIME.
	now := h.now().Truncate(time.Second)
	if old := h.sessions.GetString(ctx, sessionKeyID); old != "" {
		if err := h.accounts.EndSession(ctx, old); err != nil {
			return fmt.Errorf("sign in: %w", err)
		}
	}
	if err := h.sessions.RenewToken(db.Renewing(ctx)); err != nil {
		return fmt.Errorf("sign in: renew session: %w", err)
	}
	sid, err := h.accounts.RecordSignIn(ctx, user.ID, method, c.Request().UserAgent(), c.RealIP())
	if err != nil {
		return fmt.Errorf("sign in: %w", err)
	}
	h.carrySignIn(c, user, remember, sid, now)
	return nil
}

// signInRecorded is signIn for a sign-in whose session record accounts
// has written already, in the transaction of its proof (the second
// factor's code, a passkey's use), together with the end of the record
// this browser was signed in to (currentSessionID): a new session token,
// then the same session as signIn's. The deadline counts from the
// record's created_at, so it never passes sign-in + SESSION_LIFETIME.
func (h *Handlers) signInRecorded(c echo.Context, in accounts.SignedIn, remember bool) error {
	if err := h.sessions.RenewToken(db.Renewing(c.Request().Context())); err != nil {
		return fmt.Errorf("sign in: renew session: %w", err)
	}
	h.carrySignIn(c, in.User, remember, in.Session.ID, in.Session.CreatedAt.Truncate(time.Second))
	return nil
}

// currentSessionID is the session record this browser is signed in to,
// if any: a new sign-in ends it.
func (h *Handlers) currentSessionID(c echo.Context) string {
	return h.sessions.GetString(c.Request().Context(), sessionKeyID)
}

// carrySignIn makes the renewed session carry the record sid of user,
// signed in at signedIn, with its deadline and a new CSRF token.
func (h *Handlers) carrySignIn(c echo.Context, user db.User, remember bool, sid string, signedIn time.Time) {
	ctx := c.Request().Context()
	h.sessions.Put(ctx, sessionKeyID, sid)
	h.sessions.RememberMe(ctx, remember)
	h.sessions.SetDeadline(ctx, h.signedInDeadline(signedIn, signedIn, remember))
	h.renewCSRF(c)
	c.Set(ctxSignedIn, user.ID)
}

// signedInDeadline is when a session signed in at signedIn ends, as seen
// at now: its row in the store and, when remembered, its cookie. A
// remembered session lasts SESSION_IDLE_TIMEOUT from its last re-issue,
// never past SESSION_LIFETIME from sign-in. One that is not remembered has
// a browser-session cookie; its row stays for SESSION_LIFETIME and its
// idle timeout is checked on the session record.
func (h *Handlers) signedInDeadline(signedIn, now time.Time, remember bool) time.Time {
	end := signedIn.Add(h.cfg.SessionLifetime)
	if remember {
		if idle := now.Add(h.cfg.SessionIdleTimeout); idle.Before(end) {
			return idle
		}
	}
	return end
}

// slideSession moves a remembered session's expiry later, as Auth.js's
// updateAge does, but only once it would move by a day or more: the
// session is then written and its cookie re-issued at most once a day,
// and every other signed-in page view writes nothing. The expiry never
// passes SESSION_LIFETIME from sign-in (sess.CreatedAt). Sessions from
// before this rule, whose deadline is already sign-in + lifetime, never
// need to move and keep their cookie.
func (h *Handlers) slideSession(ctx context.Context, sess db.UserSession) {
	if !h.sessions.GetBool(ctx, sessionKeyRemember) {
		return
	}
	next := h.signedInDeadline(sess.CreatedAt, h.now(), true)
	if next.Sub(h.sessions.Deadline(ctx)) >= cookieReissueInterval {
		h.sessions.SetDeadline(ctx, next)
	}
}

// signOut ends the session on the server: its record and its scs data are
// deleted, so a copy of the old cookie is worth nothing. A browser with no
// stored session has nothing to end, and nothing is written.
func (h *Handlers) signOut(c echo.Context) error {
	ctx := c.Request().Context()
	if sid := h.sessions.GetString(ctx, sessionKeyID); sid != "" {
		if err := h.accounts.EndSession(ctx, sid); err != nil {
			return fmt.Errorf("sign out: %w", err)
		}
	}
	if h.sessions.Token(ctx) == "" {
		return nil
	}
	if err := h.sessions.Destroy(ctx); err != nil {
		return fmt.Errorf("sign out: %w", err)
	}
	return nil
}

// liveSession reports whether this browser is signed in to a session whose
// record still stands. One ended elsewhere, idle too long or past its
// lifetime is not, and is forgotten here.
func (h *Handlers) liveSession(c echo.Context) (bool, error) {
	ctx := c.Request().Context()
	sid := h.sessions.GetString(ctx, sessionKeyID)
	if sid == "" {
		return false, nil
	}
	_, _, err := h.accounts.SessionUser(ctx, sid)
	switch {
	case errors.Is(err, accounts.ErrSessionEnded):
		return false, h.sessions.Destroy(ctx)
	case err != nil:
		return false, err
	}
	return true, nil
}

// saveSession stores what the request changed in the session, just before
// the response header is written, with the rules of docs/ARCHITECTURE.md
// ("Sessions") for what reaches the database:
//
//   - a session nothing changed writes nothing (the common case: every
//     signed-in page view that only reads);
//   - a visitor who is not signed in has a row only while it carries
//     something (a message, the address a link went to, where to go
//     next), for at most anonymousSessionLifetime; once nothing is left
//     the row is deleted and the cookie dropped, so a flood of anonymous
//     POSTs leaves no rows behind;
//   - a signed-in session keeps the deadline signIn or slideSession gave it.
//
// The cookie is written here rather than by scs so that its expiry is the
// row's to the second (scs rounds it a second up) and its Max-Age is
// counted on the app's clock.
func (h *Handlers) saveSession(ctx context.Context, c echo.Context, hadCookie bool) error {
	sm := h.sessions
	switch sm.Status(ctx) {
	case scs.Destroyed:
		h.writeSessionCookie(ctx, c, "", time.Time{})
		return nil
	case scs.Modified:
	default:
		return nil
	}
	if sm.GetString(ctx, sessionKeyID) == "" {
		if !carriesSomething(sm.Keys(ctx)) {
			if sm.Token(ctx) != "" {
				if err := sm.Destroy(ctx); err != nil {
					return fmt.Errorf("drop empty session: %w", err)
				}
			}
			if hadCookie {
				h.writeSessionCookie(ctx, c, "", time.Time{})
			}
			return nil
		}
		if limit := h.now().Add(anonymousSessionLifetime); sm.Deadline(ctx).After(limit) {
			sm.SetDeadline(ctx, limit)
		}
	}
	token, expiry, err := sm.Commit(ctx)
	if err != nil {
		return fmt.Errorf("save session: %w", err)
	}
	h.writeSessionCookie(ctx, c, token, expiry)
	return nil
}

func carriesSomething(keys []string) bool {
	for _, k := range keys {
		if k != sessionKeyRemember {
			return true
		}
	}
	return false
}

// writeSessionCookie sets the session cookie: token until expiry, or, with
// an empty token, a cookie that tells the browser to forget it. Only a
// remembered session's cookie outlives the browser.
func (h *Handlers) writeSessionCookie(ctx context.Context, c echo.Context, token string, expiry time.Time) {
	sc := h.sessions.Cookie
	ck := &http.Cookie{Name: sc.Name, Value: token, Domain: sc.Domain, Path: sc.Path,
		HttpOnly: sc.HttpOnly, SameSite: sc.SameSite, Secure: sc.Secure, Partitioned: sc.Partitioned}
	switch {
	case token == "":
		ck.Expires, ck.MaxAge = time.Unix(1, 0), -1
	case sc.Persist || h.sessions.GetBool(ctx, sessionKeyRemember):
		ck.Expires = time.Unix(expiry.Unix(), 0)
		ck.MaxAge = max(1, int(expiry.Sub(h.now())/time.Second))
	}
	http.SetCookie(c.Response(), ck)
}

func (h *Handlers) flash(c echo.Context, msg string) {
	h.sessions.Put(c.Request().Context(), sessionKeyFlash, msg)
}

// page returns what the layout needs. It reads the session only when the
// browser sent a session cookie, so a signed-out GET does no database work,
// and only where one was loaded: the error page of a static file, of the
// health check or of a body refused before the session is read has none.
func (h *Handlers) page(c echo.Context, title string) views.Page {
	p := views.Page{Title: title, AppName: h.cfg.AppName, Dev: h.cfg.Dev, Providers: h.providerButtons,
		Passkeys: h.accounts.PasskeysEnabled()}
	p.CSRF, _ = c.Get(ctxCSRF).(string)
	if _, err := c.Cookie(h.sessions.Cookie.Name); err == nil && c.Get(ctxSessionLoaded) == true {
		ctx := c.Request().Context()
		p.SignedIn = h.sessions.GetString(ctx, sessionKeyID) != ""
		if h.sessions.Exists(ctx, sessionKeyFlash) {
			p.Flash = h.sessions.PopString(ctx, sessionKeyFlash)
		}
	}
	if u, ok := c.Get(ctxUser).(db.User); ok {
		p.SignedIn, p.UserName, p.Admin = true, u.Name, u.IsAdmin()
	}
	return p
}
