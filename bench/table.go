package main

import (
	"fmt"
	"io"
	"runtime"
	"strings"
	"text/tabwriter"
	"time"
)

// printTable writes the one table of the run and reports whether every
// target passed. Every scenario also has the implicit target "no errors":
// no transport error and no answer with a status it does not expect.
func printTable(w io.Writer, rows []row, o options) bool {
	mode := fmt.Sprintf("%d × %s per side, alternating", o.reps, o.window)
	if o.quick {
		mode = "quick: only checks that every scenario runs without errors"
	}
	fmt.Fprintf(w, "\nlatchkey bench — %s, GOMAXPROCS=%d, %d connections (floods %d)\n\n",
		mode, runtime.GOMAXPROCS(0), o.conns, o.floodConns)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "scenario\tapp req/s\tbaseline req/s\tratio\tp50\tp99\tpeak RSS\ttarget\tgot\tresult\t")
	all := true
	for _, r := range rows {
		errs := r.app.errors + r.base.errors + r.unexpected
		checks := append([]check{{what: "no errors", got: fmt.Sprintf("%d", errs), pass: errs == 0}}, r.checks...)
		baseRate, ratio := "—", "—"
		if r.base.window > 0 {
			baseRate, ratio = fmt.Sprintf("%.1f", r.base.rate()), fmt.Sprintf("%.2f", r.ratio)
		}
		for i, c := range checks {
			res := "PASS"
			if !c.pass {
				res, all = "FAIL", false
			}
			if i == 0 {
				fmt.Fprintf(tw, "%s\t%.1f\t%s\t%s\t%s\t%s\t%.0f MiB\t%s\t%s\t%s\t\n", r.name, r.appRate, baseRate, ratio,
					ms(r.app.percentile(50)), ms(r.app.percentile(99)), float64(r.rss)/mib, c.what, c.got, res)
			} else {
				fmt.Fprintf(tw, "\t\t\t\t\t\t\t%s\t%s\t%s\t\n", c.what, c.got, res)
			}
		}
	}
	tw.Flush()
	fmt.Fprintln(w)
	for _, r := range rows {
		var notes []string
		if r.statusNotes != "" {
			notes = append(notes, r.statusNotes)
		}
		if len(r.pairRatios) > 1 {
			each := make([]string, len(r.pairRatios))
			for i, x := range r.pairRatios {
				each[i] = fmt.Sprintf("%.2f", x)
			}
			notes = append(notes, "ratio run by run: "+strings.Join(each, ", "))
		}
		notes = append(notes, "app answers: "+r.app.statusSummary())
		if r.app.firstErr != "" || r.base.firstErr != "" {
			notes = append(notes, "first error: "+r.app.firstErr+r.base.firstErr)
		}
		fmt.Fprintf(w, "  %s: %s\n", r.name, strings.Join(notes, "; "))
	}
	if all {
		fmt.Fprintln(w, "\nall targets PASS")
	} else {
		fmt.Fprintln(w, "\nsome targets FAIL")
	}
	return all
}

func ms(d time.Duration) string {
	switch {
	case d == 0:
		return "—"
	case d < 10*time.Millisecond:
		return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond))
	default:
		return fmt.Sprintf("%.0f ms", float64(d)/float64(time.Millisecond))
	}
}
