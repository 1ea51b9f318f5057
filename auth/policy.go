package auth

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/ccojocar/zxcvbn-go/match"
	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
	"golang.org/x/text/width"
)

// Password length limits, in characters (runes), not bytes: NIST SP 800-63B
// asks for at least 8 and allows long passphrases; 128 keeps a hash's input
// bounded.
const (
	MinPasswordLength = 8
	MaxPasswordLength = 128
)

// DefaultMinPasswordScore is the zxcvbn score (0–4) a password must reach.
const DefaultMinPasswordScore = 2

// Policy judges new passwords. It has no composition rules (no "one digit,
// one symbol"): those make passwords harder to remember, not to guess.
type Policy struct {
	MinScore int
}

// Check returns "" when password is acceptable for a user with this name and
// email, or a sentence saying why not, written for the person choosing it.
//
// Length is counted on the form that is hashed (preparePassword); strength
// is judged on that form folded (strengthForm), so that width, case and
// invisible characters add nothing an attacker would have to guess. Its
// cost is bounded whatever the input (see estimate); callers that take
// passwords from the network run it through Hasher.CheckStrength so that a
// flood of checks queues with the hashes.
func (p Policy) Check(password, name, email string) string {
	return p.check(password, name, email, nil)
}

func (p Policy) check(password, name, email string, trace tracer) string {
	// Preparing can shorten a password (NFC composes up to four
	// characters into one, as in "ᾢ"), never below a quarter: no need to
	// read further.
	if utf8.RuneCountInString(password) > 4*MaxPasswordLength {
		return "Use at most 128 characters."
	}
	prepared, ok := preparePassword(password)
	if !ok {
		return unusable(password)
	}
	n := utf8.RuneCountInString(prepared)
	switch {
	case n < MinPasswordLength:
		return "Use at least 8 characters."
	case n > MaxPasswordLength:
		return "Use at most 128 characters."
	}
	folded := strengthForm(prepared)
	if utf8.RuneCountInString(folded) < MinPasswordLength {
		return "Use at least 8 characters you can see: invisible characters don't count."
	}
	email = strengthForm(email)
	inputs := userInputs(strengthForm(name), email)
	for _, in := range inputs {
		if len(in) >= 4 && strings.Contains(folded, in) {
			if strings.Contains(in, "@") || isEmailPart(in, email) {
				return "Don't use your email address in your password."
			}
			return "Don't use your name in your password."
		}
	}
	result := estimate(folded, inputs, trace)
	if result.Score >= p.MinScore {
		return ""
	}
	return explain(result.MatchSequence, email)
}

// unusable says why preparePassword refused password.
func unusable(password string) string {
	if password == "" {
		return "Use at least 8 characters."
	}
	for _, r := range password {
		if unicode.In(r, unicode.Cc, unicode.Cf, unicode.Zl, unicode.Zp, unicode.Other_Default_Ignorable_Code_Point) {
			return "Don't use invisible or control characters, such as tabs or zero-width spaces, in your password."
		}
	}
	return "This password has a character that can't be used in passwords. Use letters, digits, spaces, punctuation or symbols."
}

// strengthForm is s as strength is judged: without invisible characters
// (format and control), width-folded (fullwidth "ｐ" is "p") and case-folded,
// in NFC. It is applied to the name and email too, so "don't use your name"
// sees through the same disguises.
func strengthForm(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.In(r, unicode.Cc, unicode.Cf) {
			return -1
		}
		return r
	}, s)
	// A Caser keeps state: one per call.
	return norm.NFC.String(cases.Fold().String(width.Fold.String(s)))
}

func isEmailPart(in, email string) bool {
	local, _, _ := strings.Cut(strings.TrimSpace(email), "@")
	return in == local
}

// userInputs are the words zxcvbn should treat as known to an attacker: the
// name, its parts, the email and its local part.
func userInputs(name, email string) []string {
	var out []string
	add := func(s string) {
		s = strings.ToLower(strings.TrimSpace(s))
		if s != "" {
			out = append(out, s)
		}
	}
	add(email)
	local, domain, _ := strings.Cut(strings.ToLower(strings.TrimSpace(email)), "@")
	add(local)
	if d, _, ok := strings.Cut(domain, "."); ok {
		add(d)
	}
	add(name)
	for _, part := range strings.Fields(name) {
		add(part)
	}
	return out
}

// explain turns zxcvbn's weakest finding into advice. zxcvbn-go scores but
// gives no feedback text, so the messages follow the reference zxcvbn's.
func explain(matches []match.Match, email string) string {
	var dict, seq, repeat, spatial, date bool
	for _, m := range matches {
		// zxcvbn-go names its lists "Passwords", "English"… but its
		// user-input list "user_inputs"; l33t matches get "_3117" appended.
		name := strings.ToLower(strings.TrimSuffix(m.DictionaryName, "_3117"))
		switch m.Pattern {
		case "dictionary":
			switch name {
			case "user_inputs":
				if strings.Contains(strings.ToLower(email), strings.ToLower(m.Token)) {
					return "Don't use your email address in your password."
				}
				return "Don't use your name in your password."
			case "passwords":
				return "This is one of the most common passwords. Choose something less guessable."
			default:
				dict = true
			}
		case "sequence":
			seq = true
		case "repeat":
			repeat = true
		case "spatial":
			spatial = true
		case "date":
			date = true
		}
	}
	switch {
	case spatial:
		return "Keyboard patterns like qwerty are easy to guess. Add a few more words."
	case seq:
		return "Sequences like abc or 1234 are easy to guess. Add a few more words."
	case repeat:
		return "Repeated characters like aaa are easy to guess. Add a few more words."
	case date:
		return "Dates are easy to guess. Add a few more words."
	case dict:
		return "Single words are easy to guess. Add another word or two that don't go together."
	}
	return "This password is too easy to guess. Add another word or two."
}
