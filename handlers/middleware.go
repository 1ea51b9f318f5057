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
	"net/netip"
	"net/url"
	"runtime/debug"
	"strings"
	"sync"
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

// securityHeaders sets the headers of docs/ARCHITECTURE.md ("Headers and
// caching") on every response. no-referrer everywhere keeps a token in a
// URL from leaking to another site through the Referer header; the app
// itself never reads Referer. formTargets are the origins of the identity
// providers: the "Continue with …" forms post to us, and browsers apply
// form-action to the redirect that follows, to the provider.
func securityHeaders(hsts bool, formTargets []string) echo.MiddlewareFunc {
	csp := contentSecurityPolicy
	if len(formTargets) > 0 {
		csp = strings.Replace(csp, "form-action 'self'", "form-action 'self' "+strings.Join(formTargets, " "), 1)
	}
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			hd := c.Response().Header()
			hd.Set("Content-Security-Policy", csp)
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

// RequestLogMessage is the message of the request log's lines, which
// latchkey serve writes out in batches (package main, logbuffer.go).
const RequestLogMessage = "request"

// logRequests writes one line per request: method, path, status, duration,
// request id, client IP, and the user id on signed-in pages and on the
// request that signs in. It logs the path without the query string (token
// links carry their secret there) and never a header, cookie or form value.
// A static file answered without an error is logged at debug level only,
// as Phoenix's Plug.Static sits before its request logger: a page view
// fetches several, their names are fingerprinted, and the line cost a
// tenth of serving one.
func (h *Handlers) logRequests(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		if err != nil {
			c.Error(err)
		}
		status := c.Response().Status
		level := slog.LevelInfo
		switch {
		case status >= 500:
			level = slog.LevelError
		case status < 400 && strings.HasPrefix(c.Request().URL.Path, "/static/"):
			level = slog.LevelDebug
		}
		ctx := c.Request().Context()
		if !h.log.Enabled(ctx, level) {
			return nil
		}
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
		h.log.LogAttrs(ctx, level, RequestLogMessage, attrs...)
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

const (
	// csrfField is the hidden form field that carries the token.
	csrfField = "_csrf"
	// csrfHeader carries the token for scripts.
	csrfHeader = "X-CSRF-Token"
	// csrfBodyHeader hands the token from the request body to Echo's
	// middleware. Echo's form: lookup reads Request.Form, which holds the
	// query string as well as the body, and a token in a URL leaks
	// through logs, history and bookmarks; so the body's field alone is
	// copied here and Echo reads headers only.
	csrfBodyHeader = "Latchkey-Csrf-Body-Token"
	// csrfCookieMaxAge is how long the CSRF cookie lasts (Echo's default).
	csrfCookieMaxAge = 24 * time.Hour
)

// csrfCookieName is __Host-csrf under https: the browser then takes the
// cookie only when Secure, for Path=/ and without a Domain, so a sibling
// subdomain cannot plant a token of its choosing. (Browsers refuse
// __Host- cookies over plain http, so development keeps _csrf.)
func (h *Handlers) csrfCookieName() string {
	if h.cfg.Secure {
		return "__Host-csrf"
	}
	return "_csrf"
}

// csrf wraps Echo's CSRF middleware. A state-changing request must come from
// our own pages (Sec-Fetch-Site, where the browser sends it) and carry the
// token (hidden field _csrf in the body or header X-CSRF-Token, never the
// query string). Echo alone accepts a same-origin Sec-Fetch-Site without a
// token; we want both checks, so the header is judged here and then hidden
// from Echo, which then always checks the token. Echo answers 400 for a
// missing token; every failure is a 403.
func (h *Handlers) csrf() echo.MiddlewareFunc {
	mw := middleware.CSRFWithConfig(middleware.CSRFConfig{
		TokenLookup:    "header:" + csrfHeader + ",header:" + csrfBodyHeader,
		CookieName:     h.csrfCookieName(),
		CookiePath:     "/",
		CookieHTTPOnly: true,
		CookieSecure:   h.cfg.Secure,
		CookieSameSite: http.SameSiteLaxMode,
		CookieMaxAge:   int(csrfCookieMaxAge.Seconds()),
		ContextKey:     ctxCSRF,
		Skipper:        skipStatic,
		ErrorHandler:   func(error, echo.Context) error { return errCSRF },
	})
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		protected := mw(next)
		return func(c echo.Context) error {
			r := c.Request()
			r.Header.Del(csrfBodyHeader)
			if apiWithoutCookies(r) {
				// Nothing a browser sends on its own: a forged request
				// carries the victim's cookies, and any cookie at all,
				// a bearer token beside it or not, means the check runs.
				return next(c)
			}
			if !isSafeMethod(r.Method) {
				switch r.Header.Get("Sec-Fetch-Site") {
				case "", "same-origin", "none":
				default: // cross-site or same-site: a form on another origin
					return errCSRF
				}
				if tok := r.PostFormValue(csrfField); tok != "" {
					r.Header.Set(csrfBodyHeader, tok)
				}
			}
			r.Header.Del("Sec-Fetch-Site")
			return protected(c)
		}
	}
}

// renewCSRF gives this browser a new CSRF token, at sign-in: a token read
// or planted before the sign-in is then worth nothing after it. It replaces
// the cookie the CSRF middleware already set on this response, and the
// token of the page being rendered.
func (h *Handlers) renewCSRF(c echo.Context) {
	token := rand.Text()
	name := h.csrfCookieName()
	hdr := c.Response().Header()
	lines := hdr.Values("Set-Cookie")
	hdr.Del("Set-Cookie")
	for _, l := range lines {
		if !strings.HasPrefix(l, name+"=") {
			hdr.Add("Set-Cookie", l)
		}
	}
	http.SetCookie(c.Response(), &http.Cookie{Name: name, Value: token, Path: "/",
		Expires: time.Now().Add(csrfCookieMaxAge), Secure: h.cfg.Secure, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	c.Set(ctxCSRF, token)
}

// apiWithoutCookies is a request to the JSON API that carries no cookie:
// a program with a bearer token, or a token endpoint's client. It needs no
// CSRF token (DESIGN.md, "CSRF"), and it is given none, except by
// /api/auth/csrf, whose answer is the token.
func apiWithoutCookies(r *http.Request) bool {
	_, cookies := r.Header["Cookie"]
	return !cookies && isAPIPath(r.URL.Path) && r.URL.Path != "/api/auth/csrf"
}

// bearerOnly is an API request that carries an Authorization header and
// no cookie: apiSignIn then judges it by the header alone (a bad token is
// never rescued by a session), so it has no browser session to load or
// save, and an empty one would only cost a load and a save per request.
func bearerOnly(r *http.Request) bool {
	_, auth := r.Header["Authorization"]
	return auth && apiWithoutCookies(r)
}

func isSafeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions || m == http.MethodTrace
}

func skipStatic(c echo.Context) bool {
	p := c.Request().URL.Path
	return strings.HasPrefix(p, "/static/") || p == "/healthz"
}

// loadSession loads the scs session before the handler runs and saves it
// (saveSession) just before the response header is written, like scs's
// LoadAndSave but with our rules for what is written. Static files, the
// health check and bearer-only API requests are skipped, so they never
// touch the session store.
func (h *Handlers) loadSession() echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if skipStatic(c) || bearerOnly(c.Request()) {
				return next(c)
			}
			r := c.Request()
			var token string
			if ck, err := r.Cookie(h.sessions.Cookie.Name); err == nil {
				token = ck.Value
			}
			// A sign-in's renewal deletes the old row with the new one's
			// commit (db.Renewing); whatever is still held at the end goes.
			ctx, err := h.sessions.Load(db.SessionRenewals(r.Context()), token)
			defer func() {
				if err := db.FlushSessionRenewals(ctx); err != nil {
					h.log.ErrorContext(ctx, "delete renewed session", "err", err)
				}
			}()
			if err != nil {
				// The error page still reads a session: give it an empty one.
				ctx, _ = h.sessions.Load(r.Context(), "")
				c.SetRequest(r.WithContext(ctx))
				c.Set(ctxSessionLoaded, true)
				return fmt.Errorf("load session: %w", err)
			}
			c.SetRequest(r.WithContext(ctx))
			c.Set(ctxSessionLoaded, true)
			res := c.Response()
			res.Header().Add(echo.HeaderVary, "Cookie")
			var once sync.Once
			save := func() {
				once.Do(func() {
					err := h.saveSession(ctx, c, token != "")
					if err == nil {
						err = db.FlushSessionRenewals(ctx)
					}
					if err != nil {
						h.log.ErrorContext(ctx, "save session", "err", err,
							"request_id", res.Header().Get(echo.HeaderXRequestID))
						res.Status = http.StatusInternalServerError
					}
				})
			}
			res.Before(save)
			defer func() {
				// A handler that panicked may have changed the session half
				// way (a sign-in without its record): save none of it.
				if r := recover(); r != nil {
					once.Do(func() {})
					panic(r)
				}
			}()
			err = next(c)
			if err == nil && !res.Committed {
				save()
			}
			return err
		}
	}
}

// withOrigin puts where the request came from (its User-Agent and client
// IP) in its context, for the lines accounts writes to the activity log.
func withOrigin(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		c.SetRequest(r.WithContext(accounts.WithOrigin(r.Context(), origin(c))))
		return next(c)
	}
}

// loopbackOnly hides a route from every client not on this machine, with
// the 404 of a path that does not exist. It judges by the address of the
// connection, never by X-Forwarded-For: a client can write that header,
// and a trusted proxy would vouch for anyone.
func loopbackOnly(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		ap, err := netip.ParseAddrPort(c.Request().RemoteAddr)
		if err != nil || !ap.Addr().Unmap().IsLoopback() {
			return echo.ErrNotFound
		}
		return next(c)
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
		h.slideSession(ctx, sess)
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
// (a query may hold them unescaped), so the link reads the way
// docs/ARCHITECTURE.md writes it, /login?next=/dashboard; everything else
// is query-escaped.
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
