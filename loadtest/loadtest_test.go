package loadtest

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"latchkey/db"
	"latchkey/internal/apptest"
)

const (
	workers       = 64
	signups       = 500
	mixedRequests = 2000
	password      = "correct horse battery staple"
)

// TestLoadAndKill drives the real binary: 500 signups, then 2 000 mixed
// requests (pages, sign-ins, wrong passwords), from 64 goroutines. No
// answer may be a 5xx, every acknowledged signup must be a row, and every
// row must be able to sign in. A second run is killed with SIGKILL in the
// middle; the server restarted on the same file must start clean and have
// lost nothing it acknowledged.
func TestLoadAndKill(t *testing.T) {
	apptest.SkipShort(t)
	bin, err := apptest.Binary(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	dbPath := filepath.Join(t.TempDir(), "load.db")

	// Run 1: load.
	srv := startServer(t, bin, dbPath)
	st := &stats{}
	start := time.Now()
	acked := runSignups(t, srv, st, "load", signups, 0)
	signupTime := time.Since(start)
	if len(acked) != signups {
		t.Fatalf("%d of %d signups acknowledged", len(acked), signups)
	}
	confirmAll(t, dbPath)
	mixed := time.Now()
	signedIn := runMixed(t, srv, st, acked)
	mixedTime := time.Since(mixed)
	total := time.Since(start)
	t.Logf("run 1: %d requests in %v (%.0f/s): signups %v, mixed %v; statuses %v; transport errors %d",
		st.requests.Load(), total.Round(time.Millisecond), float64(st.requests.Load())/total.Seconds(),
		signupTime.Round(time.Millisecond), mixedTime.Round(time.Millisecond), st.histogram(), st.errors.Load())
	if n := st.serverErrors(); n != 0 || st.errors.Load() != 0 {
		t.Fatalf("run 1: %d responses ≥ 500, %d transport errors; statuses %v", n, st.errors.Load(), st.histogram())
	}
	if n := st.unexpected.Load(); n != 0 {
		t.Fatalf("run 1: %d answers were not what the request should get", n)
	}

	// Every acknowledged signup is a row, and there is no other row.
	users := usersInDB(t, dbPath)
	for email := range acked {
		if !users[email] {
			t.Errorf("acknowledged signup %s has no row", email)
		}
	}
	if len(users) != signups {
		t.Fatalf("%d rows, want %d", len(users), signups)
	}
	// Every row signed in during the mixed requests.
	for email := range users {
		if !signedIn[email] {
			t.Errorf("row %s did not sign in", email)
		}
	}
	srv.stop(t)

	// Run 2: killed mid-way.
	srv = startServer(t, bin, dbPath)
	st2 := &stats{}
	acked2 := runSignups(t, srv, st2, "kill", signups, signups/3)
	t.Logf("run 2: SIGKILL after %d acknowledged signups; %d requests, %d transport errors, statuses %v",
		len(acked2), st2.requests.Load(), st2.errors.Load(), st2.histogram())
	if n := st2.serverErrors(); n != 0 {
		t.Fatalf("run 2: %d responses ≥ 500", n)
	}
	if len(acked2) < signups/3 || len(acked2) == signups {
		t.Fatalf("run 2: %d acknowledged signups; the kill did not land mid-run", len(acked2))
	}
	if state := srv.Wait(); state == nil || state.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("run 2: the server was not killed by SIGKILL: %v", state)
	}

	// Restart on the same file: migrations apply cleanly, the server is
	// healthy, and nothing acknowledged is lost.
	migrate := exec.Command(bin, "migrate")
	migrate.Env, migrate.Dir = apptest.Env(dbPath, "127.0.0.1:0", settings...), t.TempDir()
	if out, err := migrate.CombinedOutput(); err != nil {
		t.Fatalf("migrate after SIGKILL: %v\n%s", err, out)
	}
	srv = startServer(t, bin, dbPath)
	users = usersInDB(t, dbPath)
	lost := 0
	for email := range acked2 {
		if !users[email] {
			lost++
			t.Errorf("acknowledged signup %s was lost", email)
		}
	}
	for email := range acked {
		if !users[email] {
			lost++
			t.Errorf("run 1 signup %s was lost", email)
		}
	}
	if lost > 0 {
		t.FailNow()
	}
	inFlight := len(users) - signups - len(acked2)
	confirmAll(t, dbPath)
	signInAll(t, srv, keys(acked2))
	checkIntegrity(t, dbPath)
	srv.stop(t)
	if logs := srv.Logs(); strings.Contains(logs, "level=ERROR") {
		t.Fatalf("the restarted server logged errors:\n%s", logs)
	}
	t.Logf("run 2: after restart all %d acknowledged signups are rows and sign in; %d more were committed but not acknowledged", len(acked2), inFlight)
}

