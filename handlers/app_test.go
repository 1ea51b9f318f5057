package handlers

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"net/http/httptest"

	"github.com/labstack/echo/v4"

	"latchkey/accounts"
	"latchkey/auth"
	"latchkey/db"
	"latchkey/internal/clocktest"
	"latchkey/internal/dbtest"
	"latchkey/internal/logtest"
)

// testApp is the real application — real SQLite file in t.TempDir(), real
// middleware, real handlers — served over loopback by httptest.
type testApp struct {
	t     testing.TB
	srv   *httptest.Server
	db    *db.DB
	acc   *accounts.Service
	h     *Handlers
	logs  *logtest.Buffer
	clock *clocktest.Clock
}

type testConfig struct {
	handlers  Config
	mailLimit int
	// routes, when set, adds test-only routes (e.g. one that panics) to the
	// real server before it starts serving.
	routes func(*echo.Echo)
	// dbPath, when set, is the database file (default: a new one in
	// t.TempDir()), for tests that start the app on an existing database.
	dbPath string
	// providers are the identity providers configured, and providerClient
	// the client that calls them (nil: accounts' default).
	providers      []accounts.Provider
	providerClient *http.Client
	// dbURL, when set, is the PostgreSQL database (default: a new schema
	// when TEST_DATABASE_URL is set), for two apps on one database.
	dbURL string
}

// newTestApp starts the app. Options change the configuration.
func newTestApp(t testing.TB, opts ...func(*testConfig)) *testApp {
	t.Helper()
	app := startTestApp(t, opts...)
	app.t = t
	return app
}

// startTestApp is newTestApp for a fuzz target, which has a *testing.F: the
// app lives for the whole fuzz run, and each iteration makes a client and
// sets the client's t.
func startTestApp(t testing.TB, opts ...func(*testConfig)) *testApp {
	t.Helper()
	cfg := testConfig{
		handlers: Config{Dev: true, BaseURL: "http://latchkey.test", AppName: "Latchkey", RateBurst: 1000, RateInterval: time.Millisecond,
			SudoWindow: 10 * time.Minute, SessionLifetime: 720 * time.Hour, SessionIdleTimeout: 168 * time.Hour},
		mailLimit: 100,
	}
	for _, o := range opts {
		o(&cfg)
	}
	// As package main resolves RATE_LIMIT_PASSWORD_*: unset, the per-IP numbers.
	if cfg.handlers.PasswordBurst == 0 {
		cfg.handlers.PasswordBurst = cfg.handlers.RateBurst
	}
	if cfg.handlers.PasswordInterval == 0 {
		cfg.handlers.PasswordInterval = cfg.handlers.RateInterval
	}
	if cfg.dbPath == "" && cfg.dbURL == "" {
		cfg.dbURL, cfg.dbPath = dbtest.Target(t)
	}
	d, err := db.Connect(context.Background(), cfg.dbURL, cfg.dbPath)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(func() { cancel(); d.Close() })
	if err := d.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	logs := &logtest.Buffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	clock := clocktest.New(time.Now())
	hasher := testHasher(t)
	acc, err := accounts.New(accounts.Config{DB: d, Hasher: hasher, Policy: auth.Policy{MinScore: auth.DefaultMinPasswordScore},
		TTL:     auth.TokenTTLs{Login: 15 * time.Minute, VerifyEmail: 24 * time.Hour, ResetPassword: time.Hour},
		BaseURL: cfg.handlers.BaseURL, AppName: cfg.handlers.AppName, MailLimit: cfg.mailLimit, MailWindow: 15 * time.Minute,
		SessionLifetime: cfg.handlers.SessionLifetime, SessionIdleTimeout: cfg.handlers.SessionIdleTimeout, UnconfirmedTTL: 168 * time.Hour, ActivityRetention: 2160 * time.Hour,
		Log: log, Now: clock.Now, Providers: cfg.providers, ProviderClient: cfg.providerClient, SecretKey: testSecretKey})
	if err != nil {
		t.Fatal(err)
	}
	sessions := NewSessions(d.SessionStore(ctx), cfg.handlers.Secure)
	h := New(cfg.handlers, d, acc, sessions, log, clock.Now)
	e, err := h.Server()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.routes != nil {
		cfg.routes(e)
	}
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	return &testApp{srv: srv, db: d, acc: acc, h: h, logs: logs, clock: clock}
}

var (
	hasherOnce sync.Once
	sharedHash *auth.Hasher
)

// testHasher is one Hasher for the whole test binary: its dummy hash costs
// a real argon2id run.
func testHasher(t testing.TB) *auth.Hasher {
	hasherOnce.Do(func() {
		var err error
		sharedHash, err = auth.NewHasher(auth.Params, 0)
		if err != nil {
			t.Fatal(err)
		}
	})
	return sharedHash
}

// client is one browser: a cookie jar, no redirects followed.
type client struct {
	t    testing.TB
	app  *testApp
	http *http.Client
	// header is sent with every request (e.g. X-Forwarded-For, User-Agent).
	header http.Header
}

func (a *testApp) client() *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: a.t, app: a, header: http.Header{},
		http: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// response is a finished response with its body read.
type response struct {
	*http.Response
	body string
}

