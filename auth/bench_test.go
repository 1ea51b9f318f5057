package auth

import (
	"context"
	"testing"
)

// The benchmarks use the real parameters (Params): their figure is
// the cost of one sign-in on this machine. `make bench` runs them with
// -benchmem.

func BenchmarkHashPassword(b *testing.B) {
	h, err := NewHasher(Params, 1)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := h.Hash(ctx, "correct horse battery staple"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCheckPassword(b *testing.B) {
	h, err := NewHasher(Params, 1)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	hash, err := h.Hash(ctx, "correct horse battery staple")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := h.Check(ctx, "correct horse battery staple", hash); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkToken makes a one-time token and checks the text of a link.
func BenchmarkToken(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		text, hash, err := NewToken()
		if err != nil {
			b.Fatal(err)
		}
		got, err := ParseToken(text)
		if err != nil || string(got) != string(hash) {
			b.Fatal("token does not parse back to its hash", err)
		}
	}
}
