package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"latchkey/internal/apptest"
)

// app is one running instance of the binary (internal/apptest).
type app struct {
	*apptest.App
	base    string // http://127.0.0.1:PORT
	pprof   string // address of the pprof listener, when built with it
	logPath string // where it logs
}

// startApp runs bin serve on a free loopback port with the database in dir
// and the extra settings env, logging to dir/app-NAME.log, and waits until
// /healthz answers.
func startApp(ctx context.Context, bin, dir, name string, env []string, pprof bool) (*app, error) {
	return startAppOn(ctx, bin, dir, name, "", env, pprof)
}

// startAppOn is startApp on the SQLite file database ("" for dir's
// latchkey.db).
func startAppOn(ctx context.Context, bin, dir, name, database string, env []string, pprof bool) (*app, error) {
	settings := append([]string{"LOG_LEVEL=info"}, env...)
	a := &app{logPath: filepath.Join(dir, "app-"+name+".log")}
	if pprof {
		addr, err := apptest.FreeAddr()
		if err != nil {
			return nil, err
		}
		a.pprof = addr
		settings = append(settings, "PPROF_ADDR="+addr)
	}
	started, err := apptest.Start(ctx, apptest.Options{Binary: bin, Dir: dir, Database: database, Settings: settings,
		LogFile: a.logPath})
	if err != nil {
		return nil, err
	}
	a.App, a.base = started, started.URL
	return a, nil
}

// stop asks the app to shut down (SIGTERM) and kills it if it does not.
// It may be called more than once.
func (a *app) stop() { _ = a.Stop() }

// peakRSS is the app's VmHWM: the most resident memory it has held since
// it started or since resetPeakRSS.
func (a *app) peakRSS() (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", a.Pid()))
	if err != nil {
		return 0, fmt.Errorf("read peak RSS: %w", err)
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if v, ok := strings.CutPrefix(s.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("read peak RSS: %w", err)
			}
			return kb << 10, nil
		}
	}
	return 0, errors.New("read peak RSS: no VmHWM line")
}

// resetPeakRSS starts a new peak measurement (Linux ≥ 4.0), so each
// scenario's figure is its own and not the highest of the whole run.
func (a *app) resetPeakRSS() error {
	if err := os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", a.Pid()), []byte("5"), 0); err != nil {
		return fmt.Errorf("reset peak RSS: %w", err)
	}
	return nil
}

// profile fetches a CPU profile of the app for d into path (bench builds
// with the pprof tag only).
func (a *app) profile(ctx context.Context, d time.Duration, path string) error {
	return fetchTo(ctx, "http://"+a.pprof+"/debug/pprof/profile?seconds="+strconv.Itoa(int(d.Seconds())), path)
}

// memStats saves the app's heap profile in text form, which ends with the
// runtime's MemStats, followed by its /proc status, and beside it its
// goroutines grouped by stack, which say where a flood's requests wait
// (bench builds with the pprof tag only).
func (a *app) memStats(ctx context.Context, path string) error {
	if err := fetchTo(ctx, "http://"+a.pprof+"/debug/pprof/heap?debug=1", path); err != nil {
		return err
	}
	if err := fetchTo(ctx, "http://"+a.pprof+"/debug/pprof/goroutine?debug=1", strings.TrimSuffix(path, ".txt")+"-goroutines.txt"); err != nil {
		return err
	}
	status, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", a.Pid()))
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return err
	}
	if _, err := f.Write(status); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	// The same in pprof's format, for go tool pprof.
	return fetchTo(ctx, "http://"+a.pprof+"/debug/pprof/heap?gc=1", strings.TrimSuffix(path, ".txt")+".pprof")
}

// fetchTo saves the body of GET u in the file path.
func fetchTo(ctx context.Context, u, path string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("fetch %s: %w", u, err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("fetch %s: status %d", u, res.StatusCode)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, res.Body); err != nil {
		f.Close()
		return fmt.Errorf("fetch %s: %w", u, err)
	}
	return f.Close()
}

// browser is the little a client needs to post forms: the CSRF cookie
// (which is also the token for the _csrf field) and optionally a session.
type browser struct {
	csrf    string
	session string
}

func (b browser) cookieHeader() string {
	c := "_csrf=" + b.csrf
	if b.session != "" {
		c += "; latchkey_session=" + b.session
	}
	return c
}

// newBrowser GETs /login to receive a CSRF cookie.
func newBrowser(base string) (browser, error) {
	res, err := http.Get(base + "/login")
	if err != nil {
		return browser{}, fmt.Errorf("GET /login: %w", err)
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, res.Body)
	for _, c := range res.Cookies() {
		if c.Name == "_csrf" {
			return browser{csrf: c.Value}, nil
		}
	}
	return browser{}, errors.New("GET /login set no _csrf cookie")
}

// post sends a form as this browser and returns the response, not
// following redirects.
func (b browser) post(base, path string, form url.Values) (*http.Response, []byte, error) {
	form.Set("_csrf", b.csrf)
	req, err := http.NewRequest(http.MethodPost, base+path, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Cookie", b.cookieHeader())
	return do(req)
}

func (b browser) get(base, path string) (*http.Response, []byte, error) {
	req, err := http.NewRequest(http.MethodGet, base+path, nil)
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("Cookie", b.cookieHeader())
	return do(req)
}

// plainTransport asks for no compression on its own and never unpacks an
// answer, like the load generator's: a captured response is the bytes the
// app sent for exactly the headers the load sends.
var plainTransport = &http.Transport{DisableCompression: true}

func do(req *http.Request) (*http.Response, []byte, error) {
	client := &http.Client{Transport: plainTransport, Timeout: requestTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Do(req)
	if err != nil {
		return nil, nil, fmt.Errorf("%s %s: %w", req.Method, req.URL.Path, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, nil, fmt.Errorf("%s %s: read body: %w", req.Method, req.URL.Path, err)
	}
	return res, body, nil
}

// sessionCookie is the value of the session cookie a response set.
func sessionCookie(res *http.Response) string {
	for _, c := range res.Cookies() {
		if c.Name == "latchkey_session" {
			return c.Value
		}
	}
	return ""
}
