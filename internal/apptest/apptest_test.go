package apptest_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"latchkey/internal/apptest"
)

func TestMain(m *testing.M) { apptest.Main(m) }

// failingT is a test that has failed, to see what LogOnFailure prints.
type failingT struct {
	testing.TB
	logs     []string
	cleanups []func()
}

func (f *failingT) Failed() bool                 { return true }
func (f *failingT) Cleanup(fn func())            { f.cleanups = append(f.cleanups, fn) }
func (f *failingT) Logf(format string, a ...any) { f.logs = append(f.logs, fmt.Sprintf(format, a...)) }

func (f *failingT) end() {
	for _, fn := range slices.Backward(f.cleanups) {
		fn()
	}
}

// TestRunServesLogsAndStops: the binary answers on the address it was
// given, in development as the settings say, a failed test is shown only
// what was logged during it, and SIGTERM ends it with status 0.
func TestRunServesLogsAndStops(t *testing.T) {
	apptest.SkipShort(t)
	a := apptest.Run(t, apptest.Options{Settings: []string{"LOG_LEVEL=info"}})
	if !strings.Contains(a.Logs(), `env=development`) || !strings.Contains(a.Logs(), a.Addr) {
		t.Fatalf("the start line does not show development on %s:\n%s", a.Addr, a.Logs())
	}

	ft := &failingT{TB: t}
	a.LogOnFailure(ft)
	res, err := http.Get(a.URL + "/login")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	// The request is logged once its answer is written: it may come a
	// moment after the client has read the answer.
	for deadline := time.Now().Add(5 * time.Second); !strings.Contains(a.Logs(), "path=/login"); {
		if time.Now().After(deadline) {
			t.Fatalf("GET /login was not logged:\n%s", a.Logs())
		}
		time.Sleep(10 * time.Millisecond)
	}
	ft.end()
	if len(ft.logs) != 1 || !strings.Contains(ft.logs[0], "path=/login") || strings.Contains(ft.logs[0], "listening") {
		t.Fatalf("a failed test should see the log of its own requests only, got %q", ft.logs)
	}

	if err := a.Stop(); err != nil {
		t.Fatalf("SIGTERM: %v\n%s", err, a.Logs())
	}
	if err := a.Stop(); err != nil {
		t.Fatalf("a second Stop: %v", err)
	}
	if !strings.Contains(a.Logs(), "shutting down") {
		t.Fatalf("no clean shutdown in the log:\n%s", a.Logs())
	}
}

// TestKilledAppIsNoCleanStop: after SIGKILL the exit says so, and Stop
// reports that the app did not exit cleanly.
func TestKilledAppIsNoCleanStop(t *testing.T) {
	apptest.SkipShort(t)
	a, err := apptest.Start(context.Background(), apptest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	a.Kill()
	if state := a.Wait(); state.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("exit after Kill: %v", state)
	}
	if err := a.Stop(); err == nil {
		t.Fatal("Stop after SIGKILL reported a clean exit")
	}
}
