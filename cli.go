package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"latchkey/accounts"
	"latchkey/db"
)

// userUsage is the help of "latchkey user" and of each of its commands.
var userUsage = map[string]string{
	"": `Usage: latchkey user COMMAND [arguments]

Operator's tools for accounts. Commands:
  list                            list every account
  create --email EMAIL --name NAME
                                  create an account without a password
  disable EMAIL                   disable an account and end its sessions
  enable EMAIL                    enable a disabled account
  delete EMAIL                    delete an account with its sessions and links
  reset-2fa EMAIL                 turn off two-step verification for a user who
                                  lost both their app and their recovery codes
  promote EMAIL                   make an account an administrator
  demote EMAIL                    make an administrator an ordinary account again

Run "latchkey user COMMAND --help" for the details of one command.
`,
	"list": `Usage: latchkey user list

Lists every account: id, email address, name, whether the address is
verified, whether the account is disabled, its role, and when it was
created.
`,
	"create": `Usage: latchkey user create --email EMAIL --name NAME

Creates an account without a password. In development (APP_ENV=development)
it prints a one-time sign-in link, valid for TOKEN_TTL_LOGIN; in production
nothing is printed or sent, and the person signs in with an emailed link
from the sign-in page. They can set a password in their account settings.
`,
	"disable": `Usage: latchkey user disable EMAIL

Disables an account: it cannot sign in by any method, every one of its
sessions ends at once, and its outstanding links stop working. "latchkey
user enable EMAIL" undoes it. The owner is emailed a notice, and the
account's activity log says the operator did it.
`,
	"enable": `Usage: latchkey user enable EMAIL

Enables an account that was disabled. Its old sessions and links do not
come back: the person signs in again. The owner is emailed a notice, and
the account's activity log says the operator did it.
`,
	"delete": `Usage: latchkey user delete EMAIL

Deletes an account for good, with its sessions, links and activity log.
The owner is emailed a notice. There is no undo.
`,
	"reset-2fa": `Usage: latchkey user reset-2fa EMAIL

Turns off two-step verification for an account whose owner lost both the
authenticator app and the recovery codes: the secret, the recovery codes and
every remembered browser are forgotten, and the owner is emailed a notice.
Make sure first that the request really comes from the owner. They sign in
with the password or an emailed link and can turn it on again.
`,
	"promote": `Usage: latchkey user promote EMAIL

Makes an account an administrator: it can use the admin area (/admin/users)
from its next request, in every session. This is how the first
administrator is made. "latchkey user demote EMAIL" undoes it. The
account's activity log says the operator did it.
`,
	"demote": `Usage: latchkey user demote EMAIL

Makes an administrator an ordinary account again, from its next request in
every session. Demoting is done only here, never from the admin area.
The account's activity log says the operator did it.
`,
}

// userHelp returns the help asked for by "latchkey user [SUB] --help",
// "latchkey user help [SUB]" or a bare "latchkey user", without touching
// the database.
func userHelp(args []string) (string, bool) {
	if len(args) == 0 {
		return userUsage[""], true
	}
	isHelp := func(a string) bool { return a == "-h" || a == "-help" || a == "--help" || a == "help" }
	if isHelp(args[0]) {
		if len(args) > 1 {
			if text, ok := userUsage[args[1]]; ok {
				return text, true
			}
		}
		return userUsage[""], true
	}
	if _, known := userUsage[args[0]]; !known || args[0] == "" {
		return "", false
	}
	for _, a := range args[1:] {
		if isHelp(a) {
			return userUsage[args[0]], true
		}
	}
	return "", false
}

// userCommand runs "latchkey user …", the operator's tools for accounts.
func userCommand(ctx context.Context, cfg Config, acc *accounts.Service, args []string, out io.Writer) error {
	if len(args) == 0 {
		return errors.New("usage: latchkey user list|create|disable|enable|delete|reset-2fa|promote|demote (see latchkey user --help)")
	}
	sub, args := args[0], args[1:]
	switch sub {
	case "list":
		if len(args) != 0 {
			return errors.New("usage: latchkey user list")
		}
		users, err := acc.ListUsers(ctx)
		if err != nil {
			return err
		}
		w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "ID\tEMAIL\tNAME\tVERIFIED\tDISABLED\tROLE\tCREATED")
		for _, u := range users {
			fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", u.ID, u.Email, u.Name, yesNo(u.Verified()), yesNo(u.Disabled()),
				u.Role, u.CreatedAt.UTC().Format(time.DateOnly))
		}
		return w.Flush()
	case "create":
		fs := flag.NewFlagSet("user create", flag.ContinueOnError)
		fs.SetOutput(out)
		email := fs.String("email", "", "the account's email address (required)")
		name := fs.String("name", "", "the account's display name (required)")
		if err := fs.Parse(args); err != nil {
			return err
		}
		if *email == "" || *name == "" {
			return errors.New("usage: latchkey user create --email EMAIL --name NAME")
		}
		user, link, err := acc.CreateUserWithLink(ctx, *name, *email)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "created user %d <%s>\n", user.ID, user.Email)
		if !cfg.Production() {
			fmt.Fprintf(out, "sign-in link (valid %s): %s\n", cfg.TokenTTLLogin, link)
		} else {
			fmt.Fprintln(out, "they can sign in with an emailed link from the sign-in page")
		}
		return nil
	case "promote", "demote":
		if len(args) != 1 {
			return fmt.Errorf("usage: latchkey user %s EMAIL", sub)
		}
		role := db.RoleAdmin
		if sub == "demote" {
			role = db.RoleUser
		}
		user, err := acc.SetRole(ctx, args[0], role)
		if errors.Is(err, accounts.ErrNoAccount) {
			return fmt.Errorf("no account has the address %s", args[0])
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "%sd user %d <%s>: role %s\n", sub, user.ID, user.Email, role)
		return nil
	case "disable", "enable", "delete", "reset-2fa":
		if len(args) != 1 {
			return fmt.Errorf("usage: latchkey user %s EMAIL", sub)
		}
		user, err := acc.FindUser(ctx, args[0])
		if errors.Is(err, accounts.ErrNoAccount) {
			return fmt.Errorf("no account has the address %s", args[0])
		}
		if err != nil {
			return err
		}
		if sub == "reset-2fa" {
			// The owner asked for a way back in: a reset of nothing
			// would tell them it was done when it was not.
			on, err := acc.SecondFactorEnabled(ctx, user.ID)
			if err != nil {
				return err
			}
			if !on {
				return fmt.Errorf("user %d <%s> has no two-step verification turned on: nothing to reset", user.ID, user.Email)
			}
		}
		// The admin area's actions, with the operator as actor: the same
		// change, activity line and notice to the owner (each command is
		// named as its action).
		if err := acc.OperatorAct(accounts.WithOrigin(ctx, operatorOrigin), user.ID, accounts.AdminAction(sub)); err != nil {
			return err
		}
		if sub == "reset-2fa" {
			fmt.Fprintf(out, "turned off two-step verification for user %d <%s>\n", user.ID, user.Email)
			return nil
		}
		fmt.Fprintf(out, "%sd user %d <%s>\n", sub, user.ID, user.Email)
		return nil
	}
	return fmt.Errorf("unknown user command %q", sub)
}

// operatorOrigin is where the notices of operator commands say the change
// came from.
var operatorOrigin = accounts.Origin{UserAgent: "latchkey (operator command)", IP: "the server itself"}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
