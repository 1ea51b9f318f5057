package auth

import (
	"strings"
	"unicode/utf8"

	"github.com/ccojocar/zxcvbn-go"
	"github.com/ccojocar/zxcvbn-go/match"
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
func (p Policy) Check(password, name, email string) string {
	n := utf8.RuneCountInString(password)
	switch {
	case n < MinPasswordLength:
		return "Use at least 8 characters."
	case n > MaxPasswordLength:
		return "Use at most 128 characters."
	}
	lower := strings.ToLower(password)
	inputs := userInputs(name, email)
	for _, in := range inputs {
		if len(in) >= 4 && strings.Contains(lower, in) {
			if strings.Contains(in, "@") || isEmailPart(in, email) {
				return "Don't use your email address in your password."
			}
			return "Don't use your name in your password."
		}
	}
	result := zxcvbn.PasswordStrength(password, inputs)
	if result.Score >= p.MinScore {
		return ""
	}
	return explain(result.MatchSequence, email)
}

func isEmailPart(in, email string) bool {
	local, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(email)), "@")
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