func (c *client) do(req *http.Request) *response {
	c.t.Helper()
	for k, v := range c.header {
		req.Header[k] = v
	}
	res, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return &response{Response: res, body: string(b)}
}

func (c *client) get(path string) *response {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodGet, c.app.srv.URL+path, nil)
	if err != nil {
		c.t.Fatal(err)
	}
	return c.do(req)
}

// cookie returns the value of a cookie the jar holds for the app.
func (c *client) cookie(name string) string {
	u, _ := url.Parse(c.app.srv.URL)
	for _, ck := range c.http.Jar.Cookies(u) {
		if ck.Name == name {
			return ck.Value
		}
	}
	return ""
}

// csrf returns this browser's CSRF token, loading a page first if needed.
func (c *client) csrf() string {
	c.t.Helper()
	if tok := c.cookie("_csrf"); tok != "" {
		return tok
	}
	res := c.get("/login")
	m := regexp.MustCompile(`name="_csrf" value="([^"]+)"`).FindStringSubmatch(res.body)
	if m == nil {
		c.t.Fatalf("no CSRF token on /login")
	}
	return m[1]
}

// postForm posts a form with this browser's CSRF token.
func (c *client) postForm(path string, form url.Values) *response {
	c.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if _, set := form["_csrf"]; !set {
		form.Set("_csrf", c.csrf())
	}
	return c.postRaw(path, form.Encode())
}

// postRaw posts a body as-is (no CSRF added).
func (c *client) postRaw(path, body string) *response {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodPost, c.app.srv.URL+path, strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.do(req)
}

// signup creates an account through the real form, confirms its address
// with the link from the outbox in this same browser, and expects to end
// signed in: the state of a new user who has just confirmed.
func (c *client) signup(name, email, password string) {
	c.t.Helper()
	c.signupUnconfirmed(name, email, password)
	c.confirmSignup(c.app.lastLink(strings.TrimSpace(email), "/verify-email"), "")
}

// signupUnconfirmed posts the signup form and expects the check-your-email
// answer; the account exists but cannot be used yet.
func (c *client) signupUnconfirmed(name, email, password string) {
	c.t.Helper()
	res := c.postForm("/signup", url.Values{"name": {name}, "email": {email}, "password": {password}})
	assertStatus(c.t, res, http.StatusSeeOther)
	assertLocation(c.t, res, "/verify-request")
}

// confirmSignup opens a confirmation link and presses its button (typing
// password when given), expecting to land on the dashboard.
func (c *client) confirmSignup(link, password string) {
	c.t.Helper()
	assertStatus(c.t, c.get(link), http.StatusOK)
	form := url.Values{"token": {tokenOf(c.t, link)}}
	if password != "" {
		form.Set("password", password)
	}
	res := c.postForm("/verify-email", form)
	assertStatus(c.t, res, http.StatusSeeOther)
	assertLocation(c.t, res, "/dashboard")
}

func (c *client) login(email, password string) *response {
	c.t.Helper()
	return c.postForm("/login", url.Values{"email": {email}, "password": {password}})
}

func assertStatus(t testing.TB, res *response, want int) {
	t.Helper()
	if res.StatusCode != want {
		t.Fatalf("%s %s: status %d, want %d\n%s", res.Request.Method, res.Request.URL.Path, res.StatusCode, want, excerpt(res.body))
	}
}

func assertLocation(t testing.TB, res *response, want string) {
	t.Helper()
	if got := res.Header.Get("Location"); got != want {
		t.Fatalf("%s %s: Location %q, want %q", res.Request.Method, res.Request.URL.Path, got, want)
	}
}

func assertContains(t testing.TB, res *response, want string) {
	t.Helper()
	if !strings.Contains(res.body, want) {
		t.Fatalf("%s %s: body does not contain %q\n%s", res.Request.Method, res.Request.URL.Path, want, excerpt(res.body))
	}
}

func assertNotContains(t testing.TB, res *response, unwanted string) {
	t.Helper()
	if strings.Contains(res.body, unwanted) {
		t.Fatalf("%s %s: body contains %q", res.Request.Method, res.Request.URL.Path, unwanted)
	}
}

func excerpt(s string) string {
	if i := strings.Index(s, "<main"); i >= 0 {
		s = s[i:]
	}
	if len(s) > 1500 {
		s = s[:1500] + "…"
	}
	return s
}

// lastLink returns the newest link to path in the outbox for address to.
func (a *testApp) lastLink(to, path string) string {
	a.t.Helper()
	msgs, err := a.db.RecentMail(context.Background(), 100)
	if err != nil {
		a.t.Fatal(err)
	}
	re := regexp.MustCompile(regexp.QuoteMeta(a.h.cfg.BaseURL+path) + `\?token=[A-Za-z0-9_-]+`)
	for _, m := range msgs {
		if auth.SameEmail(m.To, to) {
			if l := re.FindString(m.Text); l != "" {
				return strings.TrimPrefix(l, a.h.cfg.BaseURL)
			}
		}
	}
	a.t.Fatalf("no mail to %s with a link to %s", to, path)
	return ""
}

const strongPassword = "correct horse battery staple"

// testSecretKey is the SECRET_KEY of the test apps.
var testSecretKey = []byte("0123456789abcdef0123456789abcdef")
