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

// revokeForm is the "Sign out" form of one other session in the sessions
// list of /settings, written straight to the page. As a templ block its
// attribute expressions (the CSRF token, the session's id, the button's
// label) cost two allocations and a fmt.Sprint each a row, as { s } does,
// and the page shows a full page of such rows to exactly the users with
// many sessions (issue 20 holds that page to 0.9 of the one-session
// page). It writes the bytes the templ block wrote, attributes escaped as
// templ escapes them (TestRevokeFormWritesTheTemplBlock, FuzzRevokeForm).
func revokeForm(csrf *string, row *SessionRow) templ.Component { return &revokeRow{csrf, row} }

type revokeRow struct {
	csrf *string
	row  *SessionRow
}

func (f *revokeRow) Render(_ context.Context, w io.Writer) error {
	for _, s := range [...]string{
		`<form method="post" action="/settings/sessions/revoke"><input type="hidden" name="_csrf" value="`, html.EscapeString(*f.csrf),
		`"><input type="hidden" name="session" value="`, html.EscapeString(f.row.ID),
		`"> <button type="submit" class="btn secondary inline small" aria-label="Sign out `, html.EscapeString(f.row.Device),
		`, last active `, html.EscapeString(f.row.LastSeen), `">Sign out</button></form>`,
	} {
		if _, err := io.WriteString(w, s); err != nil {
			return err
		}
	}
	return nil
}
