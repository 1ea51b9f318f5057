package auth

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestNewTokenParseTokenRoundTrip(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		text, hash, err := NewToken()
		if err != nil {
			t.Fatal(err)
		}
		if len(text) != 43 || strings.ContainsAny(text, "+/=") {
			t.Fatalf("token %q is not 43 characters of unpadded base64url", text)
		}
		raw, err := base64.RawURLEncoding.DecodeString(text)
		if err != nil || len(raw) != TokenBytes {
			t.Fatalf("token %q decodes to %d bytes (%v)", text, len(raw), err)
		}
		sum := sha256.Sum256(raw)
		if !bytes.Equal(hash, sum[:]) {
			t.Fatal("the stored hash is not the SHA-256 of the token")
		}
		parsed, err := ParseToken(text)
		if err != nil || !bytes.Equal(parsed, hash) {
			t.Fatalf("ParseToken(%q) = %x, %v; want %x", text, parsed, err, hash)
		}
		if seen[text] {
			t.Fatal("a token repeated")
		}
		seen[text] = true
	}
}

func TestParseTokenRejects(t *testing.T) {
	text, _, err := NewToken()
	if err != nil {
		t.Fatal(err)
	}
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	last := strings.IndexByte(alphabet, text[42])
	// The last character carries 2 unused bits: flipping one gives another
	// text for the same bytes, which must not be a second spelling of the token.
	nonCanonical := text[:42] + string(alphabet[last^1])
	std := base64.StdEncoding.EncodeToString(make([]byte, TokenBytes))
	for name, in := range map[string]string{
		"empty":          "",
		"short":          text[:42],
		"long":           text + "A",
		"padded":         text + "=",
		"standard b64":   strings.NewReplacer("-", "+", "_", "/").Replace(text[:42]) + "+",
		"padded std b64": std,
		"space":          text[:42] + " ",
		"newline":        text[:21] + "\n" + text[22:],
		"non-canonical":  nonCanonical,
	} {
		if h, err := ParseToken(in); !errors.Is(err, ErrMalformedToken) || h != nil {
			t.Errorf("%s: ParseToken(%q) = %x, %v; want ErrMalformedToken", name, in, h, err)
		}
	}
}

func FuzzParseToken(f *testing.F) {
	text, _, _ := NewToken()
	f.Add(text)
	f.Add("")
	f.Add(strings.Repeat("A", 43))
	f.Add(strings.Repeat("_", 43))
	f.Add(text + "=")
	f.Fuzz(func(t *testing.T, in string) {
		h, err := ParseToken(in)
		if err != nil {
			if !errors.Is(err, ErrMalformedToken) || h != nil {
				t.Fatalf("ParseToken(%q) = %x, %v", in, h, err)
			}
			return
		}
		raw, derr := base64.RawURLEncoding.DecodeString(in)
		if derr != nil || len(raw) != TokenBytes {
			t.Fatalf("accepted %q, which is not 32 bytes of base64url", in)
		}
		if base64.RawURLEncoding.EncodeToString(raw) != in {
			t.Fatalf("accepted the non-canonical spelling %q", in)
		}
		sum := sha256.Sum256(raw)
		if !bytes.Equal(h, sum[:]) {
			t.Fatalf("hash of %q is not its SHA-256", in)
		}
	})
}

func TestTokenTTLs(t *testing.T) {
	ttl := TokenTTLs{Login: 15 * time.Minute, VerifyEmail: 24 * time.Hour, ResetPassword: time.Hour}
	for p, want := range map[Purpose]time.Duration{
		PurposeLogin: 15 * time.Minute, PurposeVerifyEmail: 24 * time.Hour,
		PurposeChangeEmail: 24 * time.Hour, PurposeResetPassword: time.Hour, Purpose("other"): 0,
	} {
		if got := ttl.For(p); got != want {
			t.Errorf("For(%s) = %v, want %v", p, got, want)
		}
	}
}
