package auth

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/ccojocar/zxcvbn-go"
)

func TestPolicyCheck(t *testing.T) {
	p := Policy{MinScore: DefaultMinPasswordScore}
	const name, email = "Ada Lovelace", "ada.lovelace@example.com"
	for _, tc := range []struct {
		desc, password string
		want           string // "" = accepted; "*" = any refusal; otherwise part of the reason
	}{
		{"7 characters", "Xq7#pLm", "at least 8"},
		{"8 random characters pass length", "Xq7#pLm!", ""},
		{"128 characters", strings.Repeat("tangerine ", 12) + "lighthou", ""},
		{"129 characters", strings.Repeat("tangerine ", 12) + "lighthous", "at most 128"},
		{"common password", "password1", "most common passwords"},
		{"common password, capitalised", "Password123", "most common passwords"},
		{"another common one", "iloveyou", "most common passwords"},
		{"keyboard walk", "qwertyuiop", "*"},
		{"one word and digits", "sunflower42", "Single words"},
		{"the email", "ada.lovelace@example.com", "email address"},
		{"the email, other case", "Ada.Lovelace@Example.com", "email address"},
		{"the email's local part", "ada.lovelace2024", "email address"},
		{"the name", "lovelace1815", "name"},
		{"the full name", "adalovelace!", "name"},
		{"a good passphrase", "correct horse battery staple", ""},
		{"another good passphrase", "violet tangerine lighthouse", ""},
	} {
		got := p.Check(tc.password, name, email)
		switch {
		case tc.want == "*":
			if got == "" {
				t.Errorf("%s: %q accepted", tc.desc, tc.password)
			}
		case tc.want == "" && got != "":
			t.Errorf("%s: %q refused: %s", tc.desc, tc.password, got)
		case tc.want != "" && !strings.Contains(got, tc.want):
			t.Errorf("%s: %q: got %q, want a reason containing %q", tc.desc, tc.password, got, tc.want)
		}
	}
}

// The name check says "name", the email check says "email": the reason is
// about the right thing.
func TestPolicyReasonsNameTheInput(t *testing.T) {
	p := Policy{MinScore: DefaultMinPasswordScore}
	if got := p.Check("hopperhopper99", "Grace Hopper", "gh@navy.mil"); got != "Don't use your name in your password." {
		t.Errorf("name: %q", got)
	}
	if got := p.Check("zanzibarfox-77", "Grace Hopper", "zanzibarfox@navy.mil"); got != "Don't use your email address in your password." {
		t.Errorf("email: %q", got)
	}
}

// Length is counted in characters, not bytes.
func TestPolicyCountsRunes(t *testing.T) {
	p := Policy{MinScore: 0}
	eight := "日本語パスワード" // 8 characters, 24 bytes
	seven := "жёлтыйк"  // 7 characters, 14 bytes
	if n := utf8.RuneCountInString(eight); n != 8 || len(eight) <= 8 {
		t.Fatalf("test data: %d runes, %d bytes", n, len(eight))
	}
	if got := p.Check(eight, "", ""); got != "" {
		t.Errorf("8 multi-byte characters: %q", got)
	}
	if got := p.Check(seven, "", ""); !strings.Contains(got, "at least 8") {
		t.Errorf("7 characters in 14 bytes: %q", got)
	}
	long := strings.Repeat("界", 128) // 384 bytes
	if got := p.Check(long, "", ""); strings.Contains(got, "at most") {
		t.Errorf("128 three-byte characters refused as too long: %q", got)
	}
	if got := p.Check(long+"界", "", ""); !strings.Contains(got, "at most 128") {
		t.Errorf("129 characters: %q", got)
	}
}

// MinScore is a setting: a stricter policy refuses what a lax one allows.
func TestPolicyMinScore(t *testing.T) {
	const pw = "tangerine7ferry"
	lax, strict := Policy{MinScore: 0}, Policy{MinScore: 4}
	if got := lax.Check(pw, "", ""); got != "" {
		t.Fatalf("score 0 refused %q: %s", pw, got)
	}
	if got := (Policy{MinScore: DefaultMinPasswordScore}).Check(pw, "", ""); got != "" {
		t.Fatalf("the default score refused %q: %s", pw, got)
	}
	if got := strict.Check(pw, "", ""); got == "" {
		t.Fatalf("score 4 accepted %q (zxcvbn score 2)", pw)
	}
}

