// Package views renders every page with templ: the layout, shared parts
// (form field, error summary, flash, buttons) and one component per page.
//
// Views receive plain values and never query anything: they may import
// static (for asset paths) and templ, and nothing from db, accounts,
// handlers or echo. A handler turns a db type into a view type (see Note).
package views

import (
	"context"
	"io"
	"strings"

	"github.com/a-h/templ"
)

// Page is what every page needs besides its own content.
type Page struct {
	Title string
	// AppName is the product's name (APP_NAME) in the title, the header
	// and the footer, so a fork rebrands with one setting.
	AppName string
	// Description is the page's <meta name="description">: one sentence
	// of its own for search results, set by each page with Describe.
	Description string
	CSRF        string // the token for the hidden _csrf field
	Flash       string
	SignedIn    bool
	UserName    string
	// Admin: the signed-in user is an administrator, so the navigation
	// links to the admin area.
	Admin bool
	Dev   bool // development: shows the link to /dev/mailbox
	Wide  bool // settings and lists use a wider column
	// Providers are the configured identity providers, for the
	// "Continue with …" buttons of /login and /signup.
	Providers []ProviderButton
	// Passkeys: passkeys can be used on this site (BASE_URL has a host),
	// so /login offers them to a browser that supports them.
	Passkeys bool
}

// Describe returns p with the page's description: each page says in one
// sentence of its own what it is for.
func (p Page) Describe(description string) Page {
	p.Description = description
	return p
}

// Errors maps a form field's name to the message shown next to it.
type Errors map[string]string

// Field describes one labelled input.
type Field struct {
	Name         string
	ID           string // defaults to "f-" + Name
	Label        string
	Type         string
	Value        string
	Autocomplete string
	Hint         string
	Required     bool
	Autofocus    bool
	MaxLength    int
}

func (f Field) id() string {
	if f.ID != "" {
		return f.ID
	}
	return "f-" + f.Name
}

func (f Field) describedBy(err string) string {
	ids := ""
	if f.Hint != "" {
		ids = f.id() + "-hint"
	}
	if err != "" {
		if ids != "" {
			ids += " "
		}
		ids += f.id() + "-error"
	}
	return ids
}

// summaryItem is one line of the error summary, linking to its field.
type summaryItem struct{ ID, Message string }

// summary lists errs in the order the fields appear on the page.
func summary(errs Errors, order ...Field) []summaryItem {
	var out []summaryItem
	for _, f := range order {
		if msg, ok := errs[f.Name]; ok {
			out = append(out, summaryItem{ID: f.id(), Message: msg})
		}
	}
	if msg, ok := errs[""]; ok {
		out = append([]summaryItem{{Message: msg}}, out...)
	}
	return out
}

// Say writes s as the text of an element. It escapes what templ's { s }
// escapes, except the apostrophe, which is harmless between tags (unlike in
// a quoted attribute): the page source then reads "don't match", as the
// screen does, for the tests, tools and screen readers that read the HTML.
func Say(s string) templ.Component {
	return templ.ComponentFunc(func(_ context.Context, w io.Writer) error {
		_, err := io.WriteString(w, strings.ReplaceAll(templ.EscapeString(s), "&#39;", "'"))
		return err
	})
}
