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

// One password however it is typed: Hash and Check prepare it (PRECIS
// OpaqueString), so a composed "é" and "e" with a combining accent, or a
// no-break space and a space, are the same password.
func TestHasherPreparesPasswords(t *testing.T) {
	ctx := context.Background()
	h := newTestHasher(t, cheap(), 2)
	for _, tc := range []struct{ desc, set, typed string }{
		{"composed, then decomposed", "caf\u00e9 violet tangerine", "cafe\u0301 violet tangerine"},
		{"decomposed, then composed", "cafe\u0301 violet tangerine", "caf\u00e9 violet tangerine"},
		{"no-break space, then space", "violet\u00a0tangerine lighthouse", "violet tangerine lighthouse"},
		{"ideographic space, then space", "violet\u3000tangerine", "violet tangerine"},
	} {
		hash, err := h.Hash(ctx, tc.set)
		if err != nil {
			t.Fatal(err)
		}
		if rehash, err := h.Check(ctx, tc.typed, hash); err != nil || rehash {
			t.Errorf("%s: rehash=%v err=%v, want a match", tc.desc, rehash, err)
		}
	}
	// Different passwords stay different.
	hash, err := h.Hash(ctx, "caf\u00e9 violet tangerine")
	if err != nil {
		t.Fatal(err)
	}
	for _, wrong := range []string{"cafe violet tangerine", "CAF\u00c9 violet tangerine", "caf\u00e9  violet tangerine"} {
		if _, err := h.Check(ctx, wrong, hash); !errors.Is(err, ErrMismatch) {
			t.Errorf("%+q matched the hash of %+q: err=%v", wrong, "caf\u00e9 violet tangerine", err)
		}
	}
}

// Hashes made before passwords were prepared were made from the bytes as
// typed: they still match, and Check asks for a rehash so that the account
// moves to the prepared form; the new hash then matches every spelling.
func TestHasherAcceptsLegacyHashes(t *testing.T) {
	ctx := context.Background()
	h := newTestHasher(t, cheap(), 2)
	const typed = "cafe\u0301 violet tangerine" // not NFC: its prepared form differs
	legacy, err := argon2id.CreateHash(typed, cheap())
	if err != nil {
		t.Fatal(err)
	}
	runs := h.Runs()
	rehash, err := h.Check(ctx, typed, legacy)
	if err != nil || !rehash {
		t.Fatalf("legacy hash: rehash=%v err=%v, want a match and a rehash", rehash, err)
	}
	if n := h.Runs() - runs; n != 2 {
		t.Errorf("%d hashes, want 2 (the prepared form, then as typed)", n)
	}
	if _, err := h.Check(ctx, "cafe violet tangerine", legacy); !errors.Is(err, ErrMismatch) {
		t.Errorf("a wrong password against a legacy hash: err=%v", err)
	}
	fresh, err := h.Hash(ctx, typed)
	if err != nil {
		t.Fatal(err)
	}
	for _, spelling := range []string{typed, "caf\u00e9 violet tangerine"} {
		if rehash, err := h.Check(ctx, spelling, fresh); err != nil || rehash {
			t.Errorf("the new hash and %+q: rehash=%v err=%v", spelling, rehash, err)
		}
	}
	// An ASCII password's prepared form is itself: one hash, no rehash.
	ascii, err := argon2id.CreateHash("violet tangerine lighthouse", cheap())
	if err != nil {
		t.Fatal(err)
	}
	runs = h.Runs()
	if rehash, err := h.Check(ctx, "violet tangerine lighthouse", ascii); err != nil || rehash {
		t.Errorf("ASCII legacy hash: rehash=%v err=%v", rehash, err)
	}
	if n := h.Runs() - runs; n != 1 {
		t.Errorf("%d hashes for an ASCII password, want 1", n)
	}
}

// What PRECIS refuses (control and invisible characters, bytes that are not
// UTF-8) is compared as it is: an old password with a tab still signs in,
// and nothing is an error. Two different invalid byte strings stay two
// passwords (PRECIS alone would read both as U+FFFD).
func TestHasherComparesUnpreparableInputAsIs(t *testing.T) {
	ctx := context.Background()
	h := newTestHasher(t, cheap(), 2)
	for _, pw := range []string{"violet\ttangerine", "violet\u200btangerine", "\xff\xfeviolet", "", "\x00"} {
		legacy, err := argon2id.CreateHash(pw, cheap())
		if err != nil {
			t.Fatal(err)
		}
		if rehash, err := h.Check(ctx, pw, legacy); err != nil || rehash {
			t.Errorf("%+q against its legacy hash: rehash=%v err=%v", pw, rehash, err)
		}
		hash, err := h.Hash(ctx, pw)
		if err != nil {
			t.Errorf("Hash(%+q): %v", pw, err)
			continue
		}
		if rehash, err := h.Check(ctx, pw, hash); err != nil || rehash {
			t.Errorf("%+q against its hash: rehash=%v err=%v", pw, rehash, err)
		}
	}
	hash, err := h.Hash(ctx, "\xff\xfeviolet")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Check(ctx, "\xfe\xffviolet", hash); !errors.Is(err, ErrMismatch) {
		t.Errorf("two invalid byte strings are one password: err=%v", err)
	}
}

// The policy check runs in a hashing slot: with every slot taken it waits,
// gives up when its context ends, and runs once a slot is free.
func TestCheckStrengthTakesAHashingSlot(t *testing.T) {
	h := newTestHasher(t, cheap(), 1)
	policy := Policy{MinScore: DefaultMinPasswordScore}
	reason, err := h.CheckStrength(context.Background(), policy, "password1", "", "")
	if err != nil || !strings.Contains(reason, "most common") {
		t.Fatalf("reason %q, err %v", reason, err)
	}
	h.slots <- struct{}{} // a hash in flight
	short, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := h.CheckStrength(short, policy, "violet tangerine lighthouse", "", ""); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("with every slot taken: err=%v, want the deadline", err)
	}
	done := make(chan string, 1)
	go func() {
		reason, _ := h.CheckStrength(context.Background(), policy, "violet tangerine lighthouse", "", "")
		done <- reason
	}()
	select {
	case <-done:
		t.Fatal("the check ran with every slot taken")
	case <-time.After(100 * time.Millisecond):
	}
	<-h.slots
	select {
	case reason := <-done:
		if reason != "" {
			t.Fatalf("a good passphrase refused: %s", reason)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the check did not run after a slot was freed")
	}
	if len(h.slots) != 0 {
		t.Fatalf("%d slots still taken", len(h.slots))
	}
}
