package auth

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestSearchKey(t *testing.T) {
	for in, want := range map[string]string{
		"Ada":           "ada",
		"ÄDA":           "äda",
		"A\u0308da":     "äda",
		"STRASSE":       "strasse",
		"a\x00b\x01c":   "abc",
		"\xffok":        "ok",
		"100%_":         "100%_",
		"ADA@Example.C": "ada@example.c",
	} {
		if got := SearchKey(in); got != want {
			t.Errorf("SearchKey(%q) = %q, want %q", in, got, want)
		}
	}
	// An address's key starts with the search key of any prefix of it
	// that stops before the domain.
	key, err := EmailKey("Ärger.Straße@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if p := SearchKey("ÄRGER.STRA"); !strings.HasPrefix(key, p) {
		t.Errorf("key %q does not start with %q", key, p)
	}
}

func FuzzSearchKey(f *testing.F) {
	for _, s := range []string{"", "Ada", "%_\\", "\x00", "ᏟᏟ", "ß"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k := SearchKey(s)
		if !utf8.ValidString(k) {
			t.Fatalf("SearchKey(%q) = %q: not UTF-8", s, k)
		}
		if strings.ContainsRune(k, 0) {
			t.Fatalf("SearchKey(%q) holds NUL", s)
		}
	})
}
