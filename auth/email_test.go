package auth

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestNormalizeEmail(t *testing.T) {
	for in, want := range map[string]string{
		" Ada@Example.com\t":   "Ada@Example.com", // trimmed; an ASCII domain is kept as typed
		"ada@example.com":      "ada@example.com",
		"ADA@EXAMPLE.COM":      "ADA@EXAMPLE.COM",
		"Ä@EXAMPLE.com":        "Ä@EXAMPLE.com",
		"ada@xn--bcher-kva.de": "ada@xn--bcher-kva.de",
		"a@ｅｘａｍｐｌｅ.com":        "a@example.com", // only the mapped form resolves
		"a@ＥＸＡＭＰＬＥ.com":        "a@example.com",
		"a@example。com":        "a@example.com",
		"ada@BÜCHER.de":        "ada@bücher.de",
		`"a@b"@example.com`:    `"a@b"@example.com`,
		"ｆｕｌｌ@ｅｘａｍｐｌｅ.com":     "ｆｕｌｌ@example.com", // the local part is the owner's
		"\n":                   "",
		"no-at-sign":           "no-at-sign",
		" a@xn--a.com ":        "a@xn--a.com", // refused by EmailKey: only trimmed
		"a@ex\u200dample.com":  "a@ex\u200dample.com",
		"trailing@":            "trailing@",
	} {
		if got := NormalizeEmail(in); got != want {
			t.Errorf("NormalizeEmail(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestEmailKeyOneAccount: the spellings docs/ARCHITECTURE.md names as one
// address have one key, and different addresses keep different keys.
func TestEmailKeyOneAccount(t *testing.T) {
	for _, group := range [][]string{
		{"ä@example.com", "Ä@example.com", "Ä@EXAMPLE.com", " ä@example.com\t", "a\u0308@example.com", "A\u0308@Example.Com", "ä@ｅｘａｍｐｌｅ.com"},
		{"a@example.com", "a@ｅｘａｍｐｌｅ.com", "A@EXAMPLE.COM", "a@example。com", "a@ＥＸＡＭＰＬＥ．ＣＯＭ"},
		{"ada@bücher.de", "ADA@BÜCHER.DE", "ada@xn--bcher-kva.de", "Ada@XN--BCHER-KVA.DE"},
		{"straße@example.com", "STRASSE@example.com", "strasse@example.com"},
		{"σοφός@example.gr", "ΣΟΦΌΣ@example.gr", "σοφόσ@example.gr"},
		{`"a@b"@example.com`, `"A@B"@EXAMPLE.COM`},
		{"Ꮟ@example.com", "ꮟ@example.com"}, // Cherokee, whose fold x/text swaps
		{"ᏣᎳᎩ@example.com", "ꮳꮃꭹ@example.com", "ᏣꮃᎩ@example.com"},
	} {
		want, err := EmailKey(group[0])
		if err != nil {
			t.Fatalf("EmailKey(%q): %v", group[0], err)
		}
		for _, addr := range group[1:] {
			got, err := EmailKey(addr)
			if err != nil {
				t.Errorf("EmailKey(%q): %v", addr, err)
				continue
			}
			if got != want {
				t.Errorf("EmailKey(%q) = %q, want %q (as %q)", addr, got, want, group[0])
			}
			if !SameEmail(addr, group[0]) {
				t.Errorf("SameEmail(%q, %q) = false", addr, group[0])
			}
		}
	}
	for _, pair := range [][2]string{
		{"a@example.com", "b@example.com"},
		{"a@example.com", "a@example.org"},
		{"ada@example.com", "ａｄａ@example.com"}, // width is the local part's own
		{"ä@example.com", "a@example.com"},
		{"ß@example.de", "ß@example.com"},
		{"a@faß.de", "a@fass.de"}, // nontransitional: ß is its own domain
	} {
		ka, errA := EmailKey(pair[0])
		kb, errB := EmailKey(pair[1])
		if errA != nil || errB != nil {
			t.Fatalf("EmailKey(%q), EmailKey(%q): %v, %v", pair[0], pair[1], errA, errB)
		}
		if ka == kb {
			t.Errorf("%q and %q share the key %q", pair[0], pair[1], ka)
		}
	}
	if got, _ := EmailKey("Ä@EXAMPLE.com"); got != "ä@example.com" {
		t.Errorf("EmailKey(Ä@EXAMPLE.com) = %q, want ä@example.com", got)
	}
	if got, _ := EmailKey("ada@BÜCHER.de"); got != "ada@xn--bcher-kva.de" {
		t.Errorf("EmailKey(ada@BÜCHER.de) = %q, want the A-label domain", got)
	}
}

// TestEmailKeyRefuses: addresses whose domain IDNA refuses, and ones that
// are not local@domain, have no key.
func TestEmailKeyRefuses(t *testing.T) {
	for _, addr := range []string{
		"a@xn--a.com",                           // punycode that decodes to a disallowed label
		"a@-bad-.com",                           // hyphens at the ends of a label
		"a@ab--cd.com",                          // hyphens in the 3rd and 4th positions
		"a@exa_mple.com",                        // STD3: letters, digits, hyphens only
		"a@ex\u200dample.com",                   // a joiner outside its context
		"a@exa\u0378mple.com",                   // unassigned code point
		"a@\u2FF0.com",                          // disallowed: ideographic description character
		"a@example..com",                        // empty label
		"a@.example.com",                        // empty label
		"a@example.com.",                        // trailing dot
		"a@" + strings.Repeat("a", 64) + ".com", // label over 63
		"a@\u05d0\u0061.com",                    // Bidi rule: RTL label with an L character
		"a@[192.0.2.1]",                         // address literal
		"a@exa mple.com",
		"a@",
		"@example.com",
		"example.com",
		"",
		"a\u0000b@example.com", // control character in the local part
		"a\u0378@example.com",  // unassigned code point in the local part
		"\xff@example.com",     // not UTF-8
	} {
		k, err := EmailKey(addr)
		if err == nil {
			t.Errorf("EmailKey(%q) = %q, want a refusal", addr, k)
			continue
		}
		if !errors.Is(err, ErrInvalidEmail) {
			t.Errorf("EmailKey(%q): %v, want ErrInvalidEmail", addr, err)
		}
	}
}

// FuzzEmailKey: the key never panics, a key is its own key (idempotent),
// the stored form has the same key as what was typed, and a key is valid
// UTF-8 without surrounding space.
func FuzzEmailKey(f *testing.F) {
	for _, s := range []string{"ä@example.com", "Ä@EXAMPLE.com", "a@ｅｘａｍｐｌｅ.com", "a@xn--a.com", "a@-bad-.com",
		"straße@faß.de", "ΣΟΦΊΑ@example.gr", "\u1fb3\u0345@example.com", "İ@example.com", "a\u0345\u0308@x.y",
		`"a@b"@example.com`, "ǅ@example.com", "ﬃ@example.com", "a@ⅷ.com", "a@\u0627\u0031.com", " a@b.c ", "@", "a@b@c", "Ꮟ@0", "ꮟ@0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, addr string) {
		if len(addr) > 1024 {
			return
		}
		norm := NormalizeEmail(addr)
		k, err := EmailKey(addr)
		if err != nil {
			if !errors.Is(err, ErrInvalidEmail) {
				t.Fatalf("EmailKey(%q): %v, not ErrInvalidEmail", addr, err)
			}
			return
		}
		if !utf8.ValidString(k) || k != strings.TrimSpace(k) {
			t.Fatalf("EmailKey(%q) = %q: not trimmed UTF-8", addr, k)
		}
		again, err := EmailKey(k)
		if err != nil || again != k {
			t.Fatalf("EmailKey(EmailKey(%q)) = %q, %v; want %q", addr, again, err, k)
		}
		if kn, err := EmailKey(norm); err != nil || kn != k {
			t.Fatalf("EmailKey(NormalizeEmail(%q) = %q) = %q, %v; want %q", addr, norm, kn, err, k)
		}
		if NormalizeEmail(norm) != norm {
			t.Fatalf("NormalizeEmail is not idempotent on %q: %q then %q", addr, norm, NormalizeEmail(norm))
		}
	})
}

// BenchmarkEmailKey: the key is computed a few times per sign-in (lookup,
// failed-password bucket); compare with BenchmarkCheckPassword, the hash
// every sign-in spends.
func BenchmarkEmailKey(b *testing.B) {
	for _, addr := range []string{"ada@example.com", "A\u0308rger@ＢÜＣＨＥＲ.example"} {
		b.Run(addr, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := EmailKey(addr); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
