package auth

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"errors"
	"fmt"
	"image/png"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// The authenticator-app parameters of RFC 6238 as every app reads them:
// SHA-1, six digits, 30-second steps, and one step of drift either way.
const (
	TOTPPeriod = 30
	TOTPDigits = 6
	TOTPDrift  = 1
)

// totpOpts are the parameters of every code made or checked.
var totpOpts = totp.ValidateOpts{Period: TOTPPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// TOTPKey is a new authenticator secret: the base32 text to type and the
// otpauth:// URL the QR code carries.
type TOTPKey struct {
	Secret string
	URL    string
}

// NewTOTPKey makes a fresh 160-bit secret (RFC 4226's recommended size)
// for account at issuer.
func NewTOTPKey(issuer, account string) (TOTPKey, error) {
	k, err := totp.Generate(totp.GenerateOpts{Issuer: issuer, AccountName: account, Period: TOTPPeriod,
		SecretSize: 20, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		return TOTPKey{}, fmt.Errorf("new authenticator secret: %w", err)
	}
	return TOTPKey{Secret: k.Secret(), URL: k.URL()}, nil
}

// TOTPURL is the otpauth:// URL of an existing secret (base32), for the
// QR code of an enrolment shown again.
func TOTPURL(issuer, account, secret string) (string, error) {
	raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(strings.TrimRight(secret, "="))
	if err != nil {
		return "", fmt.Errorf("authenticator secret: %w", err)
	}
	k, err := totp.Generate(totp.GenerateOpts{Issuer: issuer, AccountName: account, Period: TOTPPeriod,
		Secret: raw, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		return "", fmt.Errorf("authenticator secret: %w", err)
	}
	return k.URL(), nil
}

// TOTPQRCode is the PNG of the QR code of an otpauth:// URL, size pixels
// square, drawn here (through boombuler/barcode) so the secret never goes
// to another service.
func TOTPQRCode(url string, size int) ([]byte, error) {
	k, err := otp.NewKeyFromURL(url)
	if err != nil {
		return nil, fmt.Errorf("qr code: %w", err)
	}
	img, err := k.Image(size, size)
	if err != nil {
		return nil, fmt.Errorf("qr code: %w", err)
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		return nil, fmt.Errorf("qr code: %w", err)
	}
	return b.Bytes(), nil
}

// TOTPStep is the RFC 6238 time step that t falls in.
func TOTPStep(t time.Time) int64 { return t.Unix() / TOTPPeriod }

// TOTPCode is the code of secret at step, as an authenticator app shows
// it (for tests and the bench, which play the app).
func TOTPCode(secret string, step int64) (string, error) {
	return totp.GenerateCodeCustom(secret, time.Unix(step*TOTPPeriod, 0), totpOpts)
}

// CheckTOTP reports the time step whose code code is, within one step of
// now either way, and only a step after lastStep: a step already used (at
// enrolment or sign-in) is refused, so an overheard code cannot be
// replayed inside its 30 seconds. code must be clean (CleanCode). The
// three candidate codes are each made by pquerna/otp and compared in
// constant time, and all three are always made.
func CheckTOTP(secret, code string, now time.Time, lastStep int64) (step int64, ok bool) {
	if !IsTOTPCode(code) {
		return 0, false
	}
	cur := TOTPStep(now)
	for d := int64(-TOTPDrift); d <= TOTPDrift; d++ {
		s := cur + d
		want, err := TOTPCode(secret, s)
		if err != nil {
			return 0, false
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 && s > lastStep && !ok {
			step, ok = s, true
		}
	}
	return step, ok
}

// IsTOTPCode reports whether a clean code has the shape of an
// authenticator code: six ASCII digits.
func IsTOTPCode(code string) bool {
	if len(code) != TOTPDigits {
		return false
	}
	for i := 0; i < len(code); i++ {
		if code[i] < '0' || code[i] > '9' {
			return false
		}
	}
	return true
}

// CleanCode is a typed code as it is compared: spaces and hyphens (and
// the other dashes a phone's keyboard or a copy from a PDF may give)
// dropped, letters upper-cased, and the letters that read like digits
// taken as those digits (O as 0, I and L as 1), so "123 456", "123-456"
// and "abcde-fghjk" match what was shown. It never fails; what it returns
// may still be neither kind of code.
func CleanCode(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case unicode.IsSpace(r), r == '-', unicode.Is(unicode.Pd, r), r == '\u2212':
			continue
		case r == 'o' || r == 'O':
			r = '0'
		case r == 'i' || r == 'I' || r == 'l' || r == 'L':
			r = '1'
		case r >= 'a' && r <= 'z':
			r -= 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// recoveryAlphabet is Crockford's base32: 32 symbols with no I, L, O or U,
// so nothing on the sheet reads as something else, and CleanCode maps the
// look-alikes people type anyway. 32 divides 256, so a random byte masked
// to five bits picks every symbol with the same chance.
const recoveryAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// Recovery codes: RecoveryCodes of them, each recoveryCodeLen symbols of
// five bits, 50 bits from crypto/rand.
const (
	RecoveryCodes   = 10
	recoveryCodeLen = 10
)

// NewRecoveryCodes returns RecoveryCodes fresh codes as they are shown,
// xxxxx-xxxxx in lower case.
func NewRecoveryCodes() ([]string, error) {
	codes := make([]string, RecoveryCodes)
	buf := make([]byte, recoveryCodeLen)
	for i := range codes {
		if _, err := rand.Read(buf); err != nil {
			return nil, fmt.Errorf("recovery codes: %w", err)
		}
		c := make([]byte, recoveryCodeLen)
		for j, x := range buf {
			c[j] = recoveryAlphabet[x&31]
		}
		s := strings.ToLower(string(c))
		codes[i] = s[:5] + "-" + s[5:]
	}
	return codes, nil
}

// IsRecoveryCode reports whether a clean code has the shape of a recovery
// code: ten symbols of the alphabet.
func IsRecoveryCode(code string) bool {
	if len(code) != recoveryCodeLen {
		return false
	}
	for i := 0; i < len(code); i++ {
		if strings.IndexByte(recoveryAlphabet, code[i]) < 0 {
			return false
		}
	}
	return true
}

// Secrets derives the keys of the second factor from SECRET_KEY: one to
// seal authenticator secrets, one to hash recovery codes. It holds no
// state beyond them.
type Secrets struct {
	seal     cipher.AEAD
	recovery []byte
}

// ErrNoSecretKey: the second factor needs a SECRET_KEY and none was given.
var ErrNoSecretKey = errors.New("no SECRET_KEY: the second factor cannot be used")

// ErrUnseal: a sealed secret did not open: another key, another user's
// row, or a damaged value.
var ErrUnseal = errors.New("sealed secret does not open with this key")

// NewSecrets derives the keys from a 32-byte SECRET_KEY. Each use has its
// own key (HKDF-SHA-256 with a label), so no key serves two purposes.
func NewSecrets(secretKey []byte) (*Secrets, error) {
	if len(secretKey) != 32 {
		return nil, fmt.Errorf("secret key: %d bytes, want 32", len(secretKey))
	}
	sealKey, err := hkdf.Key(sha256.New, secretKey, nil, "latchkey totp secret v1", 32)
	if err != nil {
		return nil, fmt.Errorf("secret key: %w", err)
	}
	recKey, err := hkdf.Key(sha256.New, secretKey, nil, "latchkey recovery codes v1", 32)
	if err != nil {
		return nil, fmt.Errorf("secret key: %w", err)
	}
	block, err := aes.NewCipher(sealKey)
	if err != nil {
		return nil, fmt.Errorf("secret key: %w", err)
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("secret key: %w", err)
	}
	return &Secrets{seal: gcm, recovery: recKey}, nil
}

// sealVersion leads every sealed value, so a later key or cipher can be
// told apart from this one.
const sealVersion = 1

// owner is the associated data of a user's sealed secret: a sealed value
// copied into another user's row does not open there.
func owner(userID int64) []byte { return []byte("user:" + strconv.FormatInt(userID, 10)) }

// Seal encrypts an authenticator secret for userID with AES-256-GCM: a
// version byte, a random 96-bit nonce, then the ciphertext and tag.
func (s *Secrets) Seal(userID int64, secret string) ([]byte, error) {
	nonce := make([]byte, s.seal.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	out := append([]byte{sealVersion}, nonce...)
	return s.seal.Seal(out, nonce, []byte(secret), owner(userID)), nil
}

// Open decrypts what Seal made for userID; ErrUnseal for anything else.
func (s *Secrets) Open(userID int64, sealed []byte) (string, error) {
	n := s.seal.NonceSize()
	if len(sealed) < 1+n || sealed[0] != sealVersion {
		return "", ErrUnseal
	}
	plain, err := s.seal.Open(nil, sealed[1:1+n], sealed[1+n:], owner(userID))
	if err != nil {
		return "", ErrUnseal
	}
	return string(plain), nil
}

// HashRecoveryCode is what is stored of a user's recovery code: an
// HMAC-SHA-256 of the clean code and the user's id, keyed from SECRET_KEY.
// A fast hash is enough here, unlike for passwords: each code is 50 bits
// from crypto/rand, not something a person chose, so there is no
// dictionary to try, and online guesses are held to 5 per 15 minutes. The
// key goes further: a copy of the database alone (without SECRET_KEY)
// cannot be searched for the codes at all, and the user id makes equal
// codes of two users hash differently.
func (s *Secrets) HashRecoveryCode(userID int64, clean string) []byte {
	m := hmac.New(sha256.New, s.recovery)
	m.Write(owner(userID))
	m.Write([]byte{0})
	m.Write([]byte(clean))
	return m.Sum(nil)
}

// NewDeviceMark returns the token of a remembered browser: the text for
// its cookie and the SHA-256 to store, as for links (NewToken).
func NewDeviceMark() (text string, hash []byte, err error) { return NewToken() }

// ParseDeviceMark is ParseToken for the cookie of a remembered browser.
func ParseDeviceMark(text string) ([]byte, error) { return ParseToken(text) }
