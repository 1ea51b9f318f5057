package auth

import (
	"errors"
	"unicode"
	"unicode/utf8"
)

// MaxNameLength is the longest display name, in characters (runes).
const MaxNameLength = 100

// Why CheckName refused a name.
var (
	ErrNameTooLong    = errors.New("a name is at most 100 characters")
	ErrNameCharacters = errors.New("a name cannot contain line breaks, tabs, other control characters or characters that change the direction of text")
)

// CheckName applies docs/ARCHITECTURE.md's "Names" rule to a display name:
// at most MaxNameLength characters, valid UTF-8, and none of the characters
// that let a name rewrite the text around it. A name is shown in pages and
// greets the owner in mail; with a line break in it, "there,\r\n\r\nYour
// account is locked…" becomes paragraphs of its own in the message, and a
// bidirectional override makes the rest of a line read backwards. The empty
// name passes: whether a name is required is the form's business.
func CheckName(name string) error {
	if !utf8.ValidString(name) {
		return ErrNameCharacters
	}
	if utf8.RuneCountInString(name) > MaxNameLength {
		return ErrNameTooLong
	}
	for _, r := range name {
		if forbiddenInName(r) {
			return ErrNameCharacters
		}
	}
	return nil
}

// forbiddenInName is the character rule of CheckName, from the standard
// library's Unicode tables: control characters (Cc: NUL, tab, CR, LF, NEL
// …), the line and paragraph separators (Zl, Zp: line breaks by another
// name), and the bidirectional controls (Bidi_Control: the embeddings and
// overrides U+202A–U+202E, the isolates U+2066–U+2069, and the marks
// U+200E, U+200F and U+061C).
//
// PRECIS's FreeformClass (RFC 8264) would refuse these too, but it also
// refuses the zero-width joiner outside Indic scripts, and so every emoji
// sequence built with it (woman technologist, U+1F469 U+200D U+1F4BB;
// the rainbow flag), which people do put in their names.
func forbiddenInName(r rune) bool {
	return unicode.In(r, unicode.Cc, unicode.Zl, unicode.Zp, unicode.Bidi_Control)
}
