package accounts

import (
	"fmt"

	"latchkey/auth"
	"latchkey/db"
)

// checkName refuses a display name that docs/ARCHITECTURE.md's "Names"
// rule forbids (auth.CheckName), whoever supplies it: the forms check it
// first, and this keeps the CLI and any future caller from storing one
// anyway. The error wraps auth.ErrNameTooLong or auth.ErrNameCharacters.
func checkName(name string) error {
	if err := auth.CheckName(name); err != nil {
		return fmt.Errorf("name refused: %w", err)
	}
	return nil
}

// greeting is the name a message to address to may greet with: the
// account's name only when to is the account's own, confirmed address. A
// message to an address nobody has confirmed (a signup confirmation, an
// email-change confirmation, a link to a pre-registered account) may reach
// a stranger, so it carries no text the requester chose
// (docs/ARCHITECTURE.md, "Names").
func greeting(u db.User, to string) string {
	if u.Verified() && auth.SameEmail(to, u.Email) {
		return u.Name
	}
	return ""
}
