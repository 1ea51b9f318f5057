package views

import (
	"context"
	"strings"
	"testing"
)

// Say escapes markup but keeps apostrophes, so a message reads the same in
// the source as on screen and still cannot open a tag or an entity.
func TestSayEscapesMarkupButNotApostrophes(t *testing.T) {
	for in, want := range map[string]string{
		"That email and password don't match.": "That email and password don't match.",
		`<script>alert("x")</script> & co`:     "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; co",
		"it's <b>":                             "it's &lt;b&gt;",
	} {
		var b strings.Builder
		if err := Say(in).Render(context.Background(), &b); err != nil {
			t.Fatal(err)
		}
		if b.String() != want {
			t.Errorf("Say(%q) = %q, want %q", in, b.String(), want)
		}
	}
}