// Disguises that used to add strength, or length, where an attacker's
// guessing gets them for free: width, invisible characters, another
// spelling of the same characters, and characters PRECIS refuses.
func TestPolicyUnicode(t *testing.T) {
	const name, email = "Ada Lovelace", "ada.lovelace@example.com"
	zwj := "\u0915\u094d\u200d" // क्‍: a ZWJ after a virama, which PRECIS allows
	for _, tc := range []struct {
		desc, password string
		minScore       int    // the policy's MinScore
		want           string // "" = accepted; otherwise part of the reason
	}{
		{"fullwidth common password", "ｐａｓｓｗｏｒｄ１", 2, "most common passwords"},
		{"fullwidth, upper case", "ＰＡＳＳＷＯＲＤ１２３", 2, "most common passwords"},
		{"halfwidth and fullwidth mixed", "ｉloveｙｏｕ", 2, "most common passwords"},
		{"zero-width space inside a common password", "pass\u200bword1", 2, "invisible"},
		{"eight zero-width spaces", strings.Repeat("\u200b", 8), 0, "invisible"},
		{"word joiners around a common password", "\u2060password1\u2060", 2, "invisible"},
		{"bidi override", "\u202edrowssap1", 2, "invisible"},
		{"tab", "correct\thorse battery staple", 2, "invisible"},
		{"control character", "correct horse\x01battery staple", 2, "invisible"},
		{"private-use character", "correct horse battery staple\ue000", 2, "can't be used"},
		{"bytes that are not UTF-8", "correct horse \xff\xfe battery staple", 2, "can't be used"},
		{"allowed invisible characters add no length", strings.Repeat(zwj, 3), 0, "you can see"},
		{"7 characters typed as 14", strings.Repeat("e\u0301", 7), 0, "at least 8"},
		{"8 characters typed as 16", strings.Repeat("e\u0301", 8), 0, ""},
		{"128 characters typed as 256", strings.Repeat("e\u0301", 128), 0, ""},
		{"129 characters typed as 258", strings.Repeat("e\u0301", 129), 0, "at most 128"},
		{"no-break spaces are spaces", "correct\u00a0horse\u3000battery staple", 2, ""},
		{"the name, fullwidth", "ＬＯＶＥＬＡＣＥ１８１５", 2, "name"},
		{"the email, fullwidth", "ＡＤＡ.ＬＯＶＥＬＡＣＥ＠ＥＸＡＭＰＬＥ.ＣＯＭ", 2, "email address"},
		{"a repeated accented letter", "éééééééé", 2, "Repeated characters"},
		{"a repeated ideograph", "日日日日日日日日日日", 2, "Repeated characters"},
		{"a strong password with accents", "Schöne Grüße aus Köln, Ärztin", 2, ""},
	} {
		got := Policy{MinScore: tc.minScore}.Check(tc.password, name, email)
		switch {
		case tc.want == "" && got != "":
			t.Errorf("%s: %+q refused: %s", tc.desc, tc.password, got)
		case tc.want != "" && !strings.Contains(got, tc.want):
			t.Errorf("%s: %+q: got %q, want a reason containing %q", tc.desc, tc.password, got, tc.want)
		}
	}
	// The name and email are folded too.
	if got := (Policy{MinScore: 2}).Check("lovelace1815!", "ＡＤＡ ＬＯＶＥＬＡＣＥ", ""); !strings.Contains(got, "name") {
		t.Errorf("a fullwidth name: %q", got)
	}
}

