package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// load is one run of the load generator: conns workers, each with its own
// keep-alive connection, sending requests back to back for a fixed window.
type load struct {
	conns  int
	window time.Duration
	// request builds the i-th worker's next request.
	request func(worker int) (*http.Request, error)
	// drain, when set, is how long the requests still in flight when the
	// window closes are waited for before they are cancelled (the client
	// hangs up). A flood of 2,000 connections on two cores queues for
	// longer than the server's 30 s WriteTimeout, which would close them
	// unanswered; they were never going to count. 0 waits for every one.
	drain time.Duration
}

// result is what one run measured. Only responses that complete inside the
// window count towards the rate; the requests still in flight when it
// closes are waited for (bounded by the client timeout) and checked, but
// not counted, so a queue at the server does not inflate the figure.
type result struct {
	window    time.Duration
	done      int         // responses completed inside the window
	doneBy    map[int]int // the same, by status
	statuses  map[int]int // every response, in the window or drained after it
	errors    int         // transport errors (refused, reset, timed out)
	firstErr  string
	latencies []time.Duration // of the responses inside the window
}

func (r result) rate() float64 { return float64(r.done) / r.window.Seconds() }

// rateOf is the rate of responses with this status inside the window.
func (r result) rateOf(code int) float64 { return float64(r.doneBy[code]) / r.window.Seconds() }

// fiveXX counts every 5xx answer, in the window or after it.
func (r result) fiveXX() int {
	n := 0
	for c, k := range r.statuses {
		if c >= 500 {
			n += k
		}
	}
	return n
}

// add merges other into r (the repetitions of one side of a scenario).
func (r *result) add(o result) {
	if r.statuses == nil {
		r.statuses, r.doneBy = map[int]int{}, map[int]int{}
	}
	r.window += o.window
	r.done += o.done
	for c, n := range o.statuses {
		r.statuses[c] += n
	}
	for c, n := range o.doneBy {
		r.doneBy[c] += n
	}
	r.errors += o.errors
	if r.firstErr == "" {
		r.firstErr = o.firstErr
	}
	r.latencies = append(r.latencies, o.latencies...)
}

// percentile of the latencies inside the window (p in 0..100).
func (r result) percentile(p float64) time.Duration {
	if len(r.latencies) == 0 {
		return 0
	}
	s := slices.Clone(r.latencies)
	slices.Sort(s)
	i := int(float64(len(s)-1) * p / 100)
	return s[i]
}

func (r result) statusSummary() string {
	codes := make([]int, 0, len(r.statuses))
	for c := range r.statuses {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	var b strings.Builder
	for _, c := range codes {
		fmt.Fprintf(&b, "%d×%d ", c, r.statuses[c])
	}
	return strings.TrimSpace(b.String())
}

// newTransport is tuned for a load generator: one kept-alive connection
// per worker, no compression, no HTTP/2.
func newTransport(conns int) *http.Transport {
	return &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        conns,
		MaxIdleConnsPerHost: conns,
		MaxConnsPerHost:     conns,
		IdleConnTimeout:     30 * time.Second,
		DisableCompression:  true,
		ForceAttemptHTTP2:   false,
	}
}

// requestTimeout bounds one request: a flood of 200 connections queueing
// for argon2id at ~60 hashes/s waits a few seconds, never this long.
const requestTimeout = 60 * time.Second

func (l load) run(ctx context.Context) result {
	tr := newTransport(l.conns)
	defer tr.CloseIdleConnections()
	client := &http.Client{
		Transport: tr,
		Timeout:   requestTimeout,
		// The benchmark measures single responses: a 303 is an answer.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	start := time.Now()
	end := start.Add(l.window)
	reqCtx, cancelReqs := context.WithCancel(ctx)
	defer cancelReqs()
	if l.drain > 0 {
		t := time.AfterFunc(l.window+l.drain, cancelReqs)
		defer t.Stop()
	}
	per := make([]result, l.conns)
	var wg sync.WaitGroup
	for w := range l.conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := &per[w]
			r.statuses, r.doneBy = map[int]int{}, map[int]int{}
			for ctx.Err() == nil && time.Now().Before(end) {
				req, err := l.request(w)
				if err != nil {
					r.errors++
					r.firstErr = err.Error()
					return
				}
				t0 := time.Now()
				res, err := client.Do(req.WithContext(reqCtx))
				if err == nil {
					_, err = io.Copy(io.Discard, res.Body)
					res.Body.Close()
				}
				t1 := time.Now()
				if err != nil {
					if reqCtx.Err() != nil {
						return
					}
					r.errors++
					if r.firstErr == "" {
						r.firstErr = err.Error()
					}
					continue
				}
				r.statuses[res.StatusCode]++
				if t1.Before(end) {
					r.done++
					r.doneBy[res.StatusCode]++
					r.latencies = append(r.latencies, t1.Sub(t0))
				}
			}
		}()
	}
	wg.Wait()
	var total result
	for _, r := range per {
		total.add(r)
	}
	total.window = l.window
	return total
}

// probe sends GET url every interval until ctx ends and returns the
// latencies, counting failures (transport errors and non-200) apart.
func probe(ctx context.Context, url string, interval time.Duration) (lat []time.Duration, failures int) {
	client := &http.Client{Transport: newTransport(1), Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return lat, failures
		case <-t.C:
		}
		t0 := time.Now()
		res, err := client.Get(url)
		if err == nil {
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
		}
		lat = append(lat, time.Since(t0))
		if err != nil || res.StatusCode != http.StatusOK {
			if ctx.Err() != nil {
				return lat, failures
			}
			failures++
		}
	}
}
