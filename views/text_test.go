package views

import (
	"context"
	"strings"
	"testing"

	"github.com/a-h/templ"
)

func renderRowText(t testing.TB, s string) string {
	var b strings.Builder
	if err := rowText(&s).Render(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestRowTextEscapesLikeTempl: a device name or address that carries
// markup (a made-up User-Agent ends up in the sessions list) is shown as
// text, the same bytes { s } would give.
func TestRowTextEscapesLikeTempl(t *testing.T) {
	for _, s := range []string{"Chrome on macOS", "", `<script>alert(1)</script>`, `" onmouseover="x`, "a & b", "it's", "Ünïcødé ✓"} {
		got := renderRowText(t, s)
		if want := templ.EscapeString(s); got != want {
			t.Errorf("rowText(%q) = %q, want %q", s, got, want)
		}
		if strings.ContainsAny(got, `<>"'`) {
			t.Errorf("rowText(%q) = %q keeps markup", s, got)
		}
	}
}

func FuzzRowText(f *testing.F) {
	f.Add(`<b a="1">'&'</b>`)
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := renderRowText(t, s), templ.EscapeString(s); got != want {
			t.Fatalf("rowText(%q) = %q, want %q", s, got, want)
		}
	})
}
