package handlers

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"runtime/debug"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"latchkey/accounts"
	"latchkey/db"
)

// contentSecurityPolicy allows only our own files: no inline script or
// style, no framing, forms post only to us.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"

// securityHeaders sets the headers of DESIGN.md on every response.
// no-referrer everywhere keeps a token in a URL from leaking to another site
// through the Referer header; the app itself never reads Referer.
func securityHeaders(hsts bool) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			hd := c.Response().Header()
			hd.Set("Content-Security-Policy", contentSecurityPolicy)
			hd.Set("X-Content-Type-Options", "nosniff")
			hd.Set("X-Frame-Options", "DENY")
			hd.Set("Referrer-Policy", "no-referrer")
			hd.Set("Cross-Origin-Opener-Policy", "same-origin")
			hd.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()")
			if hsts {
				hd.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
			}
			if !strings.HasPrefix(c.Request().URL.Path, "/static/") {
				// Pages carry CSRF tokens and personal data: never cache them.
				hd.Set("Cache-Control", "no-store")
			}
			return next(c)
		}
	}
}

// requestID gives every request an id, echoed in X-Request-Id, in the log
// line, and on a 500 page so a user's report can be matched to the log.
// An id sent by the client is ignored: it could be used to forge log lines.
func requestID(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		c.Response().Header().Set(echo.HeaderXRequestID, newRequestID())
		return next(c)
	}
}

func newRequestID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// logRequests writes one line per request: method, path, status, duration,
// request id, client IP, and the user id on signed-in pages and on the
// request that signs in. It logs the path without the query string (token
// links carry their secret there) and never a header, cookie or form value.
func (h *Handlers) logRequests(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		if err != nil {
			c.Error(err)
		}
		status := c.Response().Status
		attrs := []slog.Attr{
			slog.String("method", c.Request().Method),
			slog.String("path", c.Request().URL.Path),
			slog.Int("status", status),
			slog.Duration("duration", time.Since(start)),
			slog.String("request_id", c.Response().Header().Get(echo.HeaderXRequestID)),
			slog.String("ip", c.RealIP()),
		}
		if u, ok := c.Get(ctxUser).(db.User); ok {
			attrs = append(attrs, slog.Int64("user_id", u.ID))
		} else if id, ok := c.Get(ctxSignedIn).(int64); ok {
			attrs = append(attrs, slog.Int64("user_id", id))
		}
		level := slog.LevelInfo
		if status >= 500 {
			level = slog.LevelError
		}
		h.log.LogAttrs(c.Request().Context(), level, "request", attrs...)
		return nil
	}
}

// recoverPanics turns a panic into a 500 page and logs the stack with the
// request id. It renders the page of every error itself, so that the error
// handler runs inside the recovery too: when the error page panics (say,
// it reads a session that was never loaded), the answer is still a 500.
func (h *Handlers) recoverPanics(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if err := h.recovering(c, next); err != nil {
			h.handleError(err, c)
		}
		return nil
	}
}

// recovering runs next and returns its panic as an error.
func (h *Handlers) recovering(c echo.Context, next echo.HandlerFunc) (err error) {
	defer func() {
		if r := recover(); r != nil {
			if r == http.ErrAbortHandler {
				panic(r)
			}
			h.logPanic(c, r)
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	return next(c)
}

func (h *Handlers) logPanic(c echo.Context, r any) {
	h.log.ErrorContext(c.Request().Context(), "panic", "request_id", c.Response().Header().Get(echo.HeaderXRequestID),
		"panic", fmt.Sprint(r), "stack", string(debug.Stack()))
}

// errRequestTooLarge is a body over the limit.
var errRequestTooLarge = errors.New("request body too large")

// limitBody refuses bodies over the limit with 413 before anything parses
// them. A declared Content-Length over the limit is refused unread; a
// chunked body, or one whose Content-Length lied, is read up to the limit
// and refused when there is more. Forms are small, so holding one in memory
// is cheap, and every later reader (CSRF, bind) sees the same bytes.
func limitBody(limit int64) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			r := c.Request()
			if r.ContentLength > limit {
				return errRequestTooLarge
			}
			if r.Body == nil || r.Body == http.NoBody {
				return next(c)
			}
			body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
			if err != nil {
				return echo.NewHTTPError(http.StatusBadRequest, "read body").SetInternal(err)
			}
			if int64(len(body)) > limit {
				return errRequestTooLarge
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
			return next(c)
		}
	}
}

// errCSRF is every CSRF failure: missing, wrong, or from another site.
var errCSRF = errors.New("csrf check failed")

