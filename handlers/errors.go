package handlers

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"latchkey/auth"
	"latchkey/internal/timetext"
	"latchkey/views"
)

// render writes a templ component with a status code. The page is rendered
// into a pooled buffer and sent in one write with its Content-Length:
// templ flushes its writer after every component, and on the response each
// flush is a chunk and a write(2) of its own (in the profile of GET /login
// a third of the CPU went to those writes). Rendering first also means a
// template error still gets the error page instead of half a page.
func render(c echo.Context, status int, t templ.Component) error {
	return renderKept(c, status, t, nil)
}

// renderKept is render; keep, when not nil, is given the page's bytes
// (to copy: the buffer goes back to the pool) before they are sent.
func renderKept(c echo.Context, status int, t templ.Component, keep func([]byte)) error {
	buf := pageBuffers.Get().(*bytes.Buffer)
	buf.Reset()
	defer func() {
		// A rare huge page should not stay pinned in the pool.
		if buf.Cap() <= 256<<10 {
			pageBuffers.Put(buf)
		}
	}()
	if err := t.Render(c.Request().Context(), buf); err != nil {
		return fmt.Errorf("render page: %w", err)
	}
	if keep != nil {
		keep(buf.Bytes())
	}
	return writePage(c, status, buf.Bytes())
}

// writePage sends a rendered page in one write with its Content-Length.
func writePage(c echo.Context, status int, page []byte) error {
	hd := c.Response().Header()
	hd.Set(echo.HeaderContentType, echo.MIMETextHTMLCharsetUTF8)
	hd.Set(echo.HeaderContentLength, strconv.Itoa(len(page)))
	c.Response().WriteHeader(status)
	_, err := c.Response().Write(page)
	return err
}

// refusalPages keeps the 429 pages that signed-out clients get, by their
// message. A flood of refused attempts comes from scripts with no session,
// and every refusal they get is one of a few pages, one per wait in
// seconds; rendering each again was the largest part of a refusal's cost
// (PERFORMANCE.md, "A refusal from memory"). Only a page that depends on
// nothing but its message is kept: no session, so no name, no flash and no
// CSRF token in it (keepable). It holds at most maxRefusalPages pages;
// past that, a page is rendered as before.
type refusalPages struct {
	mu    sync.RWMutex
	pages map[string][]byte
}

const maxRefusalPages = 64

func (r *refusalPages) get(message string) ([]byte, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	page, ok := r.pages[message]
	return page, ok
}

func (r *refusalPages) put(message string, page []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.pages == nil {
		r.pages = make(map[string][]byte)
	}
	if len(r.pages) < maxRefusalPages {
		r.pages[message] = bytes.Clone(page)
	}
}

// keepable reports whether p is the same for every signed-out client: the
// layout of such a page shows no name, no flash and no form (a name is
// only ever set with SignedIn, by page).
func keepable(p views.Page) bool {
	return !p.SignedIn && p.Flash == ""
}

var pageBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// errFormRefused is a form whose hidden fields bind refused (bytes no page
// of ours puts there): there is no form to show again, so it is a 422 page.
var errFormRefused = errors.New("form refused before validation")

// handleError is Echo's error handler: every error becomes a page, and a
// 500 never shows internals, only the request id that is in the log. It
// never panics: should the error page itself panic, the answer is a 500
// with a last-resort page that cannot fail.
func (h *Handlers) handleError(err error, c echo.Context) {
	defer func() {
		if r := recover(); r != nil {
			if r == http.ErrAbortHandler {
				panic(r)
			}
			h.logPanic(c, r)
			lastResortPage(c, h.cfg.AppName)
		}
	}()
	h.errorPage(err, c)
}

