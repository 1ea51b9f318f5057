package device

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	// The app's largest resident data, loaded at init as in the binary, so
	// that a collection in this test binary costs what it costs in the app.
	_ "github.com/ccojocar/zxcvbn-go"
	"github.com/medama-io/go-useragent"
	"github.com/medama-io/go-useragent/agents"
)

// These benchmarks are why Describe is a list of rules and not a maintained
// parser: github.com/medama-io/go-useragent, the candidate, is as fast per
// call, but its tables stay on the heap for the life of the process and make
// every garbage collection several times as expensive (BenchmarkParserInit).
// Run them again when a new version of the parser is out:
//
//	go test -run '^$' -bench . -benchmem ./device

// uaParser is go-useragent's parser, built on first use.
var uaParser = sync.OnceValue(useragent.NewParser)

// describeWithParser is what Describe would be on go-useragent: its names
// in our words, and the two programs it does not name.
func describeWithParser(userAgent string) string {
	ua := uaParser().Parse(userAgent)
	browser := ua.Browser().String()
	switch ua.Browser() {
	case agents.BrowserAndroid: // its name for an Android User-Agent with no browser in it
		browser = ""
	case agents.BrowserSamsung:
		browser = "Samsung Internet"
	}
	system := ua.OS().String()
	switch {
	case ua.OS() == agents.OSMacOS:
		system = "macOS"
	case ua.OS() == agents.OSIOS && ua.IsTablet():
		system = "iPadOS"
	}
	switch {
	case browser != "" && system != "":
		return browser + " on " + system
	case browser != "":
		return browser
	case system != "":
		return system + " device"
	}
	for _, p := range []struct{ prefix, name string }{{"curl/", "curl"}, {"go-http-client/", "a Go program"}} {
		if len(userAgent) >= len(p.prefix) && strings.EqualFold(userAgent[:len(p.prefix)], p.prefix) {
			return p.name
		}
	}
	return Unknown
}

// BenchmarkDescribe describes the User-Agents of TestDescribe (a sessions
// list's worth of browsers, two programs, bots and unknowns), one per op,
// with the rules and with go-useragent, whose tables are built before the
// timer starts. Both give the same words for every one of them. "rules" is
// Describe as the app calls it, so after the first round every answer
// comes from its cache; the rules alone were 3–5 µs a call on a loaded
// machine, the cached answer 0.2–0.3 µs.
func BenchmarkDescribe(b *testing.B) {
	for _, c := range describeCases {
		if got := describeWithParser(c.ua); got != c.want {
			b.Fatalf("with go-useragent, %q is %q, want %q", c.ua, got, c.want)
		}
	}
	for _, impl := range []struct {
		name     string
		describe func(string) string
	}{{"rules", Describe}, {"go-useragent", describeWithParser}} {
		b.Run(impl.name, func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				impl.describe(describeCases[i%len(describeCases)].ua)
				i++
			}
		})
	}
}

// initCostEnv makes the test binary, started again by BenchmarkParserInit,
// build go-useragent's tables in a fresh process and print what they cost.
const initCostEnv = "DEVICE_PARSER_INIT_COST"

func TestMain(m *testing.M) {
	if os.Getenv(initCostEnv) == "1" {
		gcBefore := timeGC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		start := time.Now()
		p := uaParser()
		elapsed := time.Since(start)
		runtime.GC()
		runtime.ReadMemStats(&after)
		gcAfter := timeGC()
		runtime.KeepAlive(p)
		fmt.Printf("init %d %d %d %d %d %d %d\n", elapsed.Nanoseconds(), after.HeapAlloc-before.HeapAlloc,
			after.HeapObjects-before.HeapObjects, after.TotalAlloc-before.TotalAlloc, after.Mallocs-before.Mallocs,
			gcBefore.Nanoseconds(), gcAfter.Nanoseconds())
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// timeGC is how long a full garbage collection takes, the best of ten.
func timeGC() time.Duration {
	best := time.Duration(1<<63 - 1)
	for range 10 {
		start := time.Now()
		runtime.GC()
		best = min(best, time.Since(start))
	}
	return best
}

// BenchmarkParserInit measures what go-useragent's tables cost a process:
// each op is a fresh process (this test binary again, holding zxcvbn's
// dictionaries as the app does) that builds them once and reports the time
// (init-ns), the heap they keep (init-heap-B, in init-heap-objects
// objects), what building them allocated (init-alloc-B, init-allocs), and a
// full garbage collection before and after (gc-before-ns, gc-after-ns).
func BenchmarkParserInit(b *testing.B) {
	names := []string{"init-ns", "init-heap-B", "init-heap-objects", "init-alloc-B", "init-allocs", "gc-before-ns", "gc-after-ns"}
	sums := make([]float64, len(names))
	n := 0
	for b.Loop() {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), initCostEnv+"=1")
		out, err := cmd.Output()
		if err != nil {
			b.Fatalf("%v\n%s", err, out)
		}
		v := make([]float64, len(names))
		found := false
		for sc := bufio.NewScanner(bytes.NewReader(out)); sc.Scan(); {
			if _, err := fmt.Sscanf(sc.Text(), "init %g %g %g %g %g %g %g", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6]); err == nil {
				found = true
			}
		}
		if !found {
			b.Fatalf("no measurement in %q", strings.TrimSpace(string(out)))
		}
		for i := range v {
			sums[i] += v[i]
		}
		n++
	}
	for i, name := range names {
		b.ReportMetric(sums[i]/float64(n), name)
	}
}
