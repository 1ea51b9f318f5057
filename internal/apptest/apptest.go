// Package apptest runs the real latchkey binary for the tests that talk to
// it over HTTP (e2e, loadtest) and for the bench program: the binary is
// built once per process (or taken from $LATCHKEY_BINARY), started on a free
// loopback port with its own database and only the settings it is given,
// ready when /healthz answers, stopped as an operator would (SIGTERM, then
// SIGKILL), and what it logged is kept to explain a failure.
//
// Start and Stop return errors, so a program (bench) or a server shared by a
// whole test package can use them; Run is Start for one test. It imports
// internal/logtest and no other Latchkey package.
package apptest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"latchkey/internal/logtest"
)

// BinaryEnv names an environment variable that may hold the path of a
// latchkey binary built beforehand (`make test` builds bin/latchkey once
// for every package); Binary then builds nothing.
const BinaryEnv = "LATCHKEY_BINARY"

const (
	// readyWithin is how long a start may take before /healthz answers: a
	// start migrates the database, and the machine may be busy.
	readyWithin = 30 * time.Second
	// stopWithin is how long the app has to shut down after SIGTERM before
	// it is killed.
	stopWithin = 30 * time.Second
)

var builds struct {
	mu   sync.Mutex
	dir  string
	once map[string]*builtBinary // by build tags
}

type builtBinary struct {
	once sync.Once
	path string
	err  error
}

// Binary is the path of a latchkey binary built from this module with the
// given build tags, the same `go build` that `make build` runs. Each set of
// tags is built once per process; without tags, $LATCHKEY_BINARY is used
// when it is set. RemoveBinaries deletes what was built.
func Binary(ctx context.Context, tags ...string) (string, error) {
	if len(tags) == 0 {
		if p := os.Getenv(BinaryEnv); p != "" {
			abs, err := filepath.Abs(p)
			if err != nil {
				return "", fmt.Errorf("%s: %w", BinaryEnv, err)
			}
			if _, err := os.Stat(abs); err != nil {
				return "", fmt.Errorf("%s: %w", BinaryEnv, err)
			}
			return abs, nil
		}
	}
	key := strings.Join(tags, ",")
	builds.mu.Lock()
	if builds.once == nil {
		builds.once = map[string]*builtBinary{}
	}
	b := builds.once[key]
	if b == nil {
		b = &builtBinary{}
		builds.once[key] = b
	}
	builds.mu.Unlock()
	b.once.Do(func() { b.path, b.err = build(ctx, tags) })
	return b.path, b.err
}

func build(ctx context.Context, tags []string) (string, error) {
	gomod, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("find the module to build: %w", err)
	}
	root := filepath.Dir(strings.TrimSpace(string(gomod)))
	builds.mu.Lock()
	if builds.dir == "" {
		builds.dir, err = os.MkdirTemp("", "latchkey-apptest-")
	}
	dir := builds.dir
	builds.mu.Unlock()
	if err != nil {
		return "", fmt.Errorf("build directory: %w", err)
	}
	name := "latchkey"
	if len(tags) > 0 {
		name += "-" + strings.Join(tags, "-")
	}
	bin := filepath.Join(dir, name)
	args := []string{"build", "-o", bin}
	if len(tags) > 0 {
		args = append(args, "-tags", strings.Join(tags, ","))
	}
	cmd := exec.CommandContext(ctx, "go", append(args, ".")...)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build latchkey: %w\n%s", err, out)
	}
	return bin, nil
}

// RemoveBinaries deletes the binaries Binary built; the next call builds
// again. Call it when the process is done with them (Main does).
func RemoveBinaries() {
	builds.mu.Lock()
	defer builds.mu.Unlock()
	if builds.dir != "" {
		os.RemoveAll(builds.dir)
	}
	builds.dir, builds.once = "", nil
}

// Main is the TestMain of a package that needs nothing else: it runs the
// tests, then removes the binaries they built.
func Main(m *testing.M) {
	code := m.Run()
	RemoveBinaries()
	os.Exit(code)
}

