package timetext

import (
	"testing"
	"time"
)

// TestLayouts: every moment is written in UTC whatever the zone it comes
// in, in the words the pages and emails have always used.
func TestLayouts(t *testing.T) {
	paris := time.FixedZone("CET", 3600)
	at := time.Date(2026, 3, 7, 9, 5, 30, 0, paris) // 08:05:30 UTC
	for _, c := range []struct {
		name string
		got  string
		want string
	}{
		{"Moment", Moment(at), "7 Mar 2026, 08:05 UTC"},
		{"Date", Date(at), "7 March 2026"},
		{"Clock", Clock(at), "08:05 UTC"},
		{"Stamp", Stamp(at), "7 Mar 08:05:30 UTC"},
		{"MailMoment", MailMoment(at), "7 Mar 2026 08:05 UTC"},
	} {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
}

func TestAgo(t *testing.T) {
	now := time.Date(2026, 3, 7, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		ago  time.Duration
		want string
	}{
		{0, "Active now"},
		{2*time.Minute - time.Second, "Active now"},
		{2 * time.Minute, "2 minutes ago"},
		{59 * time.Minute, "59 minutes ago"},
		{time.Hour, "1 hour ago"},
		{3 * time.Hour, "3 hours ago"},
		{48*time.Hour - time.Second, "47 hours ago"},
		{48 * time.Hour, "2 days ago"},
		{30 * 24 * time.Hour, "30 days ago"},
	} {
		if got := Ago(now, now.Add(-c.ago)); got != c.want {
			t.Errorf("Ago(%v) = %q, want %q", c.ago, got, c.want)
		}
	}
}

func TestDuration(t *testing.T) {
	for _, c := range []struct {
		d    time.Duration
		want string
	}{
		{15 * time.Minute, "15 minutes"},
		{90 * time.Minute, "90 minutes"},
		{time.Hour, "1 hour"},
		{24 * time.Hour, "24 hours"},
		{36 * time.Hour, "36 hours"},
		{48 * time.Hour, "2 days"},
		{168 * time.Hour, "7 days"},
		{30 * time.Second, "30s"},
	} {
		if got := Duration(c.d); got != c.want {
			t.Errorf("Duration(%v) = %q, want %q", c.d, got, c.want)
		}
	}
}

func TestSeconds(t *testing.T) {
	for n, want := range map[int]string{1: "1 second", 2: "2 seconds", 6: "6 seconds", 60: "60 seconds"} {
		if got := Seconds(n); got != want {
			t.Errorf("Seconds(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestSince(t *testing.T) {
	now := time.Date(2026, 3, 7, 12, 0, 0, 0, time.UTC)
	for ago, want := range map[time.Duration]string{0: "just now", 59 * time.Second: "just now", time.Minute: "1 minute ago",
		3 * time.Minute: "3 minutes ago", 5 * time.Hour: "5 hours ago"} {
		if got := Since(now, now.Add(-ago)); got != want {
			t.Errorf("Since %v = %q, want %q", ago, got, want)
		}
	}
}
