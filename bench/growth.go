package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"

	"latchkey/internal/apptest"
)

// go run ./bench -growth: how the cost of a request grows with the size of
// the database, the number of connections and the sessions of a user. Each
// point is one instance's own CPU time (user + system, from /proc) over the
// requests it answered in the window, and the p99 the load generator saw.
// It prints the table of docs/PERFORMANCE.md ("How cost grows") and draws
// each of the three as an SVG chart in docs/.

// point is one measurement of a growth curve.
type point struct {
	x       int // database users, connections, or sessions of the user
	rate    float64
	cpu     time.Duration // per request
	p99     time.Duration
	errors  int
	request string
}

// curve is one of the three.
type curve struct {
	name, xLabel, file string
	points             []point
}

// cpuTime is the process's user + system time so far.
func cpuTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name (field 2) may hold spaces; the fields after it are
	// counted from its closing parenthesis.
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return 0, fmt.Errorf("short /proc/%d/stat", pid)
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("parse /proc/%d/stat", pid)
	}
	// USER_HZ is 100 on Linux.
	return time.Duration(utime+stime) * 10 * time.Millisecond, nil
}

// measurePoint loads a for the window with conns connections and returns
// its CPU per answered request and the p99.
func measurePoint(ctx context.Context, a *app, x, conns int, window time.Duration, request func(int) (*http.Request, error), what string) (point, error) {
	before, err := cpuTime(a.Pid())
	if err != nil {
		return point{}, err
	}
	r := load{conns: conns, window: window, drain: 5 * time.Second, request: request}.run(ctx)
	after, err := cpuTime(a.Pid())
	if err != nil {
		return point{}, err
	}
	p := point{x: x, rate: r.rate(), p99: r.percentile(99), errors: r.errors + unexpected(r, http.StatusOK), request: what}
	if r.done > 0 {
		p.cpu = (after - before) / time.Duration(r.done)
	}
	return p, nil
}

func runGrowth(ctx context.Context, o options, bin, dir string) ([]curve, error) {
	raised := append([]string{"RATE_LIMIT_BURST=1000000000", "RATE_LIMIT_INTERVAL=1ns"}, o.appEnv...)
	window := time.Duration(o.reps) * o.window
	sizes := []int{1_000, 100_000, 1_000_000}
	conns := []int{32, 200, 2000}
	sessions := []int{1, 100, 10_000}
	if o.quick {
		sizes, conns, sessions = []int{100, 1000, 3000}, []int{8, 32, 64}, []int{1, 10, 100}
	}
	b := &bench{o: o}
	db := curve{name: "GET /dashboard against database size", xLabel: "users (sessions ×2, tokens ×1)", file: "growth-database.svg"}
	cc := curve{name: "GET /dashboard against connections", xLabel: "connections", file: "growth-connections.svg"}
	sc := curve{name: "GET /settings against sessions of the user", xLabel: "sessions of the user", file: "growth-sessions.svg"}
	for i, n := range sizes {
		s, err := b.startSeeded(ctx, bin, dir, fmt.Sprintf("growth-%d", n), seedCounts{users: n, sessions: 2 * n, tokens: n}, raised)
		if err != nil {
			return nil, err
		}
		p, err := measurePoint(ctx, s.app, n, o.conns, window, withCookie(s.app.base, "/dashboard", s.user), "GET /dashboard")
		if err != nil {
			s.stop()
			return nil, err
		}
		db.points = append(db.points, p)
		fmt.Fprintf(os.Stderr, "bench: growth: %d users: %s CPU a request, p99 %s\n", n, p.cpu, ms(p.p99))
		if i == 0 {
			// The smallest database serves the two other curves.
			for _, c := range conns {
				p, err := measurePoint(ctx, s.app, c, c, window, withCookie(s.app.base, "/dashboard", s.user), "GET /dashboard")
				if err != nil {
					s.stop()
					return nil, err
				}
				cc.points = append(cc.points, p)
				fmt.Fprintf(os.Stderr, "bench: growth: %d connections: %s CPU a request, p99 %s\n", c, p.cpu, ms(p.p99))
			}
			for _, k := range sessions {
				email := fmt.Sprintf("growth-%d-sessions@example.com", k)
				br, _, err := signUp(s.app.base, "Growth Sessions", email)
				if err == nil && k > 1 {
					err = addSessions(ctx, s.app.Database, email, k-1)
				}
				if err != nil {
					s.stop()
					return nil, err
				}
				p, err := measurePoint(ctx, s.app, k, o.conns, window, withCookie(s.app.base, "/settings", br), "GET /settings")
				if err != nil {
					s.stop()
					return nil, err
				}
				sc.points = append(sc.points, p)
				fmt.Fprintf(os.Stderr, "bench: growth: %d sessions: %s CPU a request, p99 %s\n", k, p.cpu, ms(p.p99))
			}
		}
		s.stop()
	}
	return []curve{db, cc, sc}, nil
}

