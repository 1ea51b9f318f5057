package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"
	"time"
)

// TokenBytes is the entropy of a one-time token: 256 bits from crypto/rand.
const TokenBytes = 32

// Purpose says what a one-time token may be used for; a token issued for one
// purpose is never accepted for another.
type Purpose string

const (
	PurposeLogin         Purpose = "login"
	PurposeVerifyEmail   Purpose = "verify_email"
	PurposeResetPassword Purpose = "reset_password"
	PurposeChangeEmail   Purpose = "change_email"
)

// ErrMalformedToken is returned for text that cannot be a token we issued.
var ErrMalformedToken = errors.New("malformed token")

// NewToken returns a fresh token: the text for the link, and the SHA-256 to
// store. Only the hash is ever written to the database, so a copy of the
// database cannot be turned into working links.
func NewToken() (text string, hash []byte, err error) {
	b := make([]byte, TokenBytes)
	if _, err := rand.Read(b); err != nil {
		return "", nil, err
	}
	sum := sha256.Sum256(b)
	return base64.RawURLEncoding.EncodeToString(b), sum[:], nil
}

// ParseToken checks that text is the base64url form of a 32-byte token and
// returns the hash to look it up by. Anything else is ErrMalformedToken, so a
// database query is never made for junk.
func ParseToken(text string) ([]byte, error) {
	if len(text) != base64.RawURLEncoding.EncodedLen(TokenBytes) {
		return nil, ErrMalformedToken
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(text)
	if err != nil || len(b) != TokenBytes {
		return nil, ErrMalformedToken
	}
	sum := sha256.Sum256(b)
	return sum[:], nil
}

// TokenTTLs are how long each kind of link lasts.
type TokenTTLs struct {
	Login         time.Duration
	VerifyEmail   time.Duration
	ResetPassword time.Duration
}

// For returns the lifetime of a token of purpose p.
func (t TokenTTLs) For(p Purpose) time.Duration {
	switch p {
	case PurposeLogin:
		return t.Login
	case PurposeVerifyEmail, PurposeChangeEmail:
		return t.VerifyEmail
	case PurposeResetPassword:
		return t.ResetPassword
	}
	return 0
}

// APITokenKind is the prefix that names what an API token is: the JSON
// API's access, refresh and personal access tokens are one-time tokens'
// 32 random bytes in base64url after it. The prefix lets a token be
// refused for the wrong place (a refresh token as a bearer) before any
// query, and lets a secret scanner recognise one that leaked.
type APITokenKind string

const (
	AccessToken   APITokenKind = "lk_at_"
	RefreshToken  APITokenKind = "lk_rt_"
	PersonalToken APITokenKind = "lk_pat_"
)

var apiTokenKinds = []APITokenKind{AccessToken, RefreshToken, PersonalToken}

// NewAPIToken returns a fresh token of kind: the text handed to the client
// once, and the SHA-256 of its random part, the only thing stored.
func NewAPIToken(kind APITokenKind) (text string, hash []byte, err error) {
	body, hash, err := NewToken()
	if err != nil {
		return "", nil, err
	}
	return string(kind) + body, hash, nil
}

// ParseAPIToken returns the kind of an API token and the hash to look it
// up by. Text without a known prefix, or whose rest is not exactly what
// NewToken makes, is ErrMalformedToken.
func ParseAPIToken(text string) (APITokenKind, []byte, error) {
	for _, k := range apiTokenKinds {
		if rest, ok := strings.CutPrefix(text, string(k)); ok {
			hash, err := ParseToken(rest)
			if err != nil {
				return "", nil, ErrMalformedToken
			}
			return k, hash, nil
		}
	}
	return "", nil, ErrMalformedToken
}