// lastResortHTML is the 500 page for when the error page failed: no
// layout, no session, no template, nothing that could fail again.
const lastResortHTML = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="description" content="Sorry, something went wrong on our side. Please try again in a moment.">
<title>Something went wrong · %s</title></head>
<body><main><h1>Something went wrong</h1><p>Sorry, something went wrong on our side. Please try again in a moment.</p>
<p>Reference: <code>%s</code></p><p><a href="/">Go to the home page</a></p></main></body></html>
`

func lastResortPage(c echo.Context, appName string) {
	res := c.Response()
	if res.Committed {
		return // part of an answer is out; nothing more can be said
	}
	body := fmt.Sprintf(lastResortHTML, html.EscapeString(appName), html.EscapeString(res.Header().Get(echo.HeaderXRequestID)))
	hd := res.Header()
	for _, k := range []string{"Content-Encoding", "Etag", "Last-Modified", "Retry-After", "Vary"} {
		hd.Del(k)
	}
	hd.Set(echo.HeaderContentType, echo.MIMETextHTMLCharsetUTF8)
	hd.Set(echo.HeaderContentLength, strconv.Itoa(len(body)))
	hd.Set("Cache-Control", "no-store")
	res.WriteHeader(http.StatusInternalServerError)
	if c.Request().Method != http.MethodHead {
		_, _ = io.WriteString(res, body)
	}
}

// errorPage renders the page of err; under /api/ its JSON branch answers
// instead, so no HTML page ever answers the JSON API.
func (h *Handlers) errorPage(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	if isAPIPath(c.Request().URL.Path) {
		h.writeAPIError(err, c)
		return
	}
	status, heading, message := http.StatusInternalServerError, "Something went wrong",
		"Sorry, something went wrong on our side. Please try again in a moment."
	var he *echo.HTTPError
	var tooMany *errTooMany
	var denied *forbidden
	var impossible *conflict
	if errors.As(err, &denied) && strings.HasPrefix(c.Request().URL.Path, "/api/") {
		// An HTML page never answers /api/ (DESIGN.md, "API").
		_ = c.JSON(http.StatusForbidden, map[string]string{"error": "forbidden"})
		return
	}
	switch {
	case errors.As(err, &denied):
		status, heading, message = http.StatusForbidden, "Not allowed", denied.message
	case errors.As(err, &impossible):
		status, heading, message = http.StatusConflict, "That can't be done", impossible.message
	case errors.As(err, &tooMany):
		status, heading = http.StatusTooManyRequests, "Too many attempts"
		c.Response().Header().Set("Retry-After", tooMany.retryAfter())
		message = "You've made too many attempts in a short time. Please wait " + timetext.Seconds(tooMany.retrySeconds()) + " and try again."
	case errors.Is(err, errCSRF):
		status, heading = http.StatusForbidden, "This form has expired"
		message = "For your security, forms expire and only work from this site. Go back, reload the page and try again."
	case errors.Is(err, errFormRefused):
		status, heading = http.StatusUnprocessableEntity, "We couldn't accept that"
		message = "What was sent has characters or a length that no page of ours sends. Go back, reload the page and try again."
	case errors.Is(err, auth.ErrInvalidEmail):
		// The forms refuse such an address with their own 422; this is for
		// one that reaches accounts some other way: still not our failure.
		status, heading = http.StatusUnprocessableEntity, "We can't use that email address"
		message = "The part after the @ isn't a valid domain name, or the address has characters we can't accept. Go back, check it for typos and try again."
	case errors.Is(err, errRequestTooLarge):
		status, heading, message = http.StatusRequestEntityTooLarge, "That was too much", "The form you sent is larger than we accept."
	case errors.As(err, &he):
		status = he.Code
		switch he.Code {
		case http.StatusNotFound:
			heading, message = "Page not found", "We couldn't find that page. Check the address, or start again from the home page."
		case http.StatusMethodNotAllowed:
			heading, message = "Not allowed", "That page can't be used this way."
		case http.StatusForbidden:
			heading, message = "Not allowed", "You don't have access to this page."
		case http.StatusRequestEntityTooLarge:
			heading, message = "That was too much", "The form you sent is larger than we accept."
		case http.StatusBadRequest:
			heading, message = "Bad request", "We couldn't understand that request."
		default:
			if he.Code < 500 {
				heading, message = http.StatusText(he.Code), "We couldn't do that."
			} else {
				status = http.StatusInternalServerError
			}
		}
	}
	rid := c.Response().Header().Get(echo.HeaderXRequestID)
	if status >= 500 {
		if errors.Is(err, context.Canceled) {
			// The client went away; nobody will read the page.
			return
		}
		h.log.ErrorContext(c.Request().Context(), "request failed", "request_id", rid, "err", err)
	} else {
		rid = ""
	}
	if wantsJSON(c.Request()) {
		// A script's request (the passkey endpoints) reads the message
		// from JSON, with the same status as the page would have.
		if err := c.JSON(status, map[string]string{"error": message}); err != nil {
			h.log.ErrorContext(c.Request().Context(), "write error", "err", err)
		}
		return
	}
	p := h.page(c, heading)
	if c.Request().Method == http.MethodHead {
		_ = c.NoContent(status)
		return
	}
	var keep func([]byte)
	if status == http.StatusTooManyRequests && keepable(p) {
		if page, ok := h.refusals.get(message); ok {
			if err := writePage(c, status, page); err != nil {
				h.log.DebugContext(c.Request().Context(), "write error page", "err", err)
			}
			return
		}
		keep = func(page []byte) { h.refusals.put(message, page) }
	}
	if err := renderKept(c, status, views.ErrorPage(p, status, heading, message, rid), keep); err != nil {
		h.log.ErrorContext(c.Request().Context(), "render error page", "err", err)
	}
}

// wantsJSON reports whether r came from a script that reads JSON: it sent
// JSON, or asked for JSON first.
func wantsJSON(r *http.Request) bool {
	ct := r.Header.Get(echo.HeaderContentType)
	return strings.HasPrefix(ct, echo.MIMEApplicationJSON) || strings.HasPrefix(r.Header.Get("Accept"), echo.MIMEApplicationJSON)
}

// authErrors are the pages of /auth/error?error=CODE, named as in Auth.js,
// with the status each answers: the failure happened on the request that
// redirected here, and a client (or a monitor) reading only the status
// should still see a failure.
var authErrors = map[string]struct {
	status                         int
	heading, message, action, href string
}{
	"Configuration": {http.StatusBadRequest, "Server error", "There is a problem with the server's configuration. Please try again later.", "", ""},
	"AccessDenied": {http.StatusForbidden, "Access denied", "Signing in was cancelled, or this account isn't allowed to sign in. If you meant to sign in, try again or use another way.",
		"Back to sign in", "/login"},
	"Verification": {http.StatusBadRequest, "This link can't be used", "The sign-in link is no longer valid. It may have been used already, or it may have expired. Links work once and for a limited time.",
		"Get a new link", "/login"},
	"OAuthCallbackError": {http.StatusBadRequest, "We couldn't finish signing you in", "Something went wrong between us and the sign-in provider, or the sign-in took too long or was started in another browser. Nothing was changed. Please start again.",
		"Back to sign in", "/login"},
	"OAuthAccountNotLinked": {http.StatusForbidden, "Sign in the usual way first", "An account with this email address already exists, and it isn't connected to that provider. Sign in with your password or an emailed link, then connect the provider from your settings under Connected accounts.",
		"Back to sign in", "/login"},
	"Default": {http.StatusBadRequest, "Something went wrong", "We couldn't sign you in. Please try again.", "Back to sign in", "/login"},
}

// authError renders /auth/error with the code's status (DESIGN.md:
// OAuthCallbackError 400, AccessDenied and OAuthAccountNotLinked 403,
// Verification 400, every other code 400). Unknown codes show Default; the
// code is never echoed back, so nothing from the URL reaches the page.
func (h *Handlers) authError(c echo.Context) error {
	code := c.QueryParam("error")
	e, ok := authErrors[code]
	if !ok {
		e = authErrors["Default"]
	}
	return render(c, e.status, views.AuthError(h.page(c, e.heading), e.heading, e.message, e.action, e.href))
}