// printGrowth writes the "How cost grows" table; it reports whether every
// point ran with no errors.
func printGrowth(w io.Writer, curves []curve, o options) bool {
	fmt.Fprintf(w, "\nlatchkey bench -growth — %s of load per point, %d connections unless the row says\n\n", time.Duration(o.reps)*o.window, o.conns)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "curve\tx\trequest\treq/s\tCPU per request\tp99\terrors\t")
	ok := true
	for _, c := range curves {
		for _, p := range c.points {
			fmt.Fprintf(tw, "%s\t%d\t%s\t%.0f\t%d µs\t%s\t%d\t\n", c.xLabel, p.x, p.request, p.rate, p.cpu.Microseconds(), ms(p.p99), p.errors)
			ok = ok && p.errors == 0
		}
	}
	tw.Flush()
	return ok
}

// drawGrowth draws each curve as an SVG in dir: CPU per request and p99,
// on a logarithmic x axis.
func drawGrowth(curves []curve, dir string) error {
	for _, c := range curves {
		p := plot.New()
		p.Title.Text = c.name
		p.X.Label.Text = c.xLabel + " (log scale)"
		p.Y.Label.Text = "µs of CPU per request; ms of p99"
		p.X.Scale = plot.LogScale{}
		p.X.Tick.Marker = plot.LogTicks{Prec: -1}
		p.Y.Min = 0
		cpu, p99 := make(plotter.XYs, len(c.points)), make(plotter.XYs, len(c.points))
		for i, pt := range c.points {
			cpu[i] = plotter.XY{X: float64(pt.x), Y: float64(pt.cpu.Microseconds())}
			p99[i] = plotter.XY{X: float64(pt.x), Y: float64(pt.p99) / float64(time.Millisecond)}
		}
		if err := plotutil.AddLinePoints(p, "CPU per request (µs)", cpu, "p99 (ms)", p99); err != nil {
			return err
		}
		p.Legend.Top = true
		if err := p.Save(6*vg.Inch, 3.5*vg.Inch, filepath.Join(dir, c.file)); err != nil {
			return fmt.Errorf("draw %s: %w", c.file, err)
		}
	}
	return nil
}

// growthMain is go run ./bench -growth.
func growthMain(ctx context.Context, o options) error {
	dir, err := os.MkdirTemp("", "latchkey-growth-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	bin, err := apptest.Binary(ctx)
	defer apptest.RemoveBinaries()
	if err != nil {
		return err
	}
	curves, err := runGrowth(ctx, o, bin, dir)
	if err != nil {
		return err
	}
	ok := printGrowth(os.Stdout, curves, o)
	if o.quick {
		// -quick checks the harness; its tiny curves are not for docs/.
		if !ok {
			return fmt.Errorf("some points had errors")
		}
		return nil
	}
	if err := drawGrowth(curves, o.growth); err != nil {
		return err
	}
	fmt.Fprintf(os.Stdout, "\ncharts: %s\n", filepath.Join(o.growth, "growth-*.svg"))
	if !ok {
		return fmt.Errorf("some points had errors")
	}
	return nil
}
