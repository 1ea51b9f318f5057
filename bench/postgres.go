package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"

	"latchkey/internal/dbtest"
)

// dashboardTarget is the signed-in page's ratio to bare Echo: on
// PostgreSQL each view is a round trip to another process, not a read of
// a file in the page cache, and the target says so (issue 15: ≥ 0.2×).
func dashboardTarget(o options) float64 {
	if o.db == "postgres" {
		return 0.2
	}
	return 0.45
}

// postgresSchema is a new schema for the app on the server at
// $TEST_DATABASE_URL, or on a throwaway server of this clone started with
// .ci/postgres (run from the module root, as make bench does); done drops
// the schema and stops a server it started.
func postgresSchema(ctx context.Context) (url string, done func(), err error) {
	base := os.Getenv(dbtest.URLEnv)
	stop := func() {}
	if base == "" {
		out, err := exec.CommandContext(ctx, ".ci/postgres", "start").Output()
		if err != nil {
			return "", nil, fmt.Errorf("start PostgreSQL with .ci/postgres (set %s to use another server): %w", dbtest.URLEnv, err)
		}
		line := strings.TrimSpace(string(out))
		base = strings.Trim(strings.TrimPrefix(line, "export "+dbtest.URLEnv+"="), "'")
		stop = func() { _ = exec.Command(".ci/postgres", "stop").Run() }
		fmt.Fprintln(os.Stderr, "bench: started PostgreSQL (.ci/postgres)")
	}
	u, drop, err := dbtest.NewSchema(ctx, base)
	if err != nil {
		stop()
		return "", nil, err
	}
	return u, func() { _ = drop(context.Background()); stop() }, nil
}
