package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/alexedwards/argon2id"
	"github.com/labstack/echo/v4"

	"latchkey/auth"
)

// captured is one response of the app, kept byte for byte: status,
// headers (Set-Cookie and security headers included) and body.
type captured struct {
	status int
	header http.Header
	body   []byte
}

func capture(res *http.Response, body []byte) captured {
	h := res.Header.Clone()
	// The server writes the date itself. Content-Length stays: the baseline
	// sets it as the app did, so that both send the body with a length
	// (and not one with a length, the other chunked).
	h.Del("Date")
	return captured{status: res.StatusCode, header: h, body: body}
}

// baseline is bare Echo answering each request from memory with the
// response the app gave to the same method and path: no middleware, no
// session, no template, no database. What the app reaches of its rate is
// what all of Latchkey's own work costs on top of Echo and net/http.
//
// It runs as a child process (this program run again with
// LATCHKEY_BENCH_BASELINE=1), so that it competes with the load generator
// for the CPUs exactly as the app does; in this process it would share the
// generator's Go scheduler and be measured low.
type baseline struct {
	cmd    *exec.Cmd
	base   string
	stdin  io.WriteCloser
	exited chan error
}

// baselineEnv marks the child process.
const baselineEnv = "LATCHKEY_BENCH_BASELINE"

// capturePath is where the parent hands the child a response to serve; it
// is not measured.
const capturePath = "/__bench/capture"

// argon2Path is where the parent asks the child for the raw argon2id rate
// (argon2Rate, argon2HashRate): measured in that fresh process, with the
// runtime's defaults, and not in this one, whose heap (results, seeding)
// changes how often its collector runs and so the rate itself by up to a
// sixth between scenarios.
const argon2Path = "/__bench/argon2"

// argon2Ask is the parent's question to the child: "check" (verify hash
// with password) or "hash" (new hashes of password) for window.
type argon2Ask struct {
	Kind, Hash, Password string
	Window               time.Duration
}

// rawRate runs the raw argon2id loop of kind in the child.
func (b *baseline) rawRate(ctx context.Context, ask argon2Ask) (result, error) {
	body, err := json.Marshal(ask)
	if err != nil {
		return result{}, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, b.base+argon2Path, bytes.NewReader(body))
	if err != nil {
		return result{}, err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return result{}, fmt.Errorf("raw argon2id rate: %w", err)
	}
	defer res.Body.Close()
	var done int
	if res.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(res.Body)
		return result{}, fmt.Errorf("raw argon2id rate: status %d: %s", res.StatusCode, msg)
	}
	if err := json.NewDecoder(res.Body).Decode(&done); err != nil {
		return result{}, fmt.Errorf("raw argon2id rate: %w", err)
	}
	return result{window: ask.Window, done: done}, nil
}

// startBaseline starts the child and reads the address it listens on.
func startBaseline() (*baseline, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("start baseline: %w", err)
	}
	cmd := exec.Command(self)
	cmd.Env = append(os.Environ(), baselineEnv+"=1")
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start baseline: %w", err)
	}
	b := &baseline{cmd: cmd, stdin: stdin, exited: make(chan error, 1)}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		_ = cmd.Process.Kill()
		return nil, fmt.Errorf("start baseline: read its address: %w", err)
	}
	b.base = "http://" + strings.TrimSpace(line)
	go func() { b.exited <- cmd.Wait() }()
	return b, nil
}

// wireCapture is a captured response on its way to the child.
type wireCapture struct {
	Method, Path string
	Status       int
	Header       http.Header
	Body         []byte
}

