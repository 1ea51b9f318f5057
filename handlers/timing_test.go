package handlers

import (
	"net/http"
	"slices"
	"testing"
	"time"
)

// TestSignInTimingHasNoOracle compares how long a sign-in takes with an
// unknown email, a known email and a wrong password, and a disabled account:
// each spends exactly one argon2id hash, so their medians must be of the
// same order. A path that skipped the hash would answer in a fraction of
// the time and tell a stranger which addresses have accounts.
func TestSignInTimingHasNoOracle(t *testing.T) {
	app := newTestApp(t)
	app.client().signup("Ada Lovelace", "ada@example.com", strongPassword)
	app.client().signup("Grace Hopper", "grace@example.com", strongPassword)
	grace, err := app.db.UserByEmail(t.Context(), "grace@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if err := app.acc.SetDisabled(t.Context(), grace.ID, true); err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		name, email, password string
		message               string
	}{
		{"unknown email", "nobody@example.com", strongPassword, "don't match"},
		{"wrong password", "ada@example.com", "not the right passphrase", "don't match"},
		{"disabled account", "grace@example.com", strongPassword, "has been disabled"},
	}
	c := app.client()
	c.csrf()
	const samples = 15
	durations := make([][]time.Duration, len(cases))
	for i := range samples + 1 {
		// A minute between rounds: sixteen wrong passwords for one address
		// at one instant would be slowed down (accounts/guessing.go).
		app.clock.Advance(time.Minute)
		// Interleaved, so a burst of load on the machine hits every case.
		for j, tc := range cases {
			before := app.hashes()
			start := time.Now()
			res := c.login(tc.email, tc.password)
			d := time.Since(start)
			assertStatus(t, res, http.StatusUnprocessableEntity)
			assertContains(t, res, tc.message)
			if n := app.hashes() - before; n != 1 {
				t.Fatalf("%s: %d hashes, want exactly 1", tc.name, n)
			}
			if i > 0 { // the first round warms caches and connections
				durations[j] = append(durations[j], d)
			}
		}
	}
	medians := make([]time.Duration, len(cases))
	for j := range cases {
		slices.Sort(durations[j])
		medians[j] = durations[j][samples/2]
		t.Logf("%-16s median %v (min %v, max %v)", cases[j].name, medians[j], durations[j][0], durations[j][samples-1])
	}
	for a := range cases {
		for b := range cases {
			if ratio := float64(medians[a]) / float64(medians[b]); ratio > 2 {
				t.Errorf("%s takes %.1f× as long as %s: a timing oracle", cases[a].name, ratio, cases[b].name)
			}
		}
	}
}
