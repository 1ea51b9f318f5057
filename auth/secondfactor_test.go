package auth

import (
	"bytes"
	"image/png"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
)

func testSecrets(t testing.TB) *Secrets {
	t.Helper()
	s, err := NewSecrets(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestCheckTOTPDriftAndReplay(t *testing.T) {
	key, err := NewTOTPKey("Latchkey", "a@example.com")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1_800_000_015, 0)
	cur := TOTPStep(now)
	code := func(at time.Time) string {
		c, err := totp.GenerateCode(key.Secret, at) // the app's own computation
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	for _, tc := range []struct {
		name string
		at   time.Time
		last int64
		ok   bool
	}{
		{"now", now, 0, true},
		{"one step back", now.Add(-30 * time.Second), 0, true},
		{"one step ahead", now.Add(30 * time.Second), 0, true},
		{"two steps back", now.Add(-60 * time.Second), 0, false},
		{"two steps ahead", now.Add(60 * time.Second), 0, false},
		{"step already used", now, cur, false},
		{"earlier step after a later one was used", now.Add(-30 * time.Second), cur, false},
		{"later step after the current one was used", now.Add(30 * time.Second), cur, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			step, ok := CheckTOTP(key.Secret, code(tc.at), now, tc.last)
			if ok != tc.ok {
				t.Fatalf("ok = %v, want %v", ok, tc.ok)
			}
			if ok && step != TOTPStep(tc.at) {
				t.Fatalf("step %d, want %d", step, TOTPStep(tc.at))
			}
		})
	}
	if _, ok := CheckTOTP(key.Secret, "12345a", now, 0); ok {
		t.Fatal("letters accepted")
	}
}

func TestCleanCode(t *testing.T) {
	for in, want := range map[string]string{
		"123 456":       "123456",
		"123-456":       "123456",
		" 123\u2013456": "123456",
		"abcde-fghjk":   "ABCDEFGHJK",
		"oIl":           "011",
		"":              "",
	} {
		if got := CleanCode(in); got != want {
			t.Errorf("CleanCode(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRecoveryCodes(t *testing.T) {
	codes, err := NewRecoveryCodes()
	if err != nil {
		t.Fatal(err)
	}
	if len(codes) != 10 {
		t.Fatalf("%d codes", len(codes))
	}
	seen := map[string]bool{}
	for _, c := range codes {
		if len(c) != 11 || c[5] != '-' || c != strings.ToLower(c) {
			t.Fatalf("code %q is not xxxxx-xxxxx", c)
		}
		clean := CleanCode(c)
		if !IsRecoveryCode(clean) || IsTOTPCode(clean) {
			t.Fatalf("code %q not recognised", c)
		}
		if seen[clean] {
			t.Fatalf("code %q twice", c)
		}
		seen[clean] = true
		// Typed in capitals, without the hyphen, with spaces: the same code.
		if CleanCode(" "+strings.ToUpper(strings.ReplaceAll(c, "-", " "))+" ") != clean {
			t.Fatalf("code %q typed differently is another code", c)
		}
	}
}

func TestSealOpen(t *testing.T) {
	s := testSecrets(t)
	sealed, err := s.Seal(1, "JBSWY3DPEHPK3PXP")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte("JBSWY3DPEHPK3PXP")) {
		t.Fatal("secret in clear")
	}
	if got, err := s.Open(1, sealed); err != nil || got != "JBSWY3DPEHPK3PXP" {
		t.Fatalf("Open = %q, %v", got, err)
	}
	if _, err := s.Open(2, sealed); err != ErrUnseal {
		t.Fatalf("another user's row opened: %v", err)
	}
	other, _ := NewSecrets(bytes.Repeat([]byte{8}, 32))
	if _, err := other.Open(1, sealed); err != ErrUnseal {
		t.Fatalf("another key opened it: %v", err)
	}
	sealed[len(sealed)-1] ^= 1
	if _, err := s.Open(1, sealed); err != ErrUnseal {
		t.Fatalf("a damaged value opened: %v", err)
	}
	if _, err := NewSecrets([]byte("short")); err == nil {
		t.Fatal("short key accepted")
	}
}

func TestHashRecoveryCodeIsPerUser(t *testing.T) {
	s := testSecrets(t)
	if bytes.Equal(s.HashRecoveryCode(1, "ABCDEFGHJK"), s.HashRecoveryCode(2, "ABCDEFGHJK")) {
		t.Fatal("same hash for two users")
	}
}

func TestTOTPQRCode(t *testing.T) {
	key, err := NewTOTPKey("Latchkey", "a@example.com")
	if err != nil {
		t.Fatal(err)
	}
	b, err := TOTPQRCode(key.URL, 200)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := png.Decode(bytes.NewReader(b)); err != nil {
		t.Fatal(err)
	}
}

// FuzzCleanCode: the normalisation never panics, is idempotent, drops
// every space and hyphen, and what it calls a code has the code's shape.
func FuzzCleanCode(f *testing.F) {
	for _, s := range []string{"123 456", "abcde-fghjk", "\u00a0٣٤٥", "oooooo", strings.Repeat("-", 100)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c := CleanCode(s)
		if CleanCode(c) != c {
			t.Fatalf("not idempotent: %q → %q → %q", s, c, CleanCode(c))
		}
		if strings.ContainsAny(c, " -\t\n") {
			t.Fatalf("%q kept a space or hyphen: %q", s, c)
		}
		if IsTOTPCode(c) && IsRecoveryCode(c) {
			t.Fatalf("%q is both kinds", c)
		}
		if IsTOTPCode(c) {
			if _, ok := CheckTOTP("JBSWY3DPEHPK3PXP", c, time.Unix(0, 0), 0); ok && len(c) != 6 {
				t.Fatal("odd code accepted")
			}
		}
	})
}
