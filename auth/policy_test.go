package auth

import (
	"strings"
	"testing"
	"unicode/utf8"
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
