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

// templRevokeForm is what the templ block that revokeForm replaced wrote
// (views/settings.templ before it): each attribute through
// templ.EscapeString, as { s } in an attribute is.
func templRevokeForm(csrf string, r SessionRow) string {
	return `<form method="post" action="/settings/sessions/revoke"><input type="hidden" name="_csrf" value="` + templ.EscapeString(csrf) +
		`"><input type="hidden" name="session" value="` + templ.EscapeString(r.ID) +
		`"> <button type="submit" class="btn secondary inline small" aria-label="` + templ.EscapeString("Sign out "+r.Device+", last active "+r.LastSeen) +
		`">Sign out</button></form>`
}

func renderRevokeForm(t *testing.T, csrf string, r SessionRow) string {
	t.Helper()
	var b strings.Builder
	if err := revokeForm(&csrf, &r).Render(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestRevokeFormWritesTheTemplBlock: a session whose recorded device or
// id carries markup or quotes (the User-Agent is the client's to choose)
// cannot leave its attribute, and the form is byte for byte the one the
// templ block wrote.
func TestRevokeFormWritesTheTemplBlock(t *testing.T) {
	for _, r := range []SessionRow{
		{ID: "3f2a", Device: "Firefox on Linux", LastSeen: "3 minutes ago"},
		{ID: `" autofocus onfocus="alert(1)`, Device: `<script>alert(1)</script>`, LastSeen: "it's & <now>"},
		{},
	} {
		got := renderRevokeForm(t, `tok"en&`, r)
		if want := templRevokeForm(`tok"en&`, r); got != want {
			t.Errorf("revokeForm(%+v) =\n%s\nwant\n%s", r, got, want)
		}
		if strings.Count(got, `"`) != 22 {
			t.Errorf("revokeForm(%+v) = %s: a value left its attribute", r, got)
		}
	}
}

func FuzzRevokeForm(f *testing.F) {
	f.Add("token", "id", `Chrome "on" <macOS>`, "now & then")
	f.Fuzz(func(t *testing.T, csrf, id, device, seen string) {
		r := SessionRow{ID: id, Device: device, LastSeen: seen}
		if got, want := renderRevokeForm(t, csrf, r), templRevokeForm(csrf, r); got != want {
			t.Fatalf("revokeForm = %q, want %q", got, want)
		}
	})
}
