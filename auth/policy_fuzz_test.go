package auth

import (
	"context"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/ccojocar/zxcvbn-go"
	"golang.org/x/text/unicode/norm"
)

// FuzzPolicyCheck: the policy never panics, answers the same twice, keeps
// zxcvbn's work within its bounds whatever the input, and for a password
// short enough for zxcvbn to judge whole is never more lenient than zxcvbn.
func FuzzPolicyCheck(f *testing.F) {
	for _, pw := range worstCasePasswords() {
		f.Add(pw.password, "Ada Lovelace", "ada@example.com")
	}
	for _, seed := range []string{"password1", "ｐａｓｓｗｏｒｄ１", "pass\u200bword1", strings.Repeat("\u200b", 8),
		"cafe\u0301 tangerine", "correct horse battery staple", "Xq7#pLm!", "\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8", "", "ﬃﬃﬃﬃﬃﬃﬃﬃ",
		"\u0915\u094d\u200d\u0915\u094d\u200d\u0915\u094d\u200d", "ᾢᾢᾢᾢᾢᾢᾢᾢ", "lovelace1815", "ada@example.com!"} {
		f.Add(seed, "Ada Lovelace", "ada@example.com")
	}
	p := Policy{MinScore: DefaultMinPasswordScore}
	f.Fuzz(func(t *testing.T, password, name, email string) {
		calls := map[string]int{}
		got := p.check(password, name, email, func(what string, runes int) {
			calls[what]++
			bound := map[string]int{"full": fullScoreRunes, "linear": maxStrengthRunes, "dictionary": dictWindow, "l33t": l33tWindow}[what]
			if runes > bound {
				t.Fatalf("%s run over %d characters, bound %d", what, runes, bound)
			}
		})
		if calls["full"] > 1 || calls["linear"] > 1 ||
			calls["dictionary"] > (maxStrengthRunes-dictWindow)/dictStride+2 ||
			calls["l33t"] > 8*((maxStrengthRunes-l33tWindow)/l33tStride+2) {
			t.Fatalf("zxcvbn ran %v times", calls)
		}
		if again := p.Check(password, name, email); again != got {
			t.Fatalf("Check(%+q) = %q, then %q", password, got, again)
		}
		if got != "" && !strings.HasSuffix(got, ".") {
			t.Fatalf("reason %q is not a sentence", got)
		}
		if got != "" {
			return
		}
		// Accepted: it can be prepared, and is 8–128 characters once prepared.
		prepared, ok := preparePassword(password)
		if n := utf8.RuneCountInString(prepared); !ok || n < MinPasswordLength || n > MaxPasswordLength {
			t.Fatalf("%+q accepted: prepared %+q (%v)", password, prepared, ok)
		}
		folded := strengthForm(prepared)
		if len(folded) <= fullScoreRunes && utf8.ValidString(folded) && isASCII(folded) {
			z := zxcvbn.PasswordStrength(folded, userInputs(strengthForm(name), strengthForm(email)))
			if z.Score < p.MinScore {
				t.Fatalf("%+q accepted; zxcvbn scores it %d", password, z.Score)
			}
		}
	})
}

// FuzzPreparedHashing: whatever is hashed matches itself, and any password
// matches under its other spellings (NFC and NFD); nothing is an error.
func FuzzPreparedHashing(f *testing.F) {
	for _, seed := range []string{"caf\u00e9", "cafe\u0301", "violet\u00a0tangerine", "tab\there", "\xff\xfe", "", "\u200b", "ᾢ", "Å", "\u212b"} {
		f.Add(seed)
	}
	h, err := NewHasher(cheap(), 2)
	if err != nil {
		f.Fatal(err)
	}
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, password string) {
		hash, err := h.Hash(ctx, password)
		if err != nil {
			t.Fatalf("Hash(%+q): %v", password, err)
		}
		if rehash, err := h.Check(ctx, password, hash); err != nil || rehash {
			t.Fatalf("Check(%+q) against its own hash: rehash=%v err=%v", password, rehash, err)
		}
		if _, ok := preparePassword(password); !ok {
			return
		}
		for _, other := range []string{norm.NFC.String(password), norm.NFD.String(password)} {
			if _, ok := preparePassword(other); !ok {
				continue // PRECIS refuses some spellings (a decomposed form it does not allow)
			}
			if _, err := h.Check(ctx, other, hash); err != nil {
				t.Fatalf("%+q does not match the hash of %+q: %v", other, password, err)
			}
		}
	})
}
