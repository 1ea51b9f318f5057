//go:build pprof

package main

import (
	"log/slog"
	"net/http"
	"net/http/pprof"
	"os"
)

// A bench build (`go build -tags pprof`, used by `go run ./bench -profile`)
// serves net/http/pprof on PPROF_ADDR, a listener of its own: the profiler
// is never part of a normal build and never on the app's address.
func init() {
	addr := os.Getenv("PPROF_ADDR")
	if addr == "" {
		return
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	go func() {
		if err := http.ListenAndServe(addr, mux); err != nil {
			slog.Error("pprof listener", "err", err)
		}
	}()
}