// Only the first characters go through zxcvbn in full (see estimate); a
// weak part past them must still count as weak, or a weak password would
// pass by starting with something zxcvbn can afford to see through and
// ending with what it could not. Each of these is weak by zxcvbn's own
// judgement of the whole (checked here, where zxcvbn can afford it); a long
// strong passphrase still passes.
func TestPolicyWeakPartPastThePrefix(t *testing.T) {
	p := Policy{MinScore: DefaultMinPasswordScore}
	const name, email = "Ada Lovelace", "ada.lovelace@example.com"
	pad := strings.Repeat("a", fullScoreRunes) // weak on its own
	for _, tc := range []struct {
		desc, password string
		want           string
	}{
		{"a common password", pad + "iloveyou", "*"},
		{"a l33t common password", pad + "p@$$w0rd", "*"},
		{"l33t with both readings of 1", pad + "1|1|1|1|", "*"},
		{"a keyboard walk", pad + "qwertyuiop", "*"},
		{"a shifted keyboard walk", pad + "!@#$%^&*()", "*"},
		{"an uncommon keyboard walk", pad + "poiuytrewq", "*"},
		{"a keypad walk", pad + "7896541230", "*"},
		{"a sequence", pad + "0123456789", "*"},
		{"the name in l33t", pad + "l0v3l@c3", "*"},
		{"a common password late in a weak one", strings.Repeat("a", 80) + "password", "*"},
		{"the email", pad + "ada.lovelace@example.com", "email address"},
		{"the name, far in", strings.Repeat("z", 100) + "lovelace", "name"},
		{"a passphrase", "correct horse battery staple", ""},
		{"a long passphrase", "violet tangerine lighthouse, then a quiet ferry to the island of gulls", ""},
		{"a long passphrase with a weak start", "password1 violet tangerine lighthouse quiet ferry gulls", ""},
		{"128 characters of random text", "kq3#Vz!p9@Lm2^Xr7&Tb5*Nw1(Hd8)Gf4-Js6+Yc0=Ua!Qe3#Wo9@Ri2^Pt7&Sk5*Dl1(Fh8)Zx4-Cv6+Bn0=Mq!Ae3#Gz9@Hl2^Jk7&Lp5*Ow1(Iu8)Yt4-Rr6+Ee", ""},
	} {
		got := p.Check(tc.password, name, email)
		switch {
		case tc.want == "*":
			if z := zxcvbn.PasswordStrength(strengthForm(tc.password), userInputs("ada lovelace", email)); z.Score >= p.MinScore {
				t.Fatalf("%s: test data: zxcvbn itself scores %q %d", tc.desc, tc.password, z.Score)
			}
			if got == "" {
				t.Errorf("%s: %q accepted", tc.desc, tc.password)
			}
		case tc.want == "" && got != "":
			t.Errorf("%s: %q refused: %s", tc.desc, tc.password, got)
		case tc.want != "" && !strings.Contains(got, tc.want):
			t.Errorf("%s: %q: got %q, want a reason containing %q", tc.desc, tc.password, got, tc.want)
		}
	}
}

// Wherever a weak word sits in a long password, the windows find it: a
// very common password, plain or l33t, in 128 characters that are otherwise
// weak too, at every offset within the first windows (past them, windows
// repeat every dictStride or l33tStride characters) and near the end.
func TestPolicyFindsWeakWordsAtEveryOffset(t *testing.T) {
	p := Policy{MinScore: DefaultMinPasswordScore}
	for _, word := range []string{"p@$$w0rd", "qwerty"} {
		last := 128 - len(word)
		for at := range last + 1 {
			if at > fullScoreRunes+dictStride+l33tStride && at < last-dictWindow {
				continue
			}
			pw := strings.Repeat("a", at) + word + strings.Repeat("a", last-at)
			if got := p.Check(pw, "", ""); got == "" {
				t.Fatalf("%q at %d of %d accepted", word, at, len(pw))
			}
		}
	}
}

// The bound on zxcvbn's work is applied: whatever the password, the full
// matcher sees at most fullScoreRunes characters, the dictionary and l33t
// matchers windows of bounded length and number, and at most 8 readings of
// each l33t window. (Its CPU cost is measured by BenchmarkPolicyWorstCase.)
func TestPolicyBoundsZxcvbnWork(t *testing.T) {
	p := Policy{MinScore: DefaultMinPasswordScore}
	for _, pw := range worstCasePasswords() {
		calls := map[string]int{}
		longest := map[string]int{}
		p.check(pw.password, "Ada Lovelace", "ada.lovelace@example.com", func(what string, runes int) {
			calls[what]++
			longest[what] = max(longest[what], runes)
		})
		if calls["full"] != 1 || longest["full"] > fullScoreRunes {
			t.Errorf("%s: %d full runs, the longest over %d characters; want 1 of at most %d", pw.name, calls["full"], longest["full"], fullScoreRunes)
		}
		if longest["dictionary"] > dictWindow || longest["l33t"] > l33tWindow {
			t.Errorf("%s: windows of %d and %d characters, want at most %d and %d", pw.name, longest["dictionary"], longest["l33t"], dictWindow, l33tWindow)
		}
		dictWindows := (maxStrengthRunes-dictWindow)/dictStride + 2
		l33tWindows := (maxStrengthRunes-l33tWindow)/l33tStride + 2
		if calls["dictionary"] > dictWindows || calls["l33t"] > 8*l33tWindows {
			t.Errorf("%s: %d dictionary and %d l33t runs, want at most %d and %d", pw.name, calls["dictionary"], calls["l33t"], dictWindows, 8*l33tWindows)
		}
	}
}
