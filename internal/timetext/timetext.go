// Package timetext writes moments and durations the way Latchkey's pages
// and emails show them to people: every moment in UTC (the server does not
// know the reader's zone, and a named zone is never misread), every
// duration in words. Each layout lives here, once, so a page and an email
// that speak of the same thing say it the same way, and a change of
// wording is one edit.
//
// It imports only the standard library and no Latchkey package, so every
// layer that writes text for people (handlers, accounts, mail) may use it.
package timetext

import (
	"fmt"
	"strconv"
	"time"
)

// The layouts. Each is used through the function below it.
const (
	momentLayout     = "2 Jan 2006, 15:04 UTC"
	dateLayout       = "2 January 2006"
	clockLayout      = "15:04 UTC"
	stampLayout      = "2 Jan 15:04:05 MST"
	mailMomentLayout = "2 Jan 2006 15:04 MST"
)

// Moment is a moment on a page: "2 Jan 2006, 15:04 UTC" (a session's
// sign-in, a note's last edit).
func Moment(t time.Time) string { return t.UTC().Format(momentLayout) }

// Date is a day on a page, the month in full: "2 January 2006" (member
// since).
func Date(t time.Time) string { return t.UTC().Format(dateLayout) }

// Clock is a time of today: "15:04 UTC" (until when the sudo window lasts).
func Clock(t time.Time) string { return t.UTC().Format(clockLayout) }

// Stamp is a moment to the second without the year, for the development
// mailbox, where messages minutes apart must be told apart: "2 Jan
// 15:04:05 UTC".
func Stamp(t time.Time) string { return t.UTC().Format(stampLayout) }

// MailMoment is the moment of a security notice: "2 Jan 2006 15:04 UTC".
// It is Moment without the comma, because the notice's sentence puts a
// full stop right after it ("When: … . Device: …").
func MailMoment(t time.Time) string { return t.UTC().Format(mailMomentLayout) }

// Ago says how long ago t was, seen at now, for the sessions list.
// Activity is recorded at most once a minute, so anything under two
// minutes is "Active now"; then minutes, hours up to two days, and days.
func Ago(now, t time.Time) string {
	d := now.Sub(t)
	plural := func(n int, unit string) string {
		if n == 1 {
			return "1 " + unit + " ago"
		}
		return strconv.Itoa(n) + " " + unit + "s ago"
	}
	switch {
	case d < 2*time.Minute:
		return "Active now"
	case d < time.Hour:
		return plural(int(d/time.Minute), "minute")
	case d < 48*time.Hour:
		return plural(int(d/time.Hour), "hour")
	}
	return plural(int(d/(24*time.Hour)), "day")
}

// Since says how long ago something happened at t, seen at now, for the
// activity log: "just now" under a minute, then as Ago.
func Since(now, t time.Time) string {
	if now.Sub(t) < time.Minute {
		return "just now"
	}
	if now.Sub(t) < 2*time.Minute {
		return "1 minute ago"
	}
	return Ago(now, t)
}

// Duration says how long something lasts, in the largest whole unit:
// "15 minutes", "1 hour", "24 hours", "7 days" (how long a link works).
// Days are used from two days on; a duration under a minute, which no
// setting gives, is Go's own spelling.
func Duration(d time.Duration) string {
	switch {
	case d >= 48*time.Hour && d%(24*time.Hour) == 0:
		return fmt.Sprintf("%d days", d/(24*time.Hour))
	case d >= time.Hour && d%time.Hour == 0:
		if d == time.Hour {
			return "1 hour"
		}
		return fmt.Sprintf("%d hours", d/time.Hour)
	case d >= time.Minute:
		return fmt.Sprintf("%d minutes", d/time.Minute)
	}
	return d.String()
}

// Seconds is a wait in whole seconds, in words: "1 second", "6 seconds"
// (the 429 page, which says what Retry-After says).
func Seconds(n int) string {
	if n == 1 {
		return "1 second"
	}
	return strconv.Itoa(n) + " seconds"
}
