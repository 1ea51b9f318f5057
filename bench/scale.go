package main

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"time"

	"latchkey/internal/apptest"
)

// Issue 20's scenarios: the same requests on a seeded database as on an
// empty one, a user with many sessions, the cleanup of a million expired
// rows, signups against the raw hash rate and the SQLite writer's own
// ceiling.

const (
	nameSeededDashboard = "GET /dashboard, seeded database"
	nameSeededSettings  = "GET /settings, seeded database"
	nameSeededLogin     = "POST /login, seeded database"
	nameSeededLoginPage = "GET /login, seeded database"
	nameSeededAPI       = "GET /api/auth/session, seeded database"
	nameSeededSignup    = "POST /signup, seeded database"
	nameManySessions    = "GET /settings, 10,000 sessions"
	nameCleanup         = "GET /dashboard during the cleanup"
	nameSignup          = "POST /signup"
	nameWriter          = "SQLite writer, signup transactions"
	nameLoginFlood2000  = "POST /login flood, 2,000 conns"
)

// seededNames are the scenarios of the seeded database: issue 20's
// comparisons with the empty one, and issue 19's admin area and activity
// log against bare Echo.
var seededNames = strings.Join([]string{nameSeededDashboard, nameSeededSettings, nameSeededLogin,
	regexp.QuoteMeta(nameSeededLoginPage), nameSeededAPI, nameSeededSignup, regexp.QuoteMeta(nameAdminSearch), nameActivity}, "|")

// seedSizes are the seeded databases of a run: -quick uses small ones, as
// the harness is what it tests.
func seedSizes(o options) (big, expired seedCounts) {
	if o.quick {
		return seedCounts{users: 2000, sessions: 4000, tokens: 2000, activity: 10_000},
			seedCounts{users: 200, sessions: 2000, tokens: 2000, expired: true}
	}
	return seedCounts{users: 1_000_000, sessions: 2_000_000, tokens: 1_000_000, activity: 5_000_000},
		seedCounts{users: 100_000, sessions: 1_000_000, tokens: 1_000_000, expired: true}
}

// on is b measuring a instead (its peak RSS, its profile).
func (b *bench) on(a *app) *bench {
	c := *b
	c.app = a
	return &c
}

// compare measures the same scenario on two instances, alternating: the
// reference (the empty database, one session) is the baseline.
func (b *bench) compare(ctx context.Context, name string, target float64, conns int,
	ref, app func(int) (*http.Request, error), note string, expected ...int) (row, error) {
	m, err := b.alternate(ctx, name,
		func() (result, error) { return load{conns: conns, window: b.o.window, request: ref}.run(ctx), nil },
		func() (result, error) { return load{conns: conns, window: b.o.window, request: app}.run(ctx), nil })
	if err != nil {
		return row{name: name}, err
	}
	r := b.ratioRow(name, m, result.rate, target, expected...)
	r.statusNotes = note
	return r, nil
}

// withCookie is a GET of path as br.
func withCookie(base, path string, br browser) func(int) (*http.Request, error) {
	return getRequest(base, path, http.Header{"Cookie": {br.cookieHeader()}})
}

// seededApp is an instance on a seeded database, with its own signed-in
// user (signed up through the form after the seeding).
type seededApp struct {
	app   *app
	user  browser
	email string
	c     seedCounts
	took  time.Duration
	// keep leaves the seeded file behind for -keep, to be looked at.
	keep bool
}

// startSeeded seeds dir/name.db with c and starts an instance on it with
// the rate limits raised, and signs a user up.
func (b *bench) startSeeded(ctx context.Context, bin, dir, name string, c seedCounts, env []string) (*seededApp, error) {
	path := filepath.Join(dir, name+".db")
	fmt.Fprintf(os.Stderr, "bench: seeding %s (%s)\n", path, c)
	took, err := seedDatabase(ctx, bin, path, c, !b.o.quick)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(os.Stderr, "bench: seeded in %s\n", took.Round(time.Millisecond))
	a, err := startAppOn(ctx, bin, dir, name, path, env, b.o.profileDir != "")
	if err != nil {
		return nil, err
	}
	s := &seededApp{app: a, email: "bench-" + name + "@example.com", c: c, took: took, keep: b.o.keep}
	s.user, _, err = signUp(a.base, "Bench Marker", s.email)
	if err == nil && c.activity > 0 {
		// The admin area's scenarios: the user is an administrator with
		// a log of its own.
		err = addOwnActivity(ctx, path, s.email, seedOwnActivity)
		if err == nil {
			err = promote(ctx, bin, a, s.email, env)
		}
	}
	if err != nil {
		a.stop()
		return nil, fmt.Errorf("%s: %w\n%s", name, err, a.LogTail(20))
	}
	return s, nil
}