// stats counts answers by status.
type stats struct {
	mu         sync.Mutex
	statuses   map[int]int
	requests   atomic.Int64
	errors     atomic.Int64
	unexpected atomic.Int64
}

func (s *stats) record(status int) {
	s.requests.Add(1)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.statuses == nil {
		s.statuses = map[int]int{}
	}
	s.statuses[status]++
}

func (s *stats) serverErrors() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for code, count := range s.statuses {
		if code >= 500 {
			n += count
		}
	}
	return n
}

func (s *stats) histogram() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var codes []int
	for c := range s.statuses {
		codes = append(codes, c)
	}
	sort.Ints(codes)
	var parts []string
	for _, c := range codes {
		parts = append(parts, fmt.Sprintf("%d×%d", c, s.statuses[c]))
	}
	return strings.Join(parts, " ")
}

// browser is one goroutine's client: a cookie jar and its CSRF token.
type browser struct {
	srv  *server
	http *http.Client
	csrf string
	st   *stats
}

var csrfField = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

func newBrowser(srv *server, st *stats) (*browser, error) {
	jar, _ := cookiejar.New(nil)
	b := &browser{srv: srv, st: st, http: &http.Client{Jar: jar, Timeout: 2 * time.Minute, Transport: srv.transport,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	status, body, err := b.get("/login")
	if err != nil {
		return nil, err
	}
	m := csrfField.FindStringSubmatch(body)
	if status != http.StatusOK || m == nil {
		return nil, fmt.Errorf("GET /login: %d, no CSRF token", status)
	}
	b.csrf = m[1]
	return b, nil
}

func (b *browser) get(path string) (int, string, error) {
	res, err := b.http.Get(b.srv.URL + path)
	return b.finish(res, err)
}

func (b *browser) post(path string, form url.Values) (int, string, error) {
	form.Set("_csrf", b.csrf)
	res, err := b.http.PostForm(b.srv.URL+path, form)
	return b.finish(res, err)
}

func (b *browser) finish(res *http.Response, err error) (int, string, error) {
	if err != nil {
		b.st.errors.Add(1)
		return 0, "", err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		b.st.errors.Add(1)
		return 0, "", err
	}
	b.st.record(res.StatusCode)
	loc := res.Header.Get("Location")
	return res.StatusCode, loc + "\n" + string(body), nil
}

// runSignups signs up n accounts named prefix-i from the worker pool and
// returns the addresses whose signup was acknowledged (303 to /dashboard).
// With killAfter > 0 the server gets SIGKILL as soon as that many are
// acknowledged, while the other workers' requests are in flight; a worker
// stops at its first transport error.
func runSignups(t *testing.T, srv *server, st *stats, prefix string, n, killAfter int) map[string]bool {
	jobs := make(chan int, n)
	for i := range n {
		jobs <- i
	}
	close(jobs)
	var mu sync.Mutex
	acked := map[string]bool{}
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b, err := newBrowser(srv, st)
			if err != nil {
				return
			}
			for i := range jobs {
				email := fmt.Sprintf("%s-%d@example.com", prefix, i)
				status, body, err := b.post("/signup", url.Values{"name": {fmt.Sprintf("User %d", i)}, "email": {email}, "password": {password}})
				if err != nil {
					return
				}
				if status != http.StatusSeeOther || !strings.HasPrefix(body, "/verify-request\n") {
					st.unexpected.Add(1)
					t.Errorf("signup %s: %d %.200s", email, status, body)
					continue
				}
				mu.Lock()
				acked[email] = true
				if len(acked) == killAfter {
					srv.Kill()
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if killAfter > 0 {
		srv.Wait()
	}
	return acked
}

// runMixed sends the 2 000 mixed requests: a quarter each page GETs,
// sign-ins with the right password, sign-ins with a wrong one, and more
// page GETs (the pages people load before signing in). The right-password
// sign-ins go through every account once (500 of them for 500 accounts);
// it returns the addresses that signed in.
func runMixed(t *testing.T, srv *server, st *stats, accounts map[string]bool) map[string]bool {
	emails := keys(accounts)
	var mu sync.Mutex
	signedIn := map[string]bool{}
	pages := []string{"/", "/login", "/signup", "/forgot-password", "/healthz", "/auth/error?error=Verification"}
	jobs := make(chan int, mixedRequests)
	for i := range mixedRequests {
		jobs <- i
	}
	close(jobs)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b, err := newBrowser(srv, st)
			if err != nil {
				t.Errorf("browser: %v", err)
				return
			}
			for i := range jobs {
				email := emails[(i/4)%len(emails)]
				var status, want int
				switch i % 4 {
				case 1:
					// A sign-in from a browser of its own: signed in, this
					// worker's browser would be sent on from /login and
					// /signup, and its CSRF token renewed.
					var body string
					var fresh *browser
					if fresh, err = newBrowser(srv, st); err == nil {
						status, body, err = fresh.post("/login", url.Values{"email": {email}, "password": {password}})
					}
					want = http.StatusSeeOther
					if status == want && strings.HasPrefix(body, "/dashboard\n") {
						mu.Lock()
						signedIn[email] = true
						mu.Unlock()
					}
				case 2:
					status, _, err = b.post("/login", url.Values{"email": {email}, "password": {"not the password at all"}})
					want = http.StatusUnprocessableEntity
				default:
					page := pages[i%len(pages)]
					status, _, err = b.get(page)
					want = http.StatusOK
					if strings.HasPrefix(page, "/auth/error") {
						// The page of a failure answers with a failure's status.
						want = http.StatusBadRequest
					}
				}
				if err != nil {
					t.Errorf("request %d: %v", i, err)
					return
				}
				if status != want {
					st.unexpected.Add(1)
					t.Errorf("request %d: status %d, want %d", i, status, want)
				}
			}
		}()
	}
	wg.Wait()
	return signedIn
}

// signInAll signs every address in with the password, from the pool.
func signInAll(t *testing.T, srv *server, emails []string) {
	st := &stats{}
	jobs := make(chan string, len(emails))
	for _, e := range emails {
		jobs <- e
	}
	close(jobs)
	var failed atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for email := range jobs {
				b, err := newBrowser(srv, st)
				if err != nil {
					t.Errorf("browser: %v", err)
					return
				}
				status, body, err := b.post("/login", url.Values{"email": {email}, "password": {password}})
				if err != nil || status != http.StatusSeeOther || !strings.HasPrefix(body, "/dashboard\n") {
					failed.Add(1)
					t.Errorf("sign in %s: %d %v", email, status, err)
				}
			}
		}()
	}
	wg.Wait()
	if n := failed.Load(); n > 0 {
		t.Fatalf("%d of %d accounts could not sign in", n, len(emails))
	}
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// usersInDB lists the addresses with a row, read with the app's own db
// package (the server may be running: WAL lets a reader in beside it).
func usersInDB(t *testing.T, path string) map[string]bool {
	t.Helper()
	d, err := db.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	list, err := d.ListUsers(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, u := range list {
		out[u.Email] = true
	}
	return out
}

// confirmAll marks every account's address confirmed, as following each
// emailed link would: an account signs in only once confirmed, and this
// test is about signups and sign-ins under load, not about the links
// (the handler and browser tests follow those).
func confirmAll(t *testing.T, path string) {
	t.Helper()
	d, err := db.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	list, err := d.ListUsers(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range list {
		if err := d.MarkEmailVerified(context.Background(), u.ID, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
}

func checkIntegrity(t *testing.T, path string) {
	t.Helper()
	d, err := db.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var result string
	if err := d.Read.QueryRow("PRAGMA integrity_check").Scan(&result); err != nil || result != "ok" {
		t.Fatalf("integrity check: %q %v", result, err)
	}
}

func TestMain(m *testing.M) { apptest.Main(m) }

// server is one running latchkey binary, with a connection pool sized for
// the workers.
type server struct {
	*apptest.App
	transport *http.Transport
}

// settings raise the limits so that the load is not refused.
var settings = []string{"RATE_LIMIT_BURST=1000000", "RATE_LIMIT_INTERVAL=1ms", "MAIL_LIMIT_PER_ADDRESS=1000", "LOG_LEVEL=warn"}

// startServer serves the database at dbPath until stop, a kill or the end
// of the test.
func startServer(t *testing.T, bin, dbPath string) *server {
	t.Helper()
	app := apptest.Run(t, apptest.Options{Binary: bin, Database: dbPath, Settings: settings})
	return &server{App: app, transport: &http.Transport{MaxIdleConns: 2 * workers, MaxIdleConnsPerHost: 2 * workers}}
}

// stop shuts the server down as an operator would (SIGTERM) and expects a
// clean exit.
func (s *server) stop(t *testing.T) {
	t.Helper()
	s.transport.CloseIdleConnections()
	if err := s.Stop(); err != nil {
		t.Fatalf("%v:\n%s", err, s.Logs())
	}
}
