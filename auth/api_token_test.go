package auth

import (
	"bytes"
	"strings"
	"testing"
)

// FuzzParseAPIToken: ParseAPIToken accepts exactly a known prefix followed
// by the canonical text of a one-time token, and then returns that kind and
// the token's hash; anything else is ErrMalformedToken, and nothing panics.
func FuzzParseAPIToken(f *testing.F) {
	for _, k := range apiTokenKinds {
		text, _, err := NewAPIToken(k)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(text)
		f.Add(text[:len(text)-1])
		f.Add(text + "A")
		f.Add(strings.ToUpper(string(k)) + text[len(k):])
	}
	for _, seed := range []string{"", "lk_", "lk_at_", "lk_pat", "lk_xx_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"Bearer lk_at_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "lk_at_lk_rt_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "\x00lk_at_"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		kind, hash, err := ParseAPIToken(s)
		var want APITokenKind
		var wantHash []byte
		for _, k := range apiTokenKinds {
			if rest, ok := strings.CutPrefix(s, string(k)); ok {
				if h, err := ParseToken(rest); err == nil {
					want, wantHash = k, h
				}
			}
		}
		if err != nil {
			if err != ErrMalformedToken || kind != "" || hash != nil || want != "" {
				t.Fatalf("ParseAPIToken(%q) = %q, %x, %v; a well-formed %q token", s, kind, hash, err, want)
			}
			return
		}
		if kind != want || !bytes.Equal(hash, wantHash) {
			t.Fatalf("ParseAPIToken(%q) = %q, %x; want %q, %x", s, kind, hash, want, wantHash)
		}
	})
}

// Each kind's new token parses back to its kind and stored hash, and is
// never taken for another kind.
func TestNewAPITokenParsesToItsKindAndHash(t *testing.T) {
	for _, k := range apiTokenKinds {
		text, hash, err := NewAPIToken(k)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(text, string(k)) || len(text) != len(k)+43 {
			t.Fatalf("NewAPIToken(%q) = %q", k, text)
		}
		got, gotHash, err := ParseAPIToken(text)
		if err != nil || got != k || !bytes.Equal(gotHash, hash) {
			t.Fatalf("ParseAPIToken(%q) = %q, %x, %v; want %q, %x", text, got, gotHash, err, k, hash)
		}
	}
	for _, bad := range []string{"", "lk_at_", "lk_at_short", "lk_zz_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "lk_at_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="} {
		if _, _, err := ParseAPIToken(bad); err != ErrMalformedToken {
			t.Errorf("ParseAPIToken(%q): err %v, want ErrMalformedToken", bad, err)
		}
	}
}