func (s *seededApp) stop() {
	s.app.stop()
	if !s.keep {
		removeDatabase(s.app.Database)
	}
}

// seeded seeds the big database, starts an instance on it, runs the
// seeded scenarios against the empty instance and stops it again.
func (b *bench) seeded(ctx context.Context, bin, dir string, env []string) ([]row, error) {
	// A fresh user on the empty instance, as on the seeded one: the other
	// scenarios' sign-ins add sessions to the first user.
	refEmail := "bench-empty@example.com"
	ref, _, err := signUp(b.app.base, "Bench Marker", refEmail)
	if err != nil {
		return nil, err
	}
	big, _ := seedSizes(b.o)
	s, err := b.startSeeded(ctx, bin, dir, "seeded", big, env)
	if err != nil {
		return nil, err
	}
	defer s.stop()
	return b.seededScenarios(ctx, ref, refEmail, s)
}

// seededScenarios compare the empty instance (b.app, with its user ref
// signed in on a fresh account) with the seeded one.
func (b *bench) seededScenarios(ctx context.Context, ref browser, refEmail string, s *seededApp) ([]row, error) {
	note := fmt.Sprintf("baseline: the same request on the empty database; seeded with %s in %s", s.c, s.took.Round(time.Second))
	bearer := func(base, email string) (func(int) (*http.Request, error), error) {
		tok, err := apiSignIn(base, email, benchPassword)
		if err != nil {
			return nil, err
		}
		return getRequest(base, "/api/auth/session", http.Header{"Authorization": {"Bearer " + tok}}), nil
	}
	var rows []row
	for _, sc := range []struct {
		name string
		run  func() (row, error)
	}{
		// Issue 19: the admin area's search and the activity log, on the
		// seeded database, against bare Echo replaying their bytes. They
		// come first: the sign-in comparison below adds a thousand
		// sign-ins to the user's log in a minute, which no one's log
		// looks like.
		{nameAdminSearch, func() (row, error) {
			return b.on(s.app).replayGET(ctx, nameAdminSearch, adminSearchPath, http.Header{"Cookie": {s.user.cookieHeader()}}, 0.2)
		}},
		{nameActivity, func() (row, error) {
			return b.on(s.app).replayGET(ctx, nameActivity, "/settings/activity", http.Header{"Cookie": {s.user.cookieHeader()}}, 0.2)
		}},
		{nameSeededDashboard, func() (row, error) {
			return b.on(s.app).compare(ctx, nameSeededDashboard, 0.9, b.o.conns,
				withCookie(b.app.base, "/dashboard", ref), withCookie(s.app.base, "/dashboard", s.user), note, http.StatusOK)
		}},
		{nameSeededSettings, func() (row, error) {
			return b.on(s.app).compare(ctx, nameSeededSettings, 0.9, b.o.conns,
				withCookie(b.app.base, "/settings", ref), withCookie(s.app.base, "/settings", s.user), note, http.StatusOK)
		}},
		{nameSeededLogin, func() (row, error) {
			// Every sign-in adds a session to its user; both users are
			// fresh, so both gain alike.
			refLogin := loginRequests(b.app.base, browser{csrf: ref.csrf}, func(int64) (string, string) { return refEmail, benchPassword })
			appLogin := loginRequests(s.app.base, browser{csrf: s.user.csrf}, func(int64) (string, string) { return s.email, benchPassword })
			return b.on(s.app).compare(ctx, nameSeededLogin, 0.9, b.o.conns, refLogin, appLogin, note, http.StatusSeeOther)
		}},
		{nameSeededLoginPage, func() (row, error) {
			return b.on(s.app).compare(ctx, nameSeededLoginPage, 0.9, b.o.conns,
				getRequest(b.app.base, "/login", nil), getRequest(s.app.base, "/login", nil), note, http.StatusOK)
		}},
		{nameSeededAPI, func() (row, error) {
			refAPI, err := bearer(b.app.base, refEmail)
			if err != nil {
				return row{name: nameSeededAPI}, err
			}
			appAPI, err := bearer(s.app.base, s.email)
			if err != nil {
				return row{name: nameSeededAPI}, err
			}
			return b.on(s.app).compare(ctx, nameSeededAPI, 0.9, b.o.conns, refAPI, appAPI, note, http.StatusOK)
		}},
		{nameSeededSignup, func() (row, error) {
			refSignup, err := signupRequests(b.app.base)
			if err != nil {
				return row{name: nameSeededSignup}, err
			}
			appSignup, err := signupRequests(s.app.base)
			if err != nil {
				return row{name: nameSeededSignup}, err
			}
			return b.on(s.app).compare(ctx, nameSeededSignup, 0.9, b.o.conns, refSignup, appSignup, note, http.StatusSeeOther)
		}},
	} {
		if !b.o.only.MatchString(sc.name) {
			continue
		}
		r, err := sc.run()
		if err != nil {
			return nil, fmt.Errorf("%s: %w\n%s", sc.name, err, s.app.LogTail(20))
		}
		rows = append(rows, r)
		fmt.Fprintf(os.Stderr, "bench: %s done\n", sc.name)
	}
	return rows, nil
}

