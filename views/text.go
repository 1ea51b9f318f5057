package views

import (
	"context"
	"html"
	"io"

	"github.com/a-h/templ"
)

// rowText is *s as HTML text, for the facts repeated on every row of a
// list (the sessions on /settings). templ's { s } copies the string
// through fmt.Sprint and boxes it, two allocations an expression a row;
// rowText(&s) makes none, because a struct of one pointer goes into an
// interface as it is. It escapes exactly as { s } does (templ.EscapeString
// is html.EscapeString), which TestRowTextEscapesLikeTempl and
// FuzzRowText hold it to.
func rowText(s *string) templ.Component { return textRef{s} }

type textRef struct{ s *string }

func (t textRef) Render(_ context.Context, w io.Writer) error {
	_, err := io.WriteString(w, html.EscapeString(*t.s))
	return err
}
