package auth

import (
	"strings"

	"golang.org/x/text/cases"
	"golang.org/x/text/language"
	"golang.org/x/text/unicode/norm"
)

// SearchKey is the form the admin search compares names and its query in:
// lower-cased, then case-folded (the order EmailKey folds local parts in,
// for Cherokee), then NFC. Invalid UTF-8 and control characters (NUL
// among them, which PostgreSQL refuses in text) are dropped, so any input
// has a key. A prefix of an address folds the way the address's own key
// did, so "ADA@" finds "ada@example.com" through users.email_key.
func SearchKey(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == '\uFFFD' {
			return -1
		}
		return r
	}, strings.ToValidUTF8(s, ""))
	s = cases.Fold().String(cases.Lower(language.Und).String(s))
	return norm.NFC.String(s)
}