// manySessions: /settings for a user with 10,000 sessions against a user
// with one, on the same instance. The 9,999 other sessions are written
// straight into the database (not signed in one by one).
func (b *bench) manySessions(ctx context.Context) (row, error) {
	name := nameManySessions
	one, _, err := signUp(b.app.base, "Ona Session", "one-session@example.com")
	if err != nil {
		return row{name: name}, err
	}
	many, _, err := signUp(b.app.base, "Manny Sessions", "many-sessions@example.com")
	if err != nil {
		return row{name: name}, err
	}
	if err := addSessions(ctx, b.app.Database, "many-sessions@example.com", 9_999); err != nil {
		return row{name: name}, err
	}
	res, body, err := many.get(b.app.base, "/settings")
	if err != nil {
		return row{name: name}, err
	}
	if res.StatusCode != http.StatusOK || !strings.Contains(string(body), "Older sessions") {
		return row{name: name}, fmt.Errorf("GET /settings with 10,000 sessions answered %d without its pages of sessions", res.StatusCode)
	}
	return b.compare(ctx, name, 0.9, b.o.conns, withCookie(b.app.base, "/settings", one), withCookie(b.app.base, "/settings", many),
		"baseline: /settings of a user with one session, same instance", http.StatusOK)
}

// addSessions gives the user at email n more session records, as if signed
// in from n other browsers over the last week.
func addSessions(ctx context.Context, path, email string, n int) error {
	d, err := sql.Open("sqlite3", "file:"+path+"?_busy_timeout=10000")
	if err != nil {
		return err
	}
	defer d.Close()
	now := time.Now().Unix()
	_, err = d.ExecContext(ctx, fmt.Sprintf(`WITH RECURSIVE counter(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM counter WHERE i + 1 < %d)
		INSERT INTO user_sessions (id, user_id, created_at, last_seen_at, authenticated_at, user_agent, ip)
		SELECT lower(hex(randomblob(16))), (SELECT id FROM users WHERE email_key = ?), ? - i * 60, ? - i * 60, ? - i * 60, ?, '192.0.2.7'
		FROM counter`, n), email, now, now, now, seededUserAgent)
	if err != nil {
		return fmt.Errorf("add %d sessions for %s: %w", n, email, err)
	}
	return nil
}

// signupScenario: POST /signup with a new address each time (policy check,
// hash, user, link and message in one transaction) against the raw
// argon2id hashing rate.
func (b *bench) signupScenario(ctx context.Context) (row, error) {
	name := nameSignup
	signups, err := signupRequests(b.app.base)
	if err != nil {
		return row{name: name}, err
	}
	m, err := b.alternate(ctx, name,
		func() (result, error) {
			return b.baseline.rawRate(ctx, argon2Ask{Kind: "hash", Password: benchPassword, Window: b.o.window})
		},
		func() (result, error) {
			return load{conns: b.o.conns, window: b.o.window, request: signups}.run(ctx), nil
		})
	if err != nil {
		return row{name: name}, err
	}
	r := b.ratioRow(name, m, result.rate, 0.85, http.StatusSeeOther)
	r.statusNotes = "baseline: raw argon2id hashes/s (new salt each)"
	return r, nil
}

