package main

import (
	"log/slog"
	"os"
	"runtime"
	"runtime/debug"
)

// setMemoryLimit gives the Go runtime a soft memory limit sized to the
// hashes the app allows in flight, unless the operator set GOMEMLIMIT.
//
// Each argon2id run allocates 19 MiB that is garbage a moment later, and
// with GOGC=100 alone the collector lets the heap grow to twice what is
// live. During a sign-in flood, what is live includes every connection
// waiting for a hashing slot (its goroutine stack and buffers, some 20 KB
// each), so the garbage allowed grew with the size of the flood: 2,000
// connections peaked about 80 MiB above 200. The limit caps the heap the
// collector aims for at what the hashes in flight need plus room for the
// app, so the peak stays put however many wait; below it, where an
// ordinary load runs, GOGC alone paces the collector, as before (see
// docs/PERFORMANCE.md, "Memory bounded by the hash cap").
func setMemoryLimit(hashConcurrency int, log *slog.Logger) {
	if os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	if hashConcurrency <= 0 {
		hashConcurrency = runtime.GOMAXPROCS(0)
	}
	limit := memoryLimit(hashConcurrency)
	debug.SetMemoryLimit(limit)
	log.Debug("memory limit", "MiB", limit>>20, "hash_concurrency", hashConcurrency)
}

// memoryLimit is the soft limit for n hashes in flight: 64 MiB for the app
// (the heap of an idle instance is about 9 MiB, 7 of them zxcvbn's
// dictionaries; the rest is room for connections and pages), and each
// hash's 19 MiB twice, the buffer in use and the one just dropped.
func memoryLimit(n int) int64 {
	return (64 + int64(n)*2*20) << 20
}
