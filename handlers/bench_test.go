package handlers

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"latchkey/static"
)

// Micro-benchmarks of the hot paths inside a request; `make bench` runs
// them with -benchmem after the load benchmark.

// BenchmarkBindSignupForm binds and validates a correct signup form, as
// POST /signup does before anything is hashed.
func BenchmarkBindSignupForm(b *testing.B) {
	e := echo.New()
	body := url.Values{"name": {"Ada Lovelace"}, "email": {"ada@example.com"},
		"password": {strongPassword}, "_csrf": {strings.Repeat("x", 32)}}.Encode()
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, "/signup", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		c := e.NewContext(req, httptest.NewRecorder())
		var f signupForm
		if errs := bind(c, &f); errs != nil {
			b.Fatal(errs)
		}
	}
}

// BenchmarkLoadSession is the session work of a signed-in page view: scs
// loads the session from its cookie token, then accounts.SessionUser loads
// the session record and its user (real SQLite file).
func BenchmarkLoadSession(b *testing.B) {
	app := newTestApp(b)
	ctx := context.Background()
	user, err := app.db.CreateUser(ctx, "Ada Lovelace", "ada@example.com", "no password", app.clock.Now())
	if err != nil {
		b.Fatal(err)
	}
	sid, err := app.acc.RecordSession(ctx, user.ID, "bench", "127.0.0.1")
	if err != nil {
		b.Fatal(err)
	}
	sm := app.h.sessions
	sctx, err := sm.Load(ctx, "")
	if err != nil {
		b.Fatal(err)
	}
	sm.Put(sctx, sessionKeyID, sid)
	token, _, err := sm.Commit(sctx)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		rctx, err := sm.Load(ctx, token)
		if err != nil {
			b.Fatal(err)
		}
		_, u, err := app.acc.SessionUser(rctx, sm.GetString(rctx, sessionKeyID))
		if err != nil || u.ID != user.ID {
			b.Fatal("session did not load", err)
		}
	}
}

// BenchmarkServeStatic is the handler of GET /static/app.….css alone: the
// Accept-Encoding negotiation and the answer from the bytes compressed at
// start, for a browser (brotli) and for a client that asks for nothing.
func BenchmarkServeStatic(b *testing.B) {
	e := echo.New()
	path := static.Path("app.css")
	for _, tc := range []struct{ name, accept string }{{"browser", browserAcceptEncoding}, {"identity", ""}} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				req := httptest.NewRequest(http.MethodGet, path, nil)
				if tc.accept != "" {
					req.Header.Set("Accept-Encoding", tc.accept)
				}
				rec := httptest.NewRecorder()
				c := e.NewContext(req, rec)
				c.SetParamNames("file")
				c.SetParamValues(strings.TrimPrefix(path, "/static/"))
				if err := serveStatic(c); err != nil || rec.Code != http.StatusOK {
					b.Fatal(err, rec.Code)
				}
			}
		})
	}
}
