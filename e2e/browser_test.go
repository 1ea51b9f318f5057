package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"latchkey/internal/apptest"
)

// installHint is how to get the browser the tests drive.
const installHint = "apt-get install chromium"

// chromiumPath finds Debian's chromium.
func chromiumPath() (string, error) {
	for _, name := range []string{"/usr/bin/chromium", "chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("chromium not found")
}

// inCI reports whether the tests run in CI, where a missing browser is a
// failure: a skipped browser test must never pass as a green build.
func inCI() bool {
	v := strings.ToLower(os.Getenv("CI"))
	return v != "" && v != "0" && v != "false"
}

var (
	browserOnce   sync.Once
	browserCtx    context.Context
	browserCancel context.CancelFunc
	browserErr    error
)

// browser is one headless Chromium for the whole run; each test opens its
// own tabs in a fresh browser context (its own cookies).
func browser(t *testing.T) context.Context {
	t.Helper()
	apptest.SkipShort(t)
	path, err := chromiumPath()
	if err != nil {
		if inCI() {
			t.Fatalf("Chromium is not installed, and with CI=true the browser tests may not be skipped; install it with `%s`", installHint)
		}
		t.Skipf("Chromium is not installed, skipping the browser tests; install it with `%s`", installHint)
	}
	browserOnce.Do(func() {
		dir, err := os.MkdirTemp("", "latchkey-chromium-")
		if err != nil {
			browserErr = err
			return
		}
		opts := []chromedp.ExecAllocatorOption{
			chromedp.ExecPath(path),
			chromedp.UserDataDir(dir),
			chromedp.Headless,
			chromedp.NoSandbox,
			chromedp.DisableGPU,
			chromedp.NoFirstRun,
			chromedp.NoDefaultBrowserCheck,
			chromedp.Flag("disable-background-networking", true),
			chromedp.Flag("disable-component-update", true),
			chromedp.Flag("disable-sync", true),
			chromedp.Flag("disable-quic", true),
			chromedp.Flag("disable-dev-shm-usage", true),
			chromedp.Flag("disable-extensions", true),
			chromedp.Flag("disable-default-apps", true),
			// Tabs in new browser contexts count as background tabs; without
			// these, their timers (which axe-core uses) are throttled.
			chromedp.Flag("disable-background-timer-throttling", true),
			chromedp.Flag("disable-backgrounding-occluded-windows", true),
			chromedp.Flag("disable-renderer-backgrounding", true),
			chromedp.Flag("force-color-profile", "srgb"),
			chromedp.Flag("password-store", "basic"),
			chromedp.Flag("font-render-hinting", "none"),
			chromedp.WindowSize(1280, 800),
		}
		alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
		ctx, cancelCtx := chromedp.NewContext(alloc)
		if err := chromedp.Do(ctx); err != nil { // starts the browser
			cancelCtx()
			cancelAlloc()
			os.RemoveAll(dir)
			browserErr = fmt.Errorf("start chromium: %w", err)
			return
		}
		browserCtx = ctx
		browserCancel = func() { cancelCtx(); cancelAlloc(); os.RemoveAll(dir) }
	})
	if browserErr != nil {
		t.Fatal(browserErr)
	}
	return browserCtx
}

// tab is one browser tab in its own browser context, pointed at one server.
type tab struct {
	t   *testing.T
	ctx context.Context
	srv *server
	js  bool
	// shots: this tab's pages are the ones saved by `make screenshots`.
	shots bool
}

// newTab opens a tab; with js false the page's scripts never run, as for
// someone who turned JavaScript off.
func newTab(t *testing.T, srv *server, js bool) *tab {
	t.Helper()
	parent := browser(t)
	ctx, cancel := chromedp.NewContext(parent, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	// One bound for the whole test, so a stuck page fails instead of
	// hanging the suite.
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(cancelTimeout)
	b := &tab{t: t, ctx: ctx, srv: srv, js: js, shots: js}
	// The first run opens the tab and ties it to ctx, not to one step.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("open a tab: %v", err)
	}
	b.do(chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		if _, err := chromedp.Call(ctx, emulation.SetFocusEmulationEnabled, emulation.SetFocusEmulationEnabledParams{Enabled: true}); err != nil {
			return err
		}
		if !js {
			if _, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
				return err
			}
		}
		return nil
	}))
	b.viewport(1280, 800)
	return b
}

