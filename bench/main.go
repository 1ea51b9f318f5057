// Command bench is Latchkey's load benchmark: `make bench` (or
// `go run ./bench`). It builds the real binary, starts it on 127.0.0.1 with
// a fresh database, signs up a user, and measures every hot path against a
// baseline measured in the same run, alternating baseline and app
// (B A B A B A) so that the noise of a shared machine falls on both alike.
//
// The baselines:
//   - pages, static files and the JSON API's GETs (with a bearer token):
//     bare Echo in a child process answering from memory with the exact
//     bytes (status, headers, body) the app gave for the same request;
//   - POST /login: the raw argon2id rate, GOMAXPROCS goroutines checking a
//     hash in a loop in that child process (fresh, with the runtime's
//     defaults; in this one the rate moved with this process's heap).
//
// It prints one table with PASS/FAIL per target and exits 1 when a target
// fails. With -quick every scenario runs briefly and only "ran with no
// errors" is checked, so the harness itself is tested by `make test`.
//
// With -db postgres the app runs on PostgreSQL, in a new schema of the
// server at $TEST_DATABASE_URL or of one it starts with .ci/postgres.
//
// Issue 20's scenarios (scale.go) run the same requests on a database
// seeded with a million users, two million sessions, a million links and
// five million lines of activity (seed.go, bulk-inserted once per run and
// deleted after) against the empty one, issue 19's admin search and
// activity log on that database against bare Echo, a user with 10,000 sessions against one with one, the cleanup of a
// million expired rows, signups against the raw hash rate, the SQLite
// writer's own ceiling and a 2,000-connection flood. With -growth
// (growth.go) it measures how the cost of a request grows and draws it.
//
// It talks to the app over HTTP, except that it writes seeded rows into
// SQLite files with the SQLite driver before (and, for the many-sessions
// user and the admin's own activity, while) an instance serves them
// (seed.go, seed_admin.go), and runs
// `latchkey user promote`, the binary's own command. It may import auth (the password
// parameters of the raw-rate baseline), internal/apptest (which builds,
// starts and stops the binary, as for the tests), internal/dbtest (the
// PostgreSQL schema), gonum's plot (the charts) and, alone with handlers,
// Echo: the baseline server is bare Echo.
package main

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"latchkey/internal/apptest"
)

type options struct {
	quick      bool
	window     time.Duration // one repetition of one side
	reps       int
	flood      time.Duration
	conns      int
	floodConns int
	profileDir string
	only       *regexp.Regexp
	appEnv     []string
	keep       bool
	db         string // "sqlite" or "postgres"
	growth     string // with -growth: where the charts go
}

