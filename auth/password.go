package auth

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync/atomic"
	"unicode/utf8"

	"github.com/alexedwards/argon2id"
	"golang.org/x/text/secure/precis"
)

// Params are OWASP's argon2id parameters, m=19 MiB, t=2, p=1
// (docs/ARCHITECTURE.md, "Passwords").
var Params = &argon2id.Params{
	Memory:      19 * 1024,
	Iterations:  2,
	Parallelism: 1,
	SaltLength:  16,
	KeyLength:   32,
}

// Hasher hashes and checks passwords while bounding how many argon2id runs are
// in flight. Each run holds 19 MiB; without the bound a flood of sign-ins
// allocates 19 MiB per request and the process runs out of memory long before
// it runs out of CPU. With it, a flood queues and throughput stays the same.
type Hasher struct {
	params *argon2id.Params
	slots  chan struct{}
	// dummy is a real hash of a random password, checked when the email is
	// unknown so that "no such account" costs the same time as "wrong password".
	dummy string
	// runs counts hashes computed, so tests and metrics can show that a
	// refused request cost none.
	runs atomic.Int64
}

// NewHasher returns a Hasher allowing concurrency simultaneous hashes;
// concurrency <= 0 means GOMAXPROCS.
func NewHasher(params *argon2id.Params, concurrency int) (*Hasher, error) {
	if params == nil {
		params = Params
	}
	if concurrency <= 0 {
		concurrency = runtime.GOMAXPROCS(0)
	}
	dummy, err := argon2id.CreateHash("latchkey-dummy-password-never-matches", params)
	if err != nil {
		return nil, fmt.Errorf("make dummy hash: %w", err)
	}
	return &Hasher{params: params, slots: make(chan struct{}, concurrency), dummy: dummy}, nil
}

func (h *Hasher) acquire(ctx context.Context) error {
	select {
	case h.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("wait for a hashing slot: %w", ctx.Err())
	}
}

func (h *Hasher) release() { <-h.slots }

// Slots is how many hashes may run at once.
func (h *Hasher) Slots() int { return cap(h.slots) }

// Runs is the number of argon2id hashes computed so far (Hash and Check;
// a Check of a password typed in another form than its prepared one may
// compute two).
func (h *Hasher) Runs() int64 { return h.runs.Load() }

// preparePassword is the form of password that is hashed: PRECIS
// OpaqueString (RFC 8265), which composes it (NFC) and maps every non-ASCII
// space to an ASCII one, so that "é" typed as one character or as "e" and
// an accent is one password. ok is false for what PRECIS refuses (control
// and invisible characters, unassigned code points) and for bytes that are
// not UTF-8, which PRECIS would otherwise read as U+FFFD, making different
// inputs one password.
func preparePassword(password string) (prepared string, ok bool) {
	if !utf8.ValidString(password) {
		return "", false
	}
	prepared, err := precis.OpaqueString.String(password)
	return prepared, err == nil
}

// Hash returns the encoded argon2id hash of password's prepared form. The
// policy refuses new passwords that cannot be prepared; one that reaches
// Hash all the same is hashed as it is, so that Check, which compares such
// input as it is, still matches it.
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	if prepared, ok := preparePassword(password); ok {
		password = prepared
	}
	if err := h.acquire(ctx); err != nil {
		return "", err
	}
	defer h.release()
	h.runs.Add(1)
	hash, err := argon2id.CreateHash(password, h.params)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return hash, nil
}

// ErrMismatch is returned by Check when the password does not match.
var ErrMismatch = errors.New("password does not match")

// Check compares password with an encoded hash. When the hash was made with
// other parameters than the current ones, or from the password as it was
// typed rather than its prepared form (hashes made before preparation),
// rehash is true and the caller should store a new Hash of the password
// (only after a successful match).
//
// The prepared form is tried first; when it does not match and differs from
// the input, the input as typed is tried too, in the same slot. Input that
// cannot be prepared is compared as it is.
func (h *Hasher) Check(ctx context.Context, password, encoded string) (rehash bool, err error) {
	if err := h.acquire(ctx); err != nil {
		return false, err
	}
	defer h.release()
	prepared, ok := preparePassword(password)
	if !ok {
		prepared = password
	}
	match, params, err := h.compare(prepared, encoded)
	if err != nil {
		return false, err
	}
	if !match && prepared != password {
		if match, params, err = h.compare(password, encoded); err != nil {
			return false, err
		}
		rehash = match
	}
	if !match {
		return false, ErrMismatch
	}
	return rehash || *params != *h.params || params.SaltLength != h.params.SaltLength, nil
}

func (h *Hasher) compare(password, encoded string) (bool, *argon2id.Params, error) {
	h.runs.Add(1)
	match, params, err := argon2id.CheckHash(password, encoded)
	if err != nil {
		return false, nil, fmt.Errorf("check password: %w", err)
	}
	return match, params, nil
}

// CheckStrength applies policy to a new password (see Policy.Check) while
// holding a hashing slot: the check costs milliseconds of CPU, so a flood of
// them must queue like hashes rather than run side by side with them. The
// error is only the context's, when it ends before a slot is free.
func (h *Hasher) CheckStrength(ctx context.Context, policy Policy, password, name, email string) (reason string, err error) {
	if err := h.acquire(ctx); err != nil {
		return "", err
	}
	defer h.release()
	return policy.Check(password, name, email), nil
}

// CheckDummy spends one hash without any account, so that unknown emails and
// accounts without a password take as long as a wrong password. It always
// reports ErrMismatch.
func (h *Hasher) CheckDummy(ctx context.Context, password string) error {
	if _, err := h.Check(ctx, password, h.dummy); err != nil && !errors.Is(err, ErrMismatch) {
		return err
	}
	return ErrMismatch
}