// serve makes the child answer method path with r from now on.
func (b *baseline) serve(method, path string, r captured) error {
	body, err := json.Marshal(wireCapture{Method: method, Path: path, Status: r.status, Header: r.header, Body: r.body})
	if err != nil {
		return err
	}
	res, err := http.Post(b.base+capturePath, "application/json", bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("hand the baseline a response: %w", err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNoContent {
		return fmt.Errorf("hand the baseline a response: status %d", res.StatusCode)
	}
	return nil
}

// stop ends the child by closing its stdin.
func (b *baseline) stop() {
	_ = b.stdin.Close()
	select {
	case <-b.exited:
	case <-time.After(10 * time.Second):
		_ = b.cmd.Process.Kill()
	}
}

// serveBaseline is the child: bare Echo on a free loopback port, whose
// address it prints, until its stdin closes.
func serveBaseline() error {
	var mu sync.RWMutex
	responses := map[string]captured{} // by "METHOD /path"
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.POST(capturePath, func(c echo.Context) error {
		var w wireCapture
		if err := json.NewDecoder(c.Request().Body).Decode(&w); err != nil {
			return err
		}
		mu.Lock()
		responses[w.Method+" "+w.Path] = captured{status: w.Status, header: w.Header, body: w.Body}
		mu.Unlock()
		return c.NoContent(http.StatusNoContent)
	})
	e.POST(argon2Path, func(c echo.Context) error {
		var ask argon2Ask
		if err := json.NewDecoder(c.Request().Body).Decode(&ask); err != nil {
			return err
		}
		ctx := c.Request().Context()
		var r result
		var err error
		switch ask.Kind {
		case "check":
			r, err = argon2Rate(ctx, ask.Hash, ask.Password, ask.Window)
		case "hash":
			r, err = argon2HashRate(ctx, ask.Password, ask.Window)
		default:
			err = fmt.Errorf("unknown kind %q", ask.Kind)
		}
		if err != nil {
			return c.String(http.StatusInternalServerError, err.Error())
		}
		return c.JSON(http.StatusOK, r.done)
	})
	e.Any("/*", func(c echo.Context) error {
		mu.RLock()
		r, ok := responses[c.Request().Method+" "+c.Request().URL.Path]
		mu.RUnlock()
		if !ok {
			return echo.ErrNotFound
		}
		// Set, not added: each header (Content-Length included) is
		// written once, with the app's values; net/http then sends the
		// body with that length instead of chunking it.
		hd := c.Response().Header()
		for k, v := range r.header {
			hd[k] = v
		}
		c.Response().WriteHeader(r.status)
		_, err := c.Response().Write(r.body)
		return err
	})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	e.Listener = l
	fmt.Println(l.Addr().String())
	go func() {
		// The parent closes our stdin when it is done (or dies).
		_, _ = io.Copy(io.Discard, os.Stdin)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = e.Shutdown(ctx)
	}()
	if err := e.Start(""); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// argon2Rate is the raw password-check rate of this machine: GOMAXPROCS
// goroutines verifying an argon2id hash (auth.Params) in a loop
// for the window, counting checks that finish inside it. No HTTP, no
// database: the most a sign-in endpoint could ever do.
func argon2Rate(ctx context.Context, hash, password string, window time.Duration) (result, error) {
	var n atomic.Int64
	var firstErr atomic.Value
	end := time.Now().Add(window)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil && time.Now().Before(end) {
				ok, err := argon2id.ComparePasswordAndHash(password, hash)
				if err != nil || !ok {
					firstErr.CompareAndSwap(nil, errors.New("argon2id check failed"))
					return
				}
				if time.Now().Before(end) {
					n.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	// No HTTP statuses: the row's error count is about the app's answers.
	r := result{window: window, done: int(n.Load())}
	if e, ok := firstErr.Load().(error); ok {
		return r, e
	}
	return r, nil
}

// argon2Hash makes the hash the raw-rate loop verifies.
func argon2Hash(password string) (string, error) {
	return argon2id.CreateHash(password, auth.Params)
}

// argon2HashRate is the raw hashing rate of this machine, the baseline of
// a signup: GOMAXPROCS goroutines making a new argon2id hash (new salt,
// auth.Params) in a loop for the window.
func argon2HashRate(ctx context.Context, password string, window time.Duration) (result, error) {
	var n atomic.Int64
	var firstErr atomic.Value
	end := time.Now().Add(window)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil && time.Now().Before(end) {
				if _, err := argon2id.CreateHash(password, auth.Params); err != nil {
					firstErr.CompareAndSwap(nil, err)
					return
				}
				if time.Now().Before(end) {
					n.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	r := result{window: window, done: int(n.Load())}
	if e, ok := firstErr.Load().(error); ok {
		return r, e
	}
	return r, nil
}