// SkipShort skips a test that runs the real binary when `go test -short`
// asks for the fast tests only. It skips for nothing else: without -short
// such a test runs, in CI or not.
func SkipShort(t testing.TB) {
	t.Helper()
	if testing.Short() {
		t.Skip("runs the real binary: skipped with -short (make check); make test runs it")
	}
}

// FreeAddr is a loopback address with a port nobody listens on right now.
func FreeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// Env is the whole environment of the binary serving at addr on the
// database dbPath: nothing is inherited but PATH and HOME, so a developer's
// own settings change nothing. settings (KEY=value) come last and win.
func Env(dbPath, addr string, settings ...string) []string {
	return append([]string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + os.Getenv("HOME"),
		"APP_ENV=development",
		"DATABASE_PATH=" + dbPath,
		"LISTEN_ADDR=" + addr,
		"BASE_URL=http://" + addr,
	}, settings...)
}

// Options say how to start the app. The zero value is a fresh database in
// a temporary directory and the settings of Env.
type Options struct {
	// Binary is the executable; empty: Binary(ctx).
	Binary string
	// Dir is the working directory (it holds no .env, so only the settings
	// count) and, unless Database is set, holds latchkey.db. Empty: a new
	// temporary directory, removed when the app exits.
	Dir string
	// Database is the SQLite file; set it to start again on the same data.
	Database string
	// Settings are KEY=value after those of Env; a later one wins.
	Settings []string
	// Host, when set, is the name the app is reached by instead of
	// 127.0.0.1 (its URL and BASE_URL; it still listens on loopback):
	// "localhost" for the passkey tests, since browsers refuse WebAuthn
	// on an IP address.
	Host string
	// LogFile, when set, receives the app's stdout and stderr; otherwise
	// they are kept in memory. A benchmark, which logs every request, wants
	// a file.
	LogFile string
}

// App is one running latchkey serve.
type App struct {
	URL      string // http://127.0.0.1:PORT
	Addr     string // 127.0.0.1:PORT, its LISTEN_ADDR
	Database string

	cmd     *exec.Cmd
	logs    *logtest.Buffer // nil when logging to logFile
	logFile string
	done    chan struct{}

	stopOnce sync.Once
	stopErr  error
	mu       sync.Mutex
	killed   bool
}

