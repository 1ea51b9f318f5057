package accounts

import (
	"testing"
	"time"

	"latchkey/db"
)

// TestGuessWait: none for the free attempts, then 1 s doubling to the cap;
// the wait counts from the last failure, and a last failure stamped ahead
// of this instance's clock (another instance's) never makes it longer.
func TestGuessWait(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	cases := []struct {
		failures int
		last     time.Time
		want     time.Duration
	}{
		{0, time.Time{}, 0},
		{1, now, 0},
		{9, now, 0},
		{9, now.Add(time.Minute), 0}, // a clock ahead, still free
		{10, now, time.Second},
		{11, now, 2 * time.Second},
		{12, now.Add(-time.Second), 3 * time.Second},
		{14, now, 16 * time.Second},
		{15, now, 30 * time.Second},
		{1000, now, 30 * time.Second},
		{15, now.Add(-40 * time.Second), 0},
		{10, now.Add(time.Hour), time.Second}, // a clock ahead: the run's own wait at most
	}
	for _, c := range cases {
		got := guessingWait(db.PasswordFailures{Failures: c.failures, LastFailure: c.last}, now)
		if got != c.want {
			t.Errorf("%d failures, last %s: wait %s, want %s", c.failures, c.last.Sub(now), got, c.want)
		}
	}
}
