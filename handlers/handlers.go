// Package handlers is Latchkey's HTTP layer: every route (routes.go), the
// middleware, one file per feature, form binding and validation, and the one
// error handler that turns errors into pages (and, under /api/, into the
// JSON API's answers: api.go).
//
// A handler binds and validates a form, calls accounts (or db directly for
// a feature's plain reads and writes, like notes.go, and for the
// development mailbox's list of the outbox), then redirects with 303 or
// renders a view. Handlers hold no SQL, no hashing and no SMTP.
//
// It may import accounts, auth, db, device, views, static and
// internal/timetext (how pages write times), never mail: email is queued
// by accounts, and the mailbox page reads the outbox through db. Nothing
// imports handlers except package main.
package handlers

import (
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/labstack/echo/v4"

	"latchkey/accounts"
	"latchkey/db"
	"latchkey/views"
)

// Config is what the HTTP layer needs to know of the settings.
type Config struct {
	Dev     bool // development: /dev/mailbox exists
	Secure  bool // served over https: Secure cookies
	HSTS    bool // production: Strict-Transport-Security
	BaseURL string
	// AppName names the product in titles and the layout (APP_NAME).
	AppName        string
	TrustedProxies []string
	// RateBurst and RateInterval are the per-IP (and per-user) bucket of
	// the limited routes; PasswordBurst and PasswordInterval the (IP,
	// email) bucket of failed passwords. Every value is the setting's own:
	// the defaults live in package main's Config alone.
	RateBurst        int
	RateInterval     time.Duration
	PasswordBurst    int
	PasswordInterval time.Duration
	SudoWindow       time.Duration
	// SessionLifetime is the longest a signed-in session lasts, counted
	// from sign-in; SessionIdleTimeout how long a remembered session's
	// cookie lasts past its last re-issue.
	SessionLifetime    time.Duration
	SessionIdleTimeout time.Duration
}

// Handlers holds the dependencies of every handler; New builds it, and
// Server wires it into an Echo instance.
type Handlers struct {
	cfg      Config
	db       *db.DB
	accounts *accounts.Service
	sessions *scs.SessionManager
	log      *slog.Logger
	limits   *limits
	now      func() time.Time
	// providerButtons are the configured identity providers, made once.
	providerButtons []views.ProviderButton
	// refusals are the 429 pages of signed-out clients (errors.go).
	refusals refusalPages
}

// maxBodyBytes caps a request body before anything reads it: the largest
// form (a note) is a few KiB.
const maxBodyBytes = 64 << 10

// New returns the handlers. now may be nil (time.Now).
func New(cfg Config, d *db.DB, acc *accounts.Service, sessions *scs.SessionManager, log *slog.Logger, now func() time.Time) *Handlers {
	if now == nil {
		now = time.Now
	}
	h := &Handlers{cfg: cfg, db: d, accounts: acc, sessions: sessions, log: log, now: now}
	for _, p := range acc.ConfiguredProviders() {
		h.providerButtons = append(h.providerButtons, views.ProviderButton{ID: p.ID, Name: p.Name})
	}
	h.limits = newLimits(limitSettings{burst: cfg.RateBurst, interval: cfg.RateInterval},
		limitSettings{burst: cfg.PasswordBurst, interval: cfg.PasswordInterval}, now, d, log)
	return h
}

// Server returns the whole HTTP application: middleware, routes and the
// error handler.
func (h *Handlers) Server() (*echo.Echo, error) {
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.Logger.SetOutput(discard{})
	ipx, err := ipExtractor(h.cfg.TrustedProxies)
	if err != nil {
		return nil, err
	}
	e.IPExtractor = ipx
	e.HTTPErrorHandler = h.handleError
	e.Server.ReadHeaderTimeout = 10 * time.Second
	e.Server.ReadTimeout = 30 * time.Second
	e.Server.WriteTimeout = 30 * time.Second
	e.Server.IdleTimeout = 120 * time.Second
	e.Server.MaxHeaderBytes = 64 << 10
	h.Routes(e)
	return e, nil
}

// ipExtractor believes X-Forwarded-For only from the listed proxies: the
// client is the right-most address that is not a listed proxy, so whatever
// a client wrote to the left of it is ignored. With none listed, the client
// is the address of the connection and X-Forwarded-For is never read.
func ipExtractor(proxies []string) (echo.IPExtractor, error) {
	// Echo trusts loopback, link-local and private ranges by default; only
	// the listed proxies may speak for a client here.
	opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	listed := 0
	for _, p := range proxies {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		listed++
		if _, n, err := net.ParseCIDR(p); err == nil {
			opts = append(opts, echo.TrustIPRange(n))
			continue
		}
		ip := net.ParseIP(p)
		if ip == nil {
			return nil, &net.ParseError{Type: "TRUSTED_PROXIES address", Text: p}
		}
		bits := 128
		if ip.To4() != nil {
			ip, bits = ip.To4(), 32
		}
		opts = append(opts, echo.TrustIPRange(&net.IPNet{IP: ip, Mask: net.CIDRMask(bits, bits)}))
	}
	if listed == 0 {
		return echo.ExtractIPDirect(), nil
	}
	return echo.ExtractIPFromXFFHeader(opts...), nil
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// redirect answers a successful POST: 303 See Other, so the browser GETs
// the next page and a reload does not post again.
func redirect(c echo.Context, to string) error {
	return c.Redirect(http.StatusSeeOther, to)
}