// csrf wraps Echo's CSRF middleware. A state-changing request must come from
// our own pages (Sec-Fetch-Site, where the browser sends it) and carry the
// token (hidden field _csrf or header X-CSRF-Token). Echo alone accepts a
// same-origin Sec-Fetch-Site without a token; we want both checks, so the
// header is judged here and then hidden from Echo, which then always checks
// the token. Echo answers 400 for a missing token; every failure is a 403.
func (h *Handlers) csrf() echo.MiddlewareFunc {
	mw := middleware.CSRFWithConfig(middleware.CSRFConfig{
		TokenLookup:    "form:_csrf,header:X-CSRF-Token",
		CookieName:     "_csrf",
		CookiePath:     "/",
		CookieHTTPOnly: true,
		CookieSecure:   h.cfg.Secure,
		CookieSameSite: http.SameSiteLaxMode,
		CookieMaxAge:   int((24 * time.Hour).Seconds()),
		ContextKey:     ctxCSRF,
		Skipper:        skipStatic,
		ErrorHandler:   func(error, echo.Context) error { return errCSRF },
	})
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		protected := mw(next)
		return func(c echo.Context) error {
			r := c.Request()
			if !isSafeMethod(r.Method) {
				switch r.Header.Get("Sec-Fetch-Site") {
				case "", "same-origin", "none":
				default: // cross-site or same-site: a form on another origin
					return errCSRF
				}
			}
			r.Header.Del("Sec-Fetch-Site")
			return protected(c)
		}
	}
}

func isSafeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions || m == http.MethodTrace
}

func skipStatic(c echo.Context) bool {
	p := c.Request().URL.Path
	return strings.HasPrefix(p, "/static/") || p == "/healthz"
}

// loadSession is scs's LoadAndSave for Echo, skipped for static files and
// the health check so they never touch the session store.
func (h *Handlers) loadSession() echo.MiddlewareFunc {
	wrapped := echo.WrapMiddleware(h.sessions.LoadAndSave)
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		withSession := wrapped(func(c echo.Context) error {
			c.Set(ctxSessionLoaded, true)
			return next(c)
		})
		return func(c echo.Context) error {
			if skipStatic(c) {
				return next(c)
			}
			return withSession(c)
		}
	}
}

// Context keys.
const (
	ctxUser = "user"
	// ctxSignedIn is the id of the user this request just signed in, for
	// the request log.
	ctxSignedIn = "signed_in_user_id"
	ctxSession  = "user_session"
	ctxCSRF     = "csrf"
	// ctxSessionLoaded is set once scs has loaded the session: reading a
	// session before (a body refused by limitBody) or where none is loaded
	// (static files, the health check) panics inside scs.
	ctxSessionLoaded = "session_loaded"
)

// RequireUser lets a request through only with a live session: one ended
// from another device, or whose user was disabled or deleted, is signed out.
// Without one it answers 303 to /login?next=<this path>.
func (h *Handlers) RequireUser(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx := c.Request().Context()
		sid := h.sessions.GetString(ctx, sessionKeyID)
		if sid == "" {
			return redirectToLogin(c)
		}
		sess, user, err := h.accounts.SessionUser(ctx, sid)
		if errors.Is(err, accounts.ErrSessionEnded) {
			if err := h.sessions.Destroy(ctx); err != nil {
				return err
			}
			return redirectToLogin(c)
		}
		if err != nil {
			return err
		}
		c.Set(ctxUser, user)
		c.Set(ctxSession, sess)
		return next(c)
	}
}

func redirectToLogin(c echo.Context) error {
	r := c.Request()
	next := r.URL.Path
	if r.Method == http.MethodGet && r.URL.RawQuery != "" {
		next += "?" + r.URL.RawQuery
	}
	if r.Method != http.MethodGet {
		next = "/dashboard"
	}
	return c.Redirect(http.StatusSeeOther, loginURL(next))
}

// loginURL is /login?next=<path>. The slashes of the path stay as they are
// (a query may hold them unescaped), so the link reads the way DESIGN.md
// writes it, /login?next=/dashboard; everything else is query-escaped.
func loginURL(next string) string {
	return "/login?next=" + strings.ReplaceAll(url.QueryEscape(next), "%2F", "/")
}

// validUTF8 reports whether every value of a form is valid UTF-8 text
// without NUL or other control characters (tab and newlines aside).
func validText(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0x7f {
			return false
		}
	}
	return true
}

// currentUser is the signed-in user set by RequireUser.
func currentUser(c echo.Context) db.User {
	u, _ := c.Get(ctxUser).(db.User)
	return u
}

// currentSession is the session record set by RequireUser.
func currentSession(c echo.Context) db.UserSession {
	s, _ := c.Get(ctxSession).(db.UserSession)
	return s
}
