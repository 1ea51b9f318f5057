package views

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// BenchmarkLoginPage renders the most-requested page as a signed-out
// visitor gets it, into a reused buffer as handlers.render does.
func BenchmarkLoginPage(b *testing.B) {
	p := Page{Title: "Sign in", CSRF: strings.Repeat("x", 32)}
	page := Login(p, LoginForm{Remember: true}, nil, nil)
	ctx := context.Background()
	var buf bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		if err := page.Render(ctx, &buf); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(buf.Len()))
}