func main() {
	if os.Getenv(baselineEnv) == "1" {
		if err := serveBaseline(); err != nil {
			fmt.Fprintln(os.Stderr, "bench baseline:", err)
			os.Exit(2)
		}
		return
	}
	var o options
	flag.BoolVar(&o.quick, "quick", false, "run every scenario briefly and check only that it ran with no errors")
	flag.DurationVar(&o.window, "window", 5*time.Second, "duration of one run of one side (the baseline or the app)")
	flag.IntVar(&o.reps, "reps", 3, "runs of each side per scenario, alternating")
	flag.DurationVar(&o.flood, "flood", 10*time.Second, "duration of the login flood")
	flag.IntVar(&o.conns, "conns", 64, "connections of the ordinary scenarios")
	flag.IntVar(&o.floodConns, "flood-conns", 200, "connections of the floods")
	flag.StringVar(&o.profileDir, "profile", "", "build with the pprof tag and save a CPU profile of the app per scenario in this directory")
	only := flag.String("run", "", "run only the scenarios whose name matches this regular expression")
	flag.BoolVar(&o.keep, "keep", false, "keep the temporary directory (database, app logs) and print its path")
	growth := flag.Bool("growth", false, "measure how the cost of a request grows (database size, connections, sessions of a user), print the table and draw the charts into -growth-dir")
	flag.StringVar(&o.growth, "growth-dir", "docs", "where -growth writes its SVG charts")
	flag.StringVar(&o.db, "db", "sqlite", "the app's database: sqlite, or postgres (a new schema on $TEST_DATABASE_URL, or on a server started with .ci/postgres)")
	flag.Func("env", "extra KEY=VALUE setting for the app (repeatable), e.g. -env GOGC=50", func(s string) error {
		if !strings.Contains(s, "=") {
			return fmt.Errorf("want KEY=VALUE, not %q", s)
		}
		o.appEnv = append(o.appEnv, s)
		return nil
	})
	flag.Parse()
	o.only = regexp.MustCompile(*only)
	if o.quick {
		o.window, o.reps, o.flood = 500*time.Millisecond, 3, 2*time.Second
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *growth {
		if err := growthMain(ctx, o); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(2)
		}
		return
	}
	rows, err := runAll(ctx, o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
	if !printTable(os.Stdout, rows, o) {
		os.Exit(1)
	}
}

// check is one target of a scenario.
type check struct {
	what string // e.g. "ratio ≥ 0.55"
	got  string
	pass bool
}

// row is one scenario's line in the table.
type row struct {
	name        string
	app, base   result
	ratio       float64   // 0 when the scenario has no baseline
	appRate     float64   // the rate the ratio is about (all answers, or only 429s)
	pairRatios  []float64 // the ratio of each baseline run and the app run after it
	rss         int64
	checks      []check
	unexpected  int // answers with a status the scenario does not expect
	statusNotes string
}

const mib = 1 << 20

func runAll(ctx context.Context, o options) ([]row, error) {
	dir, err := os.MkdirTemp("", "latchkey-bench-")
	if err != nil {
		return nil, err
	}
	if o.keep {
		fmt.Fprintln(os.Stderr, "bench: keeping", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	var tags []string
	if o.profileDir != "" {
		tags = []string{"pprof"}
		if err := os.MkdirAll(o.profileDir, 0o755); err != nil {
			return nil, err
		}
	}
	if os.Getenv(apptest.BinaryEnv) == "" || len(tags) > 0 {
		fmt.Fprintln(os.Stderr, "bench: building the binary")
	}
	bin, err := apptest.Binary(ctx, tags...)
	defer apptest.RemoveBinaries()
	if err != nil {
		return nil, err
	}
	base, err := startBaseline()
	if err != nil {
		return nil, err
	}
	defer base.stop()
	if o.db == "postgres" {
		u, done, err := postgresSchema(ctx)
		if err != nil {
			return nil, err
		}
		defer done()
		o.appEnv = append([]string{"DATABASE_URL=" + u}, o.appEnv...)
	} else if o.db != "sqlite" {
		return nil, fmt.Errorf("-db %q: want sqlite or postgres", o.db)
	}

	// First instance: rate limits raised out of the way, so that what is
	// measured is the work of a request and not the limiter.
	raised := []string{"RATE_LIMIT_BURST=1000000000", "RATE_LIMIT_INTERVAL=1ns"}
	a, err := startApp(ctx, bin, dir, "limits-raised", append(raised, o.appEnv...), o.profileDir != "")
	if err != nil {
		return nil, err
	}
	defer a.stop()
	s, err := seed(a.base)
	if err != nil {
		return nil, fmt.Errorf("seed: %w\n%s", err, a.LogTail(20))
	}
	b := &bench{o: o, app: a, baseline: base, seed: s}
	// on keeps a scenario for one database only: the seeding and the
	// writer's ceiling write SQLite files, and on SQLite the admin area's
	// scenarios run on the seeded database (with the seeded rows, below),
	// on PostgreSQL unseeded, here.
	on := func(db string, run func(context.Context) (row, error)) func(context.Context) (row, error) {
		if o.db != db {
			return nil
		}
		return run
	}
	if o.db == "postgres" && (o.only.MatchString(nameAdminSearch) || o.only.MatchString(nameActivity)) {
		fmt.Fprintln(os.Stderr, "bench: the admin scenarios run unseeded on PostgreSQL")
		if err := promote(ctx, bin, a, s.email, o.appEnv); err != nil {
			return nil, err
		}
	}
	var signupRate float64

	// The table follows the order; the 429 flood runs last, on its
	// own instance.
	var rows []row
	for _, sc := range []struct {
		name string
		run  func(context.Context) (row, error)
	}{
		{nameLoginPage, func(ctx context.Context) (row, error) {
			return b.replayGET(ctx, nameLoginPage, "/login", nil, 0.65)
		}},
		{nameDashboard, func(ctx context.Context) (row, error) {
			return b.replayGET(ctx, nameDashboard, "/dashboard", http.Header{"Cookie": {s.browser.cookieHeader()}}, dashboardTarget(o))
		}},
		{nameAPISession, func(ctx context.Context) (row, error) {
			return b.replayAPI(ctx, nameAPISession, "/api/auth/session", 0, 0.5)
		}},
		{nameAPINotes, func(ctx context.Context) (row, error) {
			return b.replayAPI(ctx, nameAPINotes, "/api/notes", 5, 0.35)
		}},
		{"seeded", nil}, // the three seeded-database rows come here (below)
		{nameManySessions, on("sqlite", b.manySessions)},
		{nameLoginPost, b.loginPost},
		{nameLoginFlood, func(ctx context.Context) (row, error) {
			return b.loginFlood(ctx, fmt.Sprintf("%s, %d conns", nameLoginFlood, o.floodConns), o.floodConns)
		}},
		{nameLoginFlood2000, func(ctx context.Context) (row, error) {
			if b.floodRSS == 0 && o.only.MatchString(nameLoginFlood) {
				return row{}, fmt.Errorf("the %d-connection flood measured no peak", o.floodConns)
			}
			return b.loginFlood(ctx, nameLoginFlood2000+", limits raised", 2000)
		}},
		{nameLimitedFlood, nil},
		{nameSignup, func(ctx context.Context) (row, error) {
			r, err := b.signupScenario(ctx)
			signupRate = r.appRate
			return r, err
		}},
		{nameWriter, on("sqlite", func(ctx context.Context) (row, error) { return b.writerCeiling(ctx, bin, dir, signupRate) })},
		{nameAdminSearch, on("postgres", func(ctx context.Context) (row, error) {
			return b.replayGET(ctx, nameAdminSearch, adminSearchPath, http.Header{"Cookie": {s.browser.cookieHeader()}}, 0.2)
		})},
		{nameActivity, on("postgres", func(ctx context.Context) (row, error) {
			return b.replayGET(ctx, nameActivity, "/settings/activity", http.Header{"Cookie": {s.browser.cookieHeader()}}, 0.2)
		})},
		{nameStaticCSS, func(ctx context.Context) (row, error) {
			// As a browser asks for it: the app picks the brotli form it
			// compressed at start; the baseline sends the same bytes.
			return b.replayGET(ctx, nameStaticCSS, s.cssPath, http.Header{"Accept-Encoding": {browserAcceptEncoding}}, 0.85)
		}},
		{nameCleanup, on("sqlite", func(ctx context.Context) (row, error) {
			_, expired := seedSizes(o)
			return b.cleanupScenario(ctx, bin, dir, expired, append(raised, o.appEnv...))
		})},
	} {
		if sc.name == "seeded" && o.db == "sqlite" && o.only.MatchString(seededNames) {
			more, err := b.seeded(ctx, bin, dir, append(raised, o.appEnv...))
			if err != nil {
				return nil, err
			}
			rows = append(rows, more...)
		}
		if sc.run == nil || !o.only.MatchString(sc.name) {
			continue
		}
		r, err := sc.run(ctx)
		if err != nil {
			return nil, fmt.Errorf("%s: %w\n%s", sc.name, err, a.LogTail(20))
		}
		rows = append(rows, r)
		fmt.Fprintf(os.Stderr, "bench: %s done\n", sc.name)
	}
	// Interrupted: the scenarios cut short measured nothing worth a table.
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	a.stop()
	if !o.only.MatchString(nameLimitedFlood) {
		return rows, nil
	}

	// Second instance on the same database: the default limits, which a
	// flood from one address runs into at once.
	a2, err := startApp(ctx, bin, dir, "default-limits", o.appEnv, o.profileDir != "")
	if err != nil {
		return nil, err
	}
	defer a2.stop()
	b.app = a2
	r, err := b.limitedFlood(ctx)
	if err != nil {
		return nil, fmt.Errorf("%s: %w\n%s", nameLimitedFlood, err, a2.LogTail(20))
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	fmt.Fprintf(os.Stderr, "bench: %s done\n", nameLimitedFlood)
	// In the table the 429 flood follows the other flood.
	at := len(rows)
	for i, x := range rows {
		if x.name == nameStaticCSS {
			at = i
		}
	}
	rows = append(rows[:at], append([]row{r}, rows[at:]...)...)
	return rows, nil
}

// Scenario names, as printed and as matched by -run.
const (
	nameLoginPage    = "GET /login, signed out"
	nameDashboard    = "GET /dashboard, signed in"
	nameAPISession   = "GET /api/auth/session, bearer"
	nameAPINotes     = "GET /api/notes, bearer"
	nameLoginPost    = "POST /login, right password"
	nameLoginFlood   = "POST /login flood, limits raised"
	nameLimitedFlood = "POST /login flood, 1 IP, default limits"
	nameStaticCSS    = "GET static CSS"
	nameAdminSearch  = "GET /admin/users?q=…, 1M users"
	nameActivity     = "GET /settings/activity, 5M lines"
)

// seeded is what the scenarios need: a user, a signed-in session, a CSRF
// cookie and the hashed name of the stylesheet.
type seeded struct {
	email, password string
	browser         browser // CSRF cookie + signed-in session
	cssPath         string
}

const benchPassword = "correct horse battery staple 42"

// signUp signs up name at email with benchPassword through the form,
// confirms the address with the link from the development mailbox, and
// returns the signed-in browser and its /dashboard.
func signUp(base, name, email string) (browser, []byte, error) {
	br, err := newBrowser(base)
	if err != nil {
		return browser{}, nil, err
	}
	res, body, err := br.post(base, "/signup", url.Values{"name": {name}, "email": {email}, "password": {benchPassword}})
	if err != nil {
		return browser{}, nil, err
	}
	if res.StatusCode != http.StatusSeeOther {
		return browser{}, nil, fmt.Errorf("POST /signup answered %d:\n%.2000s", res.StatusCode, body)
	}
	br.session = sessionCookie(res)
	if br.session == "" {
		return browser{}, nil, fmt.Errorf("POST /signup set no session cookie")
	}
	_, body, err = br.get(base, "/dev/mailbox")
	if err != nil {
		return browser{}, nil, err
	}
	// The newest message comes first: this signup's link.
	token := regexp.MustCompile(`/verify-email\?token=([A-Za-z0-9_-]+)`).FindSubmatch(body)
	if token == nil {
		return browser{}, nil, fmt.Errorf("no confirmation link in /dev/mailbox")
	}
	res, body, err = br.post(base, "/verify-email", url.Values{"token": {string(token[1])}})
	if err != nil {
		return browser{}, nil, err
	}
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/dashboard" {
		return browser{}, nil, fmt.Errorf("POST /verify-email answered %d:\n%.2000s", res.StatusCode, body)
	}
	br.session = sessionCookie(res)
	res, body, err = br.get(base, "/dashboard")
	if err != nil {
		return browser{}, nil, err
	}
	if res.StatusCode != http.StatusOK || !strings.Contains(string(body), name) {
		return browser{}, nil, fmt.Errorf("GET /dashboard after signup answered %d", res.StatusCode)
	}
	return br, body, nil
}

// seed signs a user up through the real form and confirms the address with
// the link from the development mailbox, as a person would.
func seed(base string) (seeded, error) {
	s := seeded{email: "bench@example.com", password: benchPassword}
	br, body, err := signUp(base, "Bench Marker", s.email)
	if err != nil {
		return seeded{}, err
	}
	s.browser = br
	css := regexp.MustCompile(`/static/app\.[0-9a-f]+\.css`).Find(body)
	if css == nil {
		return seeded{}, fmt.Errorf("no stylesheet link on /dashboard")
	}
	s.cssPath = string(css)
	// The static scenario measures the compressed stylesheet a browser
	// gets; make sure that is what the app sends.
	req, err := getRequest(base, s.cssPath, http.Header{"Accept-Encoding": {browserAcceptEncoding}})(0)
	if err != nil {
		return seeded{}, err
	}
	res, _, err := do(req)
	if err != nil {
		return seeded{}, err
	}
	if ce := res.Header.Get("Content-Encoding"); res.StatusCode != http.StatusOK || ce != "br" {
		return seeded{}, fmt.Errorf("GET %s for a browser answered %d with Content-Encoding %q, want br", s.cssPath, res.StatusCode, ce)
	}
	return s, nil
}

type bench struct {
	o        options
	app      *app
	baseline *baseline
	seed     seeded
	floodRSS int64 // the peak RSS of the first login flood
}

// browserAcceptEncoding is what Chrome sends.
const browserAcceptEncoding = "gzip, deflate, br, zstd"

// getRequest builds GET requests with fixed headers (nil for none).
func getRequest(base, path string, hdr http.Header) func(int) (*http.Request, error) {
	return func(int) (*http.Request, error) {
		req, err := http.NewRequest(http.MethodGet, base+path, nil)
		if err == nil {
			for k, v := range hdr {
				req.Header[k] = v
			}
		}
		return req, err
	}
}

// measured is what alternate gives: each side's runs summed, and the runs
// pair by pair (a baseline run and the app run right after it).
type measured struct {
	base, app result
	pairs     [][2]result
	rss       int64 // the app's peak RSS during the scenario
}

// alternate runs the baseline then the app, reps times, and sums each
// side. While the app runs its peak RSS is measured, and with -profile a
// CPU profile is taken during its second run.
func (b *bench) alternate(ctx context.Context, name string, baseRun, appRun func() (result, error)) (measured, error) {
	var m measured
	if err := b.app.resetPeakRSS(); err != nil {
		return m, err
	}
	for i := range b.o.reps {
		br, err := baseRun()
		if err != nil {
			return m, fmt.Errorf("baseline: %w", err)
		}
		m.base.add(br)
		var profDone chan error
		if b.o.profileDir != "" && i == 1 {
			profDone = make(chan error, 1)
			path := filepath.Join(b.o.profileDir, slug(name)+".pprof")
			go func() { profDone <- b.app.profile(ctx, max(time.Second, b.o.window-time.Second), path) }()
		}
		ar, err := appRun()
		if err != nil {
			return m, fmt.Errorf("app: %w", err)
		}
		if profDone != nil {
			if err := <-profDone; err != nil {
				return m, err
			}
		}
		m.app.add(ar)
		m.pairs = append(m.pairs, [2]result{br, ar})
	}
	var err error
	m.rss, err = b.app.peakRSS()
	return m, err
}

func slug(s string) string {
	return strings.Trim(regexp.MustCompile(`[^a-z0-9]+`).ReplaceAllString(strings.ToLower(s), "-"), "-")
}

// ratioRow fills in a row of a scenario measured against a baseline; rate
// is the app's rate the ratio is about (all answers, or only 429s). The
// ratio of each pair is kept too: on a shared machine their spread says
// how far to trust the one in the table.
func (b *bench) ratioRow(name string, m measured, rate func(result) float64, target float64, expected ...int) row {
	r := row{name: name, app: m.app, base: m.base, rss: m.rss, appRate: rate(m.app)}
	if m.base.rate() > 0 {
		r.ratio = r.appRate / m.base.rate()
	}
	for _, p := range m.pairs {
		if p[0].rate() > 0 {
			r.pairRatios = append(r.pairRatios, rate(p[1])/p[0].rate())
		}
	}
	r.unexpected = unexpected(m.app, expected...) + unexpected(m.base, expected...)
	if !b.o.quick {
		r.checks = append(r.checks, check{what: fmt.Sprintf("ratio ≥ %.2f", target), got: fmt.Sprintf("%.2f", r.ratio), pass: r.ratio >= target})
	}
	return r
}

// unexpected counts answers whose status is not one of expected.
func unexpected(r result, expected ...int) int {
	n := 0
	for c, k := range r.statuses {
		ok := false
		for _, e := range expected {
			ok = ok || c == e
		}
		if !ok {
			n += k
		}
	}
	return n
}

// replayGET measures GET path (with the headers hdr, nil for none)
// against the baseline answering with the app's own 200 response to the
// same request.
func (b *bench) replayGET(ctx context.Context, name, path string, hdr http.Header, target float64) (row, error) {
	req, err := getRequest(b.app.base, path, hdr)(0)
	if err != nil {
		return row{name: name}, err
	}
	res, body, err := do(req)
	if err != nil {
		return row{name: name}, err
	}
	if res.StatusCode != http.StatusOK {
		return row{name: name}, fmt.Errorf("GET %s answered %d", path, res.StatusCode)
	}
	// The baseline answers by path alone (a query, as the admin search's,
	// is the app's to read).
	bare, _, _ := strings.Cut(path, "?")
	if err := b.baseline.serve(http.MethodGet, bare, capture(res, body)); err != nil {
		return row{name: name}, err
	}
	m, err := b.alternate(ctx, name,
		func() (result, error) {
			return load{conns: b.o.conns, window: b.o.window, request: getRequest(b.baseline.base, path, hdr)}.run(ctx), nil
		},
		func() (result, error) {
			return load{conns: b.o.conns, window: b.o.window, request: getRequest(b.app.base, path, hdr)}.run(ctx), nil
		})
	if err != nil {
		return row{name: name}, err
	}
	return b.ratioRow(name, m, result.rate, target, http.StatusOK), nil
}

// replayAPI measures GET path of the JSON API with a bearer token, against
// the baseline answering with the app's own bytes. The token comes from a
// token sign-in made just before (an access token lasts 15 minutes, longer
// than a scenario), and notes notes are added with it first.
func (b *bench) replayAPI(ctx context.Context, name, path string, notes int, target float64) (row, error) {
	tok, err := apiSignIn(b.app.base, b.seed.email, b.seed.password)
	if err != nil {
		return row{name: name}, err
	}
	hdr := http.Header{"Authorization": {"Bearer " + tok}}
	for i := range notes {
		body := strings.NewReader(fmt.Sprintf(`{"body":"bench note %d: a line of text of an ordinary length"}`, i))
		req, err := http.NewRequest(http.MethodPost, b.app.base+"/api/notes", body)
		if err != nil {
			return row{name: name}, err
		}
		req.Header = hdr.Clone()
		req.Header.Set("Content-Type", "application/json")
		res, _, err := do(req)
		if err != nil {
			return row{name: name}, err
		}
		if res.StatusCode != http.StatusCreated {
			return row{name: name}, fmt.Errorf("POST /api/notes answered %d", res.StatusCode)
		}
	}
	return b.replayGET(ctx, name, path, hdr, target)
}

// apiSignIn is a token sign-in (POST /api/auth/token); it returns the
// access token.
func apiSignIn(base, email, password string) (string, error) {
	body := fmt.Sprintf(`{"email":%q,"password":%q}`, email, password)
	req, err := http.NewRequest(http.MethodPost, base+"/api/auth/token", strings.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	res, answer, err := do(req)
	if err != nil {
		return "", err
	}
	tok := regexp.MustCompile(`"access_token":"(lk_at_[A-Za-z0-9_-]+)"`).FindSubmatch(answer)
	if res.StatusCode != http.StatusOK || tok == nil {
		return "", fmt.Errorf("POST /api/auth/token answered %d: %.500s", res.StatusCode, answer)
	}
	return string(tok[1]), nil
}

// loginRequests posts the login form; pick chooses the email and password
// of the n-th request.
func loginRequests(base string, br browser, pick func(n int64) (email, password string)) func(int) (*http.Request, error) {
	var n atomic.Int64
	return func(int) (*http.Request, error) {
		email, password := pick(n.Add(1))
		form := url.Values{"email": {email}, "password": {password}, "_csrf": {br.csrf}}
		req, err := http.NewRequest(http.MethodPost, base+"/login", strings.NewReader(form.Encode()))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Cookie", "_csrf="+br.csrf)
		return req, nil
	}
}

func (b *bench) loginPost(ctx context.Context) (row, error) {
	name := nameLoginPost
	hash, err := argon2Hash(b.seed.password)
	if err != nil {
		return row{name: name}, err
	}
	br := browser{csrf: b.seed.browser.csrf}
	right := func(int64) (string, string) { return b.seed.email, b.seed.password }
	m, err := b.alternate(ctx, name,
		func() (result, error) {
			return b.baseline.rawRate(ctx, argon2Ask{Kind: "check", Hash: hash, Password: b.seed.password, Window: b.o.window})
		},
		func() (result, error) {
			return load{conns: b.o.conns, window: b.o.window, request: loginRequests(b.app.base, br, right)}.run(ctx), nil
		})
	if err != nil {
		return row{name: name}, err
	}
	r := b.ratioRow(name, m, result.rate, 0.85, http.StatusSeeOther)
	r.statusNotes = "baseline: raw argon2id checks/s"
	return r, nil
}

// floodLogins mixes the answers a credential-stuffing flood gets: a right
// password, a wrong one, an unknown address. Each costs one hash. A
// stuffing list tries each address once or twice, so the wrong passwords
// go to many addresses (a wrong password for an address without an account
// is answered exactly like one for an account, and costs the same hash):
// thousands of wrong passwords for one account are the per-account
// slow-down's case (accounts/guessing.go), answered 429 without a hash,
// which would leave this flood nothing to measure.
func (b *bench) floodLogins(n int64) (string, string) {
	switch n % 3 {
	case 0:
		return b.seed.email, b.seed.password
	case 1:
		return fmt.Sprintf("stuffed%d@example.com", n), "not the password"
	default:
		return fmt.Sprintf("nobody%d@example.com", n), "not the password"
	}
}

// loginFlood is a flood of conns connections; the 2,000-connection one is
// also held to the 200-connection one's peak RSS (floodRSS), as the
// memory the flood may take is bounded by the hashes in flight, not by how
// many are waiting.
func (b *bench) loginFlood(ctx context.Context, name string, conns int) (row, error) {
	br := browser{csrf: b.seed.browser.csrf}
	if err := b.app.resetPeakRSS(); err != nil {
		return row{name: name}, err
	}
	pctx, cancel := context.WithCancel(ctx)
	pc := make(chan probed, 1)
	go func() {
		lat, f := probe(pctx, b.app.base+"/healthz", 50*time.Millisecond)
		pc <- probed{lat, f}
	}()
	var profDone chan error
	if b.o.profileDir != "" {
		profDone = make(chan error, 1)
		go func() {
			profDone <- b.app.profile(ctx, max(time.Second, b.o.flood-time.Second), filepath.Join(b.o.profileDir, slug(name)+".pprof"))
		}()
	}
	var memDone chan error
	if b.o.profileDir != "" {
		// The memory of the app in the thick of the flood.
		memDone = make(chan error, 1)
		go func() {
			time.Sleep(b.o.flood * 3 / 4)
			memDone <- b.app.memStats(ctx, filepath.Join(b.o.profileDir, slug(name)+"-memstats.txt"))
		}()
	}
	app := load{conns: conns, window: b.o.flood, drain: 5 * time.Second, request: loginRequests(b.app.base, br, b.floodLogins)}.run(ctx)
	cancel()
	if memDone != nil {
		if err := <-memDone; err != nil {
			return row{name: name}, err
		}
	}
	p := <-pc
	if profDone != nil {
		if err := <-profDone; err != nil {
			return row{name: name}, err
		}
	}
	rss, err := b.app.peakRSS()
	if err != nil {
		return row{name: name}, err
	}
	health := result{latencies: p.lat}
	p99 := health.percentile(99)
	r := row{name: name, app: app, rss: rss, appRate: app.rate(),
		unexpected: unexpected(app, http.StatusSeeOther, http.StatusUnprocessableEntity) + p.failures,
		statusNotes: fmt.Sprintf("%d conns for %s, a third each right password, wrong password, unknown address; /healthz probe: %d answers, p50 %s, p99 %s, %d failed",
			conns, b.o.flood, len(p.lat), ms(health.percentile(50)), ms(p99), p.failures)}
	r.checks = append(r.checks, check{what: "no 5xx", got: fmt.Sprintf("%d", app.fiveXX()), pass: app.fiveXX() == 0})
	if !b.o.quick {
		r.checks = append(r.checks,
			check{what: "peak RSS ≤ 192 MiB", got: fmt.Sprintf("%.0f MiB", float64(rss)/mib), pass: rss <= 192*mib},
			check{what: "/healthz p99 ≤ 100 ms", got: ms(p99), pass: p99 <= 100*time.Millisecond && len(p.lat) > 0})
		if b.floodRSS > 0 {
			x := float64(rss) / float64(b.floodRSS)
			r.checks = append(r.checks, check{what: fmt.Sprintf("RSS ≤ 1.15× the %d-conn flood's", b.o.floodConns), got: fmt.Sprintf("%.2f×", x), pass: x <= 1.15})
		}
	}
	if b.floodRSS == 0 {
		b.floodRSS = rss
	}
	return r, nil
}

func (b *bench) limitedFlood(ctx context.Context) (row, error) {
	name := nameLimitedFlood
	br, err := newBrowser(b.app.base)
	if err != nil {
		return row{name: name}, err
	}
	// Use up the burst, then capture the refusal the flood will get.
	var refusal captured
	for i := 0; ; i++ {
		res, body, err := br.post(b.app.base, "/login", url.Values{"email": {b.seed.email}, "password": {"not the password"}})
		if err != nil {
			return row{name: name}, err
		}
		if res.StatusCode == http.StatusTooManyRequests {
			refusal = capture(res, body)
			break
		}
		if i > 100 {
			return row{name: name}, fmt.Errorf("no 429 after %d POST /login", i)
		}
	}
	if err := b.baseline.serve(http.MethodPost, "/login", refusal); err != nil {
		return row{name: name}, err
	}
	m, err := b.alternate(ctx, name,
		func() (result, error) {
			return load{conns: b.o.floodConns, window: b.o.window, request: loginRequests(b.baseline.base, br, b.floodLogins)}.run(ctx), nil
		},
		func() (result, error) {
			return load{conns: b.o.floodConns, window: b.o.window, request: loginRequests(b.app.base, br, b.floodLogins)}.run(ctx), nil
		})
	if err != nil {
		return row{name: name}, err
	}
	r := b.ratioRow(name, m, func(x result) float64 { return x.rateOf(http.StatusTooManyRequests) }, 0.6,
		http.StatusTooManyRequests, http.StatusSeeOther, http.StatusUnprocessableEntity)
	refused := m.app.doneBy[http.StatusTooManyRequests]
	r.checks = append(r.checks,
		check{what: "no 5xx", got: fmt.Sprintf("%d", m.app.fiveXX()), pass: m.app.fiveXX() == 0},
		check{what: "some 429", got: fmt.Sprintf("%d", refused), pass: refused > 0})
	r.statusNotes = "app req/s counts 429 answers only"
	return r, nil
}