// stepTimeout bounds one browser step: an element that never appears fails
// the test quickly, naming the step.
const stepTimeout = 15 * time.Second

// run runs one action of the tab within stepTimeout.
func run[T any](b *tab, a chromedp.Action[T]) (T, error) {
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	return chromedp.Run(ctx, a)
}

func (b *tab) do(actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if _, err := run(b, chromedp.Steps(actions...)); err != nil {
		b.t.Fatalf("browser: %v (at %s)", err, b.url())
	}
}

func (b *tab) viewport(w, h int64) {
	b.t.Helper()
	b.do(chromedp.EmulateViewport(w, h))
}

// open loads a path and returns the HTTP status of the page.
func (b *tab) open(path string) int64 {
	b.t.Helper()
	res, err := run(b, chromedp.NavigateResponse(b.srv.URL+path))
	if err != nil {
		b.t.Fatalf("open %s: %v", path, err)
	}
	return res.Status
}

// press clicks an element that navigates (a submit button or a link) and
// returns the status of the page that loads.
func (b *tab) press(sel string) int64 {
	b.t.Helper()
	return b.pressResponse(sel).Status
}

// pressResponse is press, returning the whole response.
func (b *tab) pressResponse(sel string) *network.Response {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	res, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(sel), chromedp.NodeReady))
	if err != nil {
		b.t.Fatalf("click %s: %v (at %s)", sel, err, b.url())
	}
	return res
}

// typeInto types text into a field with key events, as a person would.
func (b *tab) typeInto(sel, text string) {
	b.t.Helper()
	b.do(chromedp.SendKeys(chromedp.CSS(sel), text, chromedp.NodeReady))
}

// url is the address of the page in the tab (read through the protocol,
// so it works with scripts off).
func (b *tab) url() string {
	h, err := chromedp.Call(b.ctx, page.GetNavigationHistory, cdp.Empty{})
	if err != nil || int(h.CurrentIndex) >= len(h.Entries) {
		return "?"
	}
	return h.Entries[h.CurrentIndex].URL
}

// path is url without the server's origin.
func (b *tab) path() string { return strings.TrimPrefix(b.url(), b.srv.URL) }

// text is the visible text of the first element matching sel.
func (b *tab) text(sel string) string {
	b.t.Helper()
	s, err := run(b, chromedp.Text(chromedp.CSS(sel), chromedp.NodeReady))
	if err != nil {
		b.t.Fatalf("text of %s: %v (at %s)", sel, err, b.url())
	}
	return s
}

// count is how many elements match sel, without waiting for one.
func (b *tab) count(sel string) int {
	b.t.Helper()
	n, err := run(b, chromedp.Evaluate[int](fmt.Sprintf(`document.querySelectorAll(%q).length`, sel)))
	if err != nil {
		b.t.Fatalf("count %s: %v", sel, err)
	}
	return n
}

// expect fails unless the page is at path (query included) with status.
func (b *tab) expect(status, want int64, path string) {
	b.t.Helper()
	if got := b.path(); got != path {
		b.t.Fatalf("at %s, want %s", got, path)
	}
	if status != want {
		b.t.Fatalf("%s answered %d, want %d", path, status, want)
	}
}

// see fails unless the text of sel contains want.
func (b *tab) see(sel, want string) {
	b.t.Helper()
	if got := b.text(sel); !strings.Contains(got, want) {
		b.t.Fatalf("%s at %s says %q, want it to contain %q", sel, b.path(), got, want)
	}
}

// attr is an attribute of the first element matching sel, as the DOM has
// it now (for "value", the current value).
func (b *tab) attr(sel, name string) string {
	b.t.Helper()
	v, err := run(b, chromedp.Evaluate[string](fmt.Sprintf(`String(document.querySelector(%q)[%q] ?? '')`, sel, name)))
	if err != nil {
		b.t.Fatalf("%s of %s: %v", name, sel, err)
	}
	return v
}

// clickOnly clicks an element that does not navigate.
func clickOnly(sel string) chromedp.Action[chromedp.Void] {
	return chromedp.Click(chromedp.CSS(sel), chromedp.NodeReady)
}