// Start runs `latchkey serve` and returns once /healthz answers 200. When
// the app exits first or does not answer in time, it is stopped and the
// error carries what it logged.
func Start(ctx context.Context, o Options) (*App, error) {
	bin := o.Binary
	if bin == "" {
		var err error
		if bin, err = Binary(ctx); err != nil {
			return nil, err
		}
	}
	dir, tmp := o.Dir, ""
	if dir == "" {
		var err error
		if dir, err = os.MkdirTemp("", "latchkey-apptest-run-"); err != nil {
			return nil, fmt.Errorf("temp dir: %w", err)
		}
		tmp = dir
	}
	addr, err := FreeAddr()
	if err != nil {
		os.RemoveAll(tmp)
		return nil, err
	}
	a := &App{URL: "http://" + addr, Addr: addr, Database: o.Database, logFile: o.LogFile, done: make(chan struct{})}
	settings := o.Settings
	if o.Host != "" {
		_, port, _ := net.SplitHostPort(addr)
		a.URL = "http://" + net.JoinHostPort(o.Host, port)
		settings = append([]string{"BASE_URL=" + a.URL}, settings...)
	}
	if a.Database == "" {
		a.Database = filepath.Join(dir, "latchkey.db")
	}
	a.cmd = exec.Command(bin, "serve")
	a.cmd.Dir = dir
	a.cmd.Env = Env(a.Database, addr, settings...)
	var logFile *os.File
	if o.LogFile != "" {
		if logFile, err = os.Create(o.LogFile); err != nil {
			os.RemoveAll(tmp)
			return nil, fmt.Errorf("app log: %w", err)
		}
		a.cmd.Stdout, a.cmd.Stderr = logFile, logFile
	} else {
		a.logs = &logtest.Buffer{}
		a.cmd.Stdout, a.cmd.Stderr = a.logs, a.logs
	}
	if err := a.cmd.Start(); err != nil {
		if logFile != nil {
			logFile.Close()
		}
		os.RemoveAll(tmp)
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	go func() {
		_ = a.cmd.Wait()
		if logFile != nil {
			logFile.Close()
		}
		if tmp != "" {
			os.RemoveAll(tmp)
		}
		close(a.done)
	}()
	if err := a.waitReady(ctx); err != nil {
		_ = a.Stop()
		return nil, fmt.Errorf("%w; latchkey logged:\n%s", err, a.LogTail(50))
	}
	return a, nil
}

func (a *App) waitReady(ctx context.Context) error {
	deadline := time.Now().Add(readyWithin)
	// A poll that hangs must not outlive the deadline.
	health := &http.Client{Timeout: 2 * time.Second}
	for {
		res, err := health.Get(a.URL + "/healthz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-a.done:
			return fmt.Errorf("latchkey exited before it answered /healthz: %v", a.cmd.ProcessState)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("latchkey did not answer /healthz within %s", readyWithin)
		}
	}
}

// Run is Start for one test: the test fails when the app does not start,
// and when the test ends the app is stopped (it must exit cleanly, unless
// the test killed it) and, if the test failed, its log is printed.
func Run(t testing.TB, o Options) *App {
	t.Helper()
	a, err := Start(context.Background(), o)
	if err != nil {
		t.Fatalf("start latchkey: %v", err)
	}
	t.Cleanup(func() {
		if err := a.Stop(); err != nil && !a.wasKilled() {
			t.Errorf("stop latchkey: %v", err)
		}
	})
	a.LogOnFailure(t)
	return a
}

// LogOnFailure prints what the app logs from now until the end of t, if t
// fails: for a server that several tests share, only its own part.
func (a *App) LogOnFailure(t testing.TB) {
	from := len(a.Logs())
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		logs := a.Logs()
		if len(logs) < from {
			from = 0
		}
		if logs = logs[from:]; logs == "" {
			logs = "(nothing)\n"
		}
		t.Logf("latchkey at %s logged during %s:\n%s", a.URL, t.Name(), logs)
	})
}

// Stop sends SIGTERM, as an operator or orchestrator would, and waits for
// the exit; after stopWithin it kills the app. The error says when the exit
// was not clean (killed, or a status other than 0). It may be called more
// than once, and after the app has exited.
func (a *App) Stop() error {
	a.stopOnce.Do(func() {
		_ = a.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-a.done:
		case <-time.After(stopWithin):
			_ = a.cmd.Process.Kill()
			<-a.done
			a.stopErr = fmt.Errorf("latchkey did not stop within %s of SIGTERM", stopWithin)
			return
		}
		if !a.cmd.ProcessState.Success() {
			a.stopErr = fmt.Errorf("latchkey exited with %v", a.cmd.ProcessState)
		}
	})
	return a.stopErr
}

// Kill sends SIGKILL, a crash the app cannot react to, and returns at once;
// Wait waits for the exit.
func (a *App) Kill() {
	a.mu.Lock()
	a.killed = true
	a.mu.Unlock()
	_ = a.cmd.Process.Signal(syscall.SIGKILL)
}

func (a *App) wasKilled() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.killed
}

// Wait waits until the app has exited and returns how it ended.
func (a *App) Wait() *os.ProcessState {
	<-a.done
	return a.cmd.ProcessState
}

// Exited is closed when the app has exited.
func (a *App) Exited() <-chan struct{} { return a.done }

// Pid is the app's process id (for /proc).
func (a *App) Pid() int { return a.cmd.Process.Pid }

// Logs is everything the app has written to stdout and stderr so far.
func (a *App) Logs() string {
	if a.logs != nil {
		return a.logs.String()
	}
	b, err := os.ReadFile(a.logFile)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Sprintf("(read %s: %v)", a.logFile, err)
	}
	return string(b)
}

// LogTail is the last n lines of Logs.
func (a *App) LogTail(n int) string {
	lines := strings.Split(strings.TrimRight(a.Logs(), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