// signupRequests post the signup form with a new address each time, from
// one browser of base's.
func signupRequests(base string) (func(int) (*http.Request, error), error) {
	br, err := newBrowser(base)
	if err != nil {
		return nil, err
	}
	var n atomic.Int64
	run := time.Now().UnixNano()
	return func(int) (*http.Request, error) {
		form := url.Values{"name": {"New Person"}, "email": {fmt.Sprintf("new%d-%d@example.com", run, n.Add(1))},
			"password": {benchPassword}, "_csrf": {br.csrf}}
		req, err := http.NewRequest(http.MethodPost, base+"/signup", strings.NewReader(form.Encode()))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Cookie", "_csrf="+br.csrf)
		return req, nil
	}, nil
}

// writerCeiling is the SQLite writer alone: one connection with the app's
// pragmas (WAL, synchronous=NORMAL, BEGIN IMMEDIATE) committing what a
// signup writes (a user, a link, a message: one transaction) back to back,
// in a database of its own. Its rate is the most signups per second the
// single writer allows; the row's ratio is that ceiling over the signup
// rate the app reached, the headroom the writer leaves.
func (b *bench) writerCeiling(ctx context.Context, bin, dir string, signups float64) (row, error) {
	name := nameWriter
	path := filepath.Join(dir, "writer.db")
	defer removeDatabase(path)
	if err := migrate(ctx, bin, path); err != nil {
		return row{name: name}, err
	}
	d, err := sql.Open("sqlite3", "file:"+path+"?_journal_mode=WAL&_foreign_keys=on&_synchronous=NORMAL&_txlock=immediate&_stmt_cache_size=64")
	if err != nil {
		return row{name: name}, err
	}
	defer d.Close()
	d.SetMaxOpenConns(1)
	var res result
	res.statuses, res.doneBy = map[int]int{}, map[int]int{}
	start := time.Now()
	end := start.Add(b.o.window)
	for i := 0; time.Now().Before(end) && ctx.Err() == nil; i++ {
		t0 := time.Now()
		err := func() error {
			tx, err := d.BeginTx(ctx, nil)
			if err != nil {
				return err
			}
			defer tx.Rollback()
			email := fmt.Sprintf("writer%d@example.com", i)
			var id int64
			if err := tx.QueryRowContext(ctx, `INSERT INTO users (name, email, email_key, password_hash, created_at, updated_at)
				VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id`, "Writer", email, email, seededHash, t0.Unix(), t0.Unix()).Scan(&id); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM tokens WHERE user_id = ? AND purpose = ?`, id, "verify_email"); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO tokens (hash, purpose, user_id, email, email_key, created_at, expires_at) VALUES (randomblob(32), ?, ?, ?, ?, ?, ?)`,
				"verify_email", id, email, email, t0.Unix(), t0.Unix()+3600); err != nil {
				return err
			}
			var sent int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM outbox WHERE to_key = ? AND created_at > ? AND notice = ?`, email, t0.Unix()-3600, false).Scan(&sent); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO outbox (to_addr, to_key, subject, text_body, html_body, created_at, next_attempt_at, notice)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, email, email, "Confirm your address", strings.Repeat("t", 600), strings.Repeat("h", 2400), t0.Unix(), t0.Unix(), false); err != nil {
				return err
			}
			return tx.Commit()
		}()
		if err != nil {
			res.errors++
			res.firstErr = err.Error()
			break
		}
		res.done++
		res.statuses[http.StatusOK]++
		res.doneBy[http.StatusOK]++
		res.latencies = append(res.latencies, time.Since(t0))
	}
	res.window = b.o.window
	r := row{name: name, app: res, appRate: res.rate(),
		statusNotes: fmt.Sprintf("one connection, the app's pragmas, a signup's writes per transaction, nothing else running in it; %.0f× the signups/s the app reached", res.rate()/max(signups, 1))}
	if !b.o.quick {
		r.checks = append(r.checks, check{what: "≥ 10× the signup rate", got: fmt.Sprintf("%.0f×", res.rate()/max(signups, 1)), pass: res.rate() >= 10*signups})
	}
	return r, nil
}

// migrate makes the SQLite file at path with the app's schema, by the
// binary's own command.
func migrate(ctx context.Context, bin, path string) error {
	cmd := exec.CommandContext(ctx, bin, "migrate")
	cmd.Env = apptest.Env(path, "127.0.0.1:0", "LOG_LEVEL=warn")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("migrate %s: %w\n%s", path, err, out)
	}
	return nil
}

// cleanupScenario: an instance starts on a database holding a million
// expired sessions and a million expired links, so its first cleanup has
// them all to delete. GET /dashboard is measured while that cleanup runs,
// then again once it has finished; /healthz is probed throughout.
func (b *bench) cleanupScenario(ctx context.Context, bin, dir string, c seedCounts, env []string) (row, error) {
	name := nameCleanup
	s, err := b.startSeeded(ctx, bin, dir, "expired", c, env)
	if err != nil {
		return row{name: name}, err
	}
	defer s.stop()
	bs := b.on(s.app)
	if err := s.app.resetPeakRSS(); err != nil {
		return row{name: name}, err
	}
	dash := withCookie(s.app.base, "/dashboard", s.user)
	measure := func(window time.Duration) (result, []time.Duration, int) {
		pctx, cancel := context.WithCancel(ctx)
		pc := make(chan probed, 1)
		go func() { lat, f := probe(pctx, s.app.base+"/healthz", 50*time.Millisecond); pc <- probed{lat, f} }()
		r := load{conns: b.o.conns, window: window, request: dash}.run(ctx)
		cancel()
		p := <-pc
		return r, p.lat, p.failures
	}
	window := time.Duration(b.o.reps) * b.o.window
	during, health, failed := measure(window)
	ranThroughout := !strings.Contains(readLog(s.app), "cleanup done")
	took, err := waitForCleanup(ctx, s.app, 10*time.Minute)
	if err != nil {
		return row{name: name}, err
	}
	after, _, failedAfter := measure(window)
	rss, err := bs.app.peakRSS()
	if err != nil {
		return row{name: name}, err
	}
	hp := result{latencies: health}
	p99During, p99After := during.percentile(99), after.percentile(99)
	r := row{name: name, app: during, base: after, rss: rss, appRate: during.rate(),
		unexpected: unexpected(during, http.StatusOK) + unexpected(after, http.StatusOK) + failed + failedAfter,
		statusNotes: fmt.Sprintf("baseline: the same instance once its cleanup finished (p99 %s); seeded with %s; the cleanup took %s; /healthz during it: %d answers, p99 %s",
			ms(p99After), s.c, took, len(health), ms(hp.percentile(99)))}
	if after.rate() > 0 {
		r.ratio = during.rate() / after.rate()
	}
	if !b.o.quick {
		r.checks = append(r.checks,
			check{what: "cleanup ran the whole window", got: fmt.Sprint(ranThroughout), pass: ranThroughout},
			check{what: "p99 ≤ 3× p99 after", got: fmt.Sprintf("%.2f×", float64(p99During)/float64(max(p99After, 1))), pass: p99During <= 3*p99After},
			check{what: "/healthz p99 ≤ 100 ms", got: ms(hp.percentile(99)), pass: hp.percentile(99) <= 100*time.Millisecond && len(health) > 0})
	}
	return r, nil
}

type probed struct {
	lat      []time.Duration
	failures int
}

// readLog is what the instance has logged so far.
func readLog(a *app) string {
	b, _ := os.ReadFile(a.logPath)
	return string(b)
}

// waitForCleanup waits for the instance's "cleanup done" line and returns
// how long it says the cleanup took.
func waitForCleanup(ctx context.Context, a *app, limit time.Duration) (string, error) {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		sc := bufio.NewScanner(strings.NewReader(readLog(a)))
		for sc.Scan() {
			line := sc.Text()
			if strings.Contains(line, "cleanup done") {
				if _, took, ok := strings.Cut(line, "took="); ok {
					return strings.Fields(took)[0], nil
				}
				return "?", nil
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	return "", fmt.Errorf("no \"cleanup done\" in the log within %s", limit)
}
