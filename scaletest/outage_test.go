package scaletest

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"latchkey/internal/apptest"
	"latchkey/internal/dbtest"
	"latchkey/internal/smtptest"
)

// pgServer is a PostgreSQL server of one test's own, made by .ci/postgres
// in a temporary directory: the test stops and starts it, which it must
// never do to the server the other tests share.
type pgServer struct {
	t      *testing.T
	script string
	url    string
	env    []string
}

func startPGServer(t *testing.T) *pgServer {
	t.Helper()
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pg_ctl")
	if len(bins) == 0 && os.Getenv("PG_BIN") == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("no PostgreSQL binaries to start a server of this test's own (apt-get install postgresql, or set PG_BIN)")
		}
		t.Skip("no PostgreSQL binaries to start a server of this test's own (apt-get install postgresql, or set PG_BIN)")
	}
	script, err := filepath.Abs(filepath.Join("..", ".ci", "postgres"))
	if err != nil {
		t.Fatal(err)
	}
	// Not t.TempDir: its parent is mode 0700, and as root the server runs
	// as the postgres user, which must reach its data directory.
	dir, err := os.MkdirTemp("", "latchkey-outage-")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	s := &pgServer{t: t, script: script, env: append(os.Environ(), "PGDATA_DIR="+filepath.Join(dir, "pg"))}
	t.Cleanup(func() {
		s.run("stop")
		os.RemoveAll(dir)
	})
	out := s.run("start")
	m := regexp.MustCompile(`TEST_DATABASE_URL='([^']+)'`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf(".ci/postgres start printed %q", out)
	}
	s.url = m[1]
	return s
}

// run runs .ci/postgres with args (start, stop) on this server.
func (s *pgServer) run(args ...string) string {
	s.t.Helper()
	var out, errOut bytes.Buffer
	cmd := exec.Command(s.script, args...)
	cmd.Env = s.env
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		s.t.Fatalf(".ci/postgres %s: %v\n%s", strings.Join(args, " "), err, errOut.String())
	}
	return out.String()
}

// TestPostgresOutage: the server is stopped under load and started again.
// While it is down /healthz answers 503 within 2 s of the stop, pages
// answer the 500 page with a request id and none hangs; once it is back the
// same app, not restarted, answers every page again, and what was
// acknowledged before the stop (an account, a signed-in session) is there.
func TestPostgresOutage(t *testing.T) {
	apptest.SkipShort(t)
	if !dbtest.Postgres() {
		t.Skip("needs PostgreSQL's binaries and a server (set " + dbtest.URLEnv + "); it starts one of its own")
	}
	pg := startPGServer(t)
	smtp := smtptest.Start(t)
	app := apptest.Run(t, apptest.Options{Settings: []string{"DATABASE_URL=" + pg.url, "SMTP_URL=" + smtp.URL,
		"LOG_LEVEL=error", "RATE_LIMIT_BURST=100000", "RATE_LIMIT_INTERVAL=1ms"}})

	ada := newBrowser(t, "")
	ada.expect("POST", app, "/signup", url.Values{"name": {"Ada Lovelace"}, "email": {"ada@example.com"}, "password": {password}}, http.StatusSeeOther, "/verify-request")
	link, _ := url.Parse(regexp.MustCompile(`https?://\S+/verify-email\?token=\S+`).FindString(smtp.Next(t, "ada@example.com", "", 30*time.Second).Text))
	ada.expect("POST", app, "/verify-email", url.Values{"token": {link.Query().Get("token")}}, http.StatusSeeOther, "/dashboard")

	// Load: signed-in pages and the health check, all through the outage.
	type answer struct {
		path     string
		status   int
		took     time.Duration
		started  time.Time
		hasRefID bool
	}
	var mu sync.Mutex
	var answers []answer
	ctx, stopLoad := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	client := &http.Client{Timeout: 20 * time.Second, Jar: ada.http.Jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, path := range []string{"/healthz", "/dashboard", "/settings", "/dashboard"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				start := time.Now()
				res, err := client.Get(app.URL + path)
				a := answer{path: path, took: time.Since(start), started: start}
				if err != nil {
					a.status = -1
				} else {
					var body bytes.Buffer
					_, _ = body.ReadFrom(res.Body)
					res.Body.Close()
					a.status = res.StatusCode
					rid := res.Header.Get("X-Request-Id")
					a.hasRefID = rid != "" && strings.Contains(body.String(), rid)
				}
				mu.Lock()
				answers = append(answers, a)
				mu.Unlock()
				time.Sleep(20 * time.Millisecond)
			}
		}()
	}
	health := func() int {
		res, err := (&http.Client{Timeout: 5 * time.Second}).Get(app.URL + "/healthz")
		if err != nil {
			return -1
		}
		res.Body.Close()
		return res.StatusCode
	}

	time.Sleep(500 * time.Millisecond)
	pg.run("stop")
	stopped := time.Now()
	for health() != http.StatusServiceUnavailable {
		if time.Since(stopped) > 2*time.Second {
			t.Fatalf("/healthz did not answer 503 within 2 s of the stop")
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("/healthz answered 503 %s after the stop", time.Since(stopped).Round(time.Millisecond))
	time.Sleep(3 * time.Second) // the outage, under load
	pg.run("start")
	restarted := time.Now()
	for health() != http.StatusOK {
		if time.Since(restarted) > 15*time.Second {
			t.Fatalf("/healthz did not answer 200 within 15 s of the restart")
		}
		time.Sleep(100 * time.Millisecond)
	}
	back := time.Now()
	t.Logf("/healthz answered 200 %s after the restart", back.Sub(restarted).Round(time.Millisecond))
	time.Sleep(time.Second)
	stopLoad()
	wg.Wait()

	down := 0
	for _, a := range answers {
		switch {
		case a.status == -1:
			t.Errorf("%s at %s: no answer within %s", a.path, a.started.Format("15:04:05.000"), a.took)
		case a.took > 10*time.Second:
			t.Errorf("%s took %s (status %d)", a.path, a.took, a.status)
		case a.status == http.StatusOK:
		case a.path == "/healthz" && a.status == http.StatusServiceUnavailable:
			down++
		case a.path != "/healthz" && a.status == http.StatusInternalServerError:
			down++
			if !a.hasRefID {
				t.Errorf("%s: a 500 without its request id on the page", a.path)
			}
		default:
			t.Errorf("%s: status %d during the outage", a.path, a.status)
		}
		// Once the server is back, every page is, without a restart of
		// the app.
		if a.started.After(back.Add(200*time.Millisecond)) && a.status != http.StatusOK {
			t.Errorf("%s: %d after the server was back", a.path, a.status)
		}
	}
	if down == 0 {
		t.Errorf("no request saw the outage (%d answers)", len(answers))
	}
	t.Logf("%d answers under load, %d of them during the outage", len(answers), down)

	// The same app, not restarted: the session and the account made before
	// the stop are there.
	ada.expect("GET", app, "/dashboard", nil, http.StatusOK, "")
	laptop := newBrowser(t, "")
	laptop.expect("POST", app, "/login", url.Values{"email": {"ada@example.com"}, "password": {password}}, http.StatusSeeOther, "/dashboard")
	laptop.expect("GET", app, "/settings", nil, http.StatusOK, "")
}
