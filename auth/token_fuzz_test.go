package auth

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"testing"
)

// FuzzParseTokenText: ParseToken accepts exactly the canonical base64url
// text of 32 bytes, and then returns their SHA-256; anything else is
// ErrMalformedToken, and nothing panics.
func FuzzParseTokenText(f *testing.F) {
	text, _, err := NewToken()
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range []string{text, text + "=", text[:42], text[:42] + "B", "", " ", "\x00", string(bytes.Repeat([]byte{0xff}, 43)),
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA+", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		hash, err := ParseToken(s)
		raw, decErr := base64.RawURLEncoding.Strict().DecodeString(s)
		canonical := decErr == nil && len(raw) == TokenBytes && base64.RawURLEncoding.EncodeToString(raw) == s
		if canonical != (err == nil) {
			t.Fatalf("ParseToken(%q): err %v, but canonical = %v", s, err, canonical)
		}
		if err != nil {
			if err != ErrMalformedToken || hash != nil {
				t.Fatalf("ParseToken(%q) = %x, %v", s, hash, err)
			}
			return
		}
		sum := sha256.Sum256(raw)
		if !bytes.Equal(hash, sum[:]) {
			t.Fatalf("ParseToken(%q) hash is not the SHA-256 of the token", s)
		}
	})
}

// A new token's text parses to the hash that is stored.
func TestNewTokenParsesToItsHash(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		text, hash, err := NewToken()
		if err != nil {
			t.Fatal(err)
		}
		if len(text) != 43 || seen[text] {
			t.Fatalf("token %q: wrong length or repeated", text)
		}
		seen[text] = true
		got, err := ParseToken(text)
		if err != nil || !bytes.Equal(got, hash) {
			t.Fatalf("ParseToken(NewToken()) = %x, %v; want %x", got, err, hash)
		}
	}
}
