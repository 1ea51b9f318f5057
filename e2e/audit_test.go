package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// axePath is axe-core as npm installed it (`npm ci` in e2e/). It is not
// copied into the repository: package-lock.json pins the version.
const axePath = "node_modules/axe-core/axe.min.js"

var (
	axeOnce   sync.Once
	axeSource string
	axeErr    error
)

func axeScript(t *testing.T) string {
	t.Helper()
	axeOnce.Do(func() {
		b, err := os.ReadFile(axePath)
		if err != nil {
			axeErr = fmt.Errorf("read axe-core: %w; run `npm ci` in e2e/ first", err)
			return
		}
		axeSource = string(b)
	})
	if axeErr != nil {
		t.Fatal(axeErr)
	}
	return axeSource
}

// axeResult is what the page reports back from axe.run.
type axeResult struct {
	Violations []struct {
		ID     string   `json:"id"`
		Impact string   `json:"impact"`
		Help   string   `json:"help"`
		Nodes  []string `json:"nodes"`
	} `json:"violations"`
	Passes       []string `json:"passes"`
	Incomplete   []string `json:"incomplete"`
	Inapplicable []string `json:"inapplicable"`
	Version      string   `json:"version"`
}

// runAxe is evaluated through the DevTools protocol, which the page's CSP
// does not govern, so the strict CSP stays as it is in production.
const runAxe = `(async () => {
  const r = await axe.run(document, {resultTypes: ['violations']});
  return {
    version: axe.version,
    violations: r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.map(n => n.target.join(' ') + ' — ' + n.failureSummary)})),
    passes: r.passes.map(x => x.id),
    incomplete: r.incomplete.map(x => x.id),
    inapplicable: r.inapplicable.map(x => x.id),
  };
})()`

// audited is what every check saw, for the summary at the end of a test.
var audited = struct {
	sync.Mutex
	pages   map[string]bool
	ran     map[string]bool // every rule axe ran
	applied map[string]bool // rules that found something to check
	version string
}{pages: map[string]bool{}, ran: map[string]bool{}, applied: map[string]bool{}}

// screenshots reports whether this run writes docs/screenshots/
// (`make screenshots`); a normal run renders the same pages and checks
// them without writing files.
func screenshots() bool { return os.Getenv("SCREENSHOTS") == "1" }

var viewports = []struct {
	name string
	w, h int64
}{{"desktop", 1280, 800}, {"mobile", 375, 812}}

var schemes = []string{"light", "dark"}

// check audits the page in the tab, in light and dark and at a desktop and
// a phone width: axe-core finds no violation, nothing overflows sideways,
// and, for `make screenshots`, each combination is saved as name-*.png.
func (b *tab) check(name string) {
	b.t.Helper()
	axeJS := axeScript(b.t)
	for _, scheme := range schemes {
		b.colorScheme(scheme)
		for _, vp := range viewports {
			b.do(chromedp.EmulateViewport(vp.w, vp.h, func(p *emulation.SetDeviceMetricsOverrideParams, _ *emulation.SetTouchEmulationEnabledParams) {
				p.Mobile = vp.w < 600
			}))
			where := fmt.Sprintf("%s (%s, %s %dx%d)", name, b.path(), scheme, vp.w, vp.h)
			width, err := run(b, chromedp.Evaluate[int64](`document.documentElement.scrollWidth`))
			if err != nil {
				b.t.Fatalf("%s: scroll width: %v", where, err)
			}
			if width > vp.w {
				b.t.Errorf("%s: the page is %d px wide and scrolls sideways", where, width)
			}
			// Contrast depends on the scheme and the layout on the width;
			// axe runs once per combination.
			b.axe(where, axeJS)
			if screenshots() && b.shots {
				png, err := run(b, chromedp.FullScreenshot(100))
				if err != nil {
					b.t.Fatalf("%s: screenshot: %v", where, err)
				}
				if png, err = shrinkPNG(png); err != nil {
					b.t.Fatalf("%s: %v", where, err)
				}
				file := filepath.Join("..", "docs", "screenshots", fmt.Sprintf("%s-%s-%s.png", name, vp.name, scheme))
				if err := os.WriteFile(file, png, 0o644); err != nil {
					b.t.Fatalf("write screenshot: %v", err)
				}
			}
		}
	}
	b.colorScheme("light")
	b.viewport(1280, 800)
	audited.Lock()
	audited.pages[name] = true
	audited.Unlock()
}

func (b *tab) scripts(on bool) {
	b.t.Helper()
	b.do(chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: !on})
		return err
	}))
}

func (b *tab) colorScheme(scheme string) {
	b.t.Helper()
	b.do(chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}},
		})
		return err
	}))
}

func (b *tab) axe(where, axeJS string) {
	b.t.Helper()
	if !b.js {
		// axe-core needs timers, which do not fire while scripts are off.
		// Switching them on after the page loaded runs none of the page's
		// own scripts: the page stays as a no-JavaScript visitor sees it.
		b.scripts(true)
		defer b.scripts(false)
	}
	loaded, err := run(b, chromedp.Evaluate[bool](`typeof axe === 'object'`))
	if err != nil {
		b.t.Fatalf("%s: %v", where, err)
	}
	if !loaded {
		if _, err := run(b, chromedp.Evaluate[chromedp.Void](axeJS)); err != nil {
			b.t.Fatalf("%s: load axe-core: %v", where, err)
		}
	}
	res, err := run(b, chromedp.Evaluate[axeResult](runAxe, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("%s: axe.run: %v", where, err)
	}
	if len(res.Passes) == 0 {
		b.t.Fatalf("%s: axe-core checked nothing", where)
	}
	for _, v := range res.Violations {
		b.t.Errorf("%s: axe %s (%s): %s\n\t%s", where, v.ID, v.Impact, v.Help, strings.Join(v.Nodes, "\n\t"))
	}
	audited.Lock()
	defer audited.Unlock()
	audited.version = res.Version
	for _, list := range [][]string{res.Passes, res.Incomplete, res.Inapplicable} {
		for _, id := range list {
			audited.ran[id] = true
		}
	}
	for _, id := range res.Passes {
		audited.applied[id] = true
	}
	for _, v := range res.Violations {
		audited.ran[v.ID], audited.applied[v.ID] = true, true
	}
}

// auditSummary says how much the checks covered, for a report to quote.
func auditSummary() string {
	audited.Lock()
	defer audited.Unlock()
	if len(audited.pages) == 0 {
		return ""
	}
	pages := make([]string, 0, len(audited.pages))
	for p := range audited.pages {
		pages = append(pages, p)
	}
	sort.Strings(pages)
	return fmt.Sprintf("e2e: audited %d pages with axe-core %s: %d rules ran, %d of them applied to something; pages: %s",
		len(pages), audited.version, len(audited.ran), len(audited.applied), strings.Join(pages, ", "))
}
