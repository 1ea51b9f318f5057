package auth

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/alexedwards/argon2id"
)

// cheap are tiny argon2id parameters, so unit tests spend microseconds.
func cheap() *argon2id.Params {
	return &argon2id.Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}
}

func newTestHasher(t *testing.T, p *argon2id.Params, n int) *Hasher {
	t.Helper()
	h, err := NewHasher(p, n)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestHashAndCheck(t *testing.T) {
	ctx := context.Background()
	h := newTestHasher(t, cheap(), 2)
	hash, err := h.Hash(ctx, "violet tangerine lighthouse")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(hash, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Fatalf("hash %q", hash)
	}
	if strings.Contains(hash, "violet") {
		t.Fatal("the hash contains the password")
	}
	if other, _ := h.Hash(ctx, "violet tangerine lighthouse"); other == hash {
		t.Fatal("two hashes of one password are equal: no salt")
	}
	rehash, err := h.Check(ctx, "violet tangerine lighthouse", hash)
	if err != nil || rehash {
		t.Fatalf("right password: rehash=%v err=%v", rehash, err)
	}
	for _, wrong := range []string{"violet tangerine lighthous", "Violet tangerine lighthouse", ""} {
		if _, err := h.Check(ctx, wrong, hash); !errors.Is(err, ErrMismatch) {
			t.Fatalf("wrong password %q: err=%v", wrong, err)
		}
	}
	if _, err := h.Check(ctx, "x", "not a hash"); err == nil || errors.Is(err, ErrMismatch) {
		t.Fatalf("malformed hash: err=%v, want a decoding error", err)
	}
}

// A hash made with other parameters matches, and is reported for re-hashing.
func TestCheckReportsRehash(t *testing.T) {
	ctx := context.Background()
	current := newTestHasher(t, cheap(), 2)
	for _, tc := range []struct {
		name   string
		change func(*argon2id.Params)
	}{
		{"memory", func(p *argon2id.Params) { p.Memory = 32 }},
		{"iterations", func(p *argon2id.Params) { p.Iterations = 2 }},
		{"parallelism", func(p *argon2id.Params) { p.Parallelism = 2 }},
		{"salt length", func(p *argon2id.Params) { p.SaltLength = 8 }},
		{"key length", func(p *argon2id.Params) { p.KeyLength = 16 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			old := cheap()
			tc.change(old)
			hash, err := argon2id.CreateHash("violet tangerine lighthouse", old)
			if err != nil {
				t.Fatal(err)
			}
			rehash, err := current.Check(ctx, "violet tangerine lighthouse", hash)
			if err != nil || !rehash {
				t.Fatalf("rehash=%v err=%v, want true, nil", rehash, err)
			}
			// A wrong password is a mismatch, never a rehash.
			rehash, err = current.Check(ctx, "wrong", hash)
			if !errors.Is(err, ErrMismatch) || rehash {
				t.Fatalf("wrong password: rehash=%v err=%v", rehash, err)
			}
		})
	}
}

// CheckDummy always fails, even for the dummy's own password, and spends a
// real check.
func TestCheckDummy(t *testing.T) {
	ctx := context.Background()
	h := newTestHasher(t, cheap(), 1)
	for _, pw := range []string{"", "anything", "latchkey-dummy-password-never-matches"} {
		if err := h.CheckDummy(ctx, pw); !errors.Is(err, ErrMismatch) {
			t.Fatalf("CheckDummy(%q) = %v", pw, err)
		}
	}
	if _, _, _, err := argon2id.DecodeHash(h.dummy); err != nil {
		t.Fatalf("the dummy is not a real hash: %v", err)
	}
}

func TestNewHasherDefaults(t *testing.T) {
	h := newTestHasher(t, nil, 0)
	if *h.params != *Params {
		t.Fatalf("params %+v, want the OWASP ones", *h.params)
	}
	if cap(h.slots) != runtime.GOMAXPROCS(0) {
		t.Fatalf("%d slots, want GOMAXPROCS=%d", cap(h.slots), runtime.GOMAXPROCS(0))
	}
	if Params.Memory != 19*1024 || Params.Iterations != 2 || Params.Parallelism != 1 {
		t.Fatalf("Params %+v are not m=19 MiB, t=2, p=1", *Params)
	}
}

// At most n hashes run at once: with both slots of NewHasher(p, 2) taken,
// a third Hash, Check or CheckDummy waits — it gives up when its context
// ends, and goes ahead as soon as a slot is free. Without the semaphore
// every call below would return at once with a result.
func TestHasherBoundsConcurrency(t *testing.T) {
	h := newTestHasher(t, cheap(), 2)
	hash, err := h.Hash(context.Background(), "violet tangerine lighthouse")
	if err != nil {
		t.Fatal(err)
	}
	// Two hashes in flight, as far as the Hasher can tell.
	h.slots <- struct{}{}
	h.slots <- struct{}{}

	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := h.Hash(cancelled, "x"); !errors.Is(err, context.Canceled) {
		t.Fatalf("Hash with every slot taken: err=%v, want context.Canceled", err)
	}
	if _, err := h.Check(cancelled, "violet tangerine lighthouse", hash); !errors.Is(err, context.Canceled) {
		t.Fatalf("Check with every slot taken: err=%v", err)
	}
	if err := h.CheckDummy(cancelled, "x"); !errors.Is(err, context.Canceled) {
		t.Fatalf("CheckDummy with every slot taken: err=%v (an unknown email must wait its turn too)", err)
	}
	short, cancelShort := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancelShort()
	if _, err := h.Hash(short, "x"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Hash waiting past its deadline: err=%v", err)
	}
	if len(h.slots) != 2 {
		t.Fatalf("calls that gave up left %d slots taken, want 2", len(h.slots))
	}

	// A patient caller queues...
	done := make(chan error, 1)
	go func() {
		_, err := h.Check(context.Background(), "violet tangerine lighthouse", hash)
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("Check ran with both slots taken (err=%v)", err)
	case <-time.After(100 * time.Millisecond):
	}
	// ...and runs once a slot is released, giving it back afterwards.
	<-h.slots
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Check did not run after a slot was freed")
	}
	if len(h.slots) != 1 {
		t.Fatalf("%d slots taken after the check, want 1 (ours)", len(h.slots))
	}
	<-h.slots
}

// Many callers at once all finish and leave every slot free.
func TestHasherUnderLoad(t *testing.T) {
	h := newTestHasher(t, cheap(), 2)
	errs := make(chan error, 32)
	for i := range 32 {
		go func() {
			hash, err := h.Hash(context.Background(), strings.Repeat("p", i+1))
			if err == nil {
				_, err = h.Check(context.Background(), strings.Repeat("p", i+1), hash)
			}
			errs <- err
		}()
	}
	for range 32 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if len(h.slots) != 0 {
		t.Fatalf("%d slots still taken", len(h.slots))
	}
}
