package auth

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync/atomic"

	"github.com/alexedwards/argon2id"
)

// Params are the OWASP argon2id parameters from DESIGN.md: m=19 MiB, t=2, p=1.
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

// Runs is the number of argon2id hashes computed so far (Hash and Check).
func (h *Hasher) Runs() int64 { return h.runs.Load() }

// Hash returns the encoded argon2id hash of password.
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
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
// other parameters than the current ones, rehash is true and the caller should
// store a new Hash of the password (only after a successful match).
func (h *Hasher) Check(ctx context.Context, password, encoded string) (rehash bool, err error) {
	if err := h.acquire(ctx); err != nil {
		return false, err
	}
	defer h.release()
	h.runs.Add(1)
	match, params, err := argon2id.CheckHash(password, encoded)
	if err != nil {
		return false, fmt.Errorf("check password: %w", err)
	}
	if !match {
		return false, ErrMismatch
	}
	return *params != *h.params || params.SaltLength != h.params.SaltLength, nil
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
