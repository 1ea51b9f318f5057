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

// userCommand runs "latchkey user …", the operator's tools for accounts.
func userCommand(ctx context.Context, cfg Config, acc *accounts.Service, args []string, out io.Writer) error {
	if len(args) == 0 {
		return errors.New("usage: latchkey user list|create|disable|enable|delete (see latchkey help)")
	}
	sub, args := args[0], args[1:]
	switch sub {
	case "list":
		users, err := acc.DB.ListUsers(ctx)
		if err != nil {
			return err
		}
		w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "ID\tEMAIL\tNAME\tVERIFIED\tDISABLED\tCREATED")
		for _, u := range users {
			fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%s\n", u.ID, u.Email, u.Name, yesNo(u.Verified()), yesNo(u.Disabled()),
				u.CreatedAt.UTC().Format(time.DateOnly))
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
	case "disable", "enable", "delete":
		if len(args) != 1 {
			return fmt.Errorf("usage: latchkey user %s EMAIL", sub)
		}
		user, err := acc.DB.UserByEmail(ctx, args[0])
		if errors.Is(err, db.ErrNotFound) {
			return fmt.Errorf("no account has the address %s", args[0])
		}
		if err != nil {
			return err
		}
		switch sub {
		case "disable":
			err = acc.SetDisabled(ctx, user.ID, true)
		case "enable":
			err = acc.SetDisabled(ctx, user.ID, false)
		case "delete":
			err = acc.DB.DeleteUser(ctx, user.ID)
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "%sd user %d <%s>\n", sub, user.ID, user.Email)
		return nil
	}
	return fmt.Errorf("unknown user command %q", sub)
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
