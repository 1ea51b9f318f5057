package accounts

import (
	"context"
	"errors"
	"fmt"
	"time"

	"latchkey/auth"
	"latchkey/db"
	"latchkey/mail"
)

// Errors of the admin area.
var (
	// ErrSelf: an administrator tried to disable, sign out, reset or delete
	// their own account from the admin area (their own settings do that).
	ErrSelf = errors.New("an administrator cannot do this to their own account here")
	// ErrNotAdmin: the acting account is not an administrator (any more).
	ErrNotAdmin = errors.New("not an administrator")
)

// SetRole gives the account with this address role (db.RoleUser or
// db.RoleAdmin), for "latchkey user promote|demote": demoting is done
// there only. The role counts at the next request of every session,
// which reads it with the session record. A change is written to the
// account's log with the operator as actor, in the same transaction; a
// role the account has already changes nothing and writes nothing.
func (s *Service) SetRole(ctx context.Context, email, role string) (db.User, error) {
	if role != db.RoleUser && role != db.RoleAdmin {
		return db.User{}, fmt.Errorf("set role: unknown role %q", role)
	}
	u, err := s.FindUser(ctx, email)
	if err != nil {
		return db.User{}, err
	}
	err = s.DB.InTx(ctx, func(q *db.Queries) error {
		if err := q.SetRole(ctx, u.ID, role, s.now()); err != nil {
			return err
		}
		if u.Role == role {
			return nil
		}
		return s.record(ctx, q, u.ID, entry{kind: KindRoleChanged, detail: role, operator: true})
	})
	if err != nil {
		return db.User{}, fmt.Errorf("set role: %w", err)
	}
	u.Role = role
	return u, nil
}

// UserSearchPageSize is how many accounts a page of the admin search lists.
const UserSearchPageSize = 50

// maxSearchKey bounds the search's key: no address or name has a longer
// one, so a longer query matches nothing and is not sent to the database.
const maxSearchKey = 1024

// SearchUsers is page (from 1) of the accounts whose address or name starts
// with query, case aside (% and _ are letters like any other), and whether
// there is a next page. Any query and any page answer: a page out of range
// is empty.
func (s *Service) SearchUsers(ctx context.Context, query string, page int) ([]db.User, bool, error) {
	key := auth.SearchKey(query)
	if page < 1 || page > MaxListPage || len(key) > maxSearchKey {
		return nil, false, nil
	}
	users, err := s.DB.SearchUsers(ctx, key, UserSearchPageSize+1, (page-1)*UserSearchPageSize)
	if err != nil {
		return nil, false, fmt.Errorf("search users: %w", err)
	}
	more := len(users) > UserSearchPageSize
	if more {
		users = users[:UserSearchPageSize]
	}
	return users, more, nil
}

// AdminAccount is what the admin area shows of one account.
type AdminAccount struct {
	User        db.User
	LastSignIn  time.Time // zero: never
	Sessions    []db.UserSession
	Connections []Connection
	// SecondFactor and Passkeys come from secondFactorStatus.
	SecondFactor bool
	Passkeys     int
	Activity     []ActivityLine
}

// adminActivityLines is how much of an account's log its admin page shows.
const adminActivityLines = 20

// AdminAccountByID is the account with this id as the admin area shows it,
// or ErrNoAccount.
func (s *Service) AdminAccountByID(ctx context.Context, id int64) (AdminAccount, error) {
	u, err := s.DB.UserByID(ctx, id)
	if errors.Is(err, db.ErrNotFound) {
		return AdminAccount{}, ErrNoAccount
	}
	if err != nil {
		return AdminAccount{}, fmt.Errorf("admin account: %w", err)
	}
	a := AdminAccount{User: u}
	if a.LastSignIn, err = s.DB.LastActivityOf(ctx, id, string(KindSignIn)); err != nil {
		return AdminAccount{}, fmt.Errorf("admin account: %w", err)
	}
	if a.Sessions, err = s.ListSessions(ctx, id); err != nil {
		return AdminAccount{}, err
	}
	if a.Connections, err = s.ListConnections(ctx, id); err != nil {
		return AdminAccount{}, err
	}
	if a.SecondFactor, a.Passkeys, err = s.secondFactorStatus(ctx, id); err != nil {
		return AdminAccount{}, fmt.Errorf("admin account: %w", err)
	}
	if a.Activity, _, err = s.UserActivity(ctx, id, 1); err != nil {
		return AdminAccount{}, err
	}
	if len(a.Activity) > adminActivityLines {
		a.Activity = a.Activity[:adminActivityLines]
	}
	return a, nil
}

// secondFactorStatus is whether the account has the authenticator app on
// and how many passkeys it has: the one place the admin area asks.
func (s *Service) secondFactorStatus(ctx context.Context, userID int64) (on bool, passkeys int, err error) {
	if on, err = s.SecondFactorEnabled(ctx, userID); err != nil {
		return false, 0, err
	}
	keys, err := s.ListPasskeys(ctx, userID)
	return on, len(keys), err
}

// AdminAction is what an administrator does to an account from the admin
// area, or the operator from the command line (OperatorAct).
type AdminAction string

// The admin area's actions.
const (
	ActionDisable            AdminAction = "disable"
	ActionEnable             AdminAction = "enable"
	ActionSignOut            AdminAction = "signout"
	ActionReset2FA           AdminAction = "reset-2fa"
	ActionResendConfirmation AdminAction = "resend-confirmation"
	ActionDelete             AdminAction = "delete"
)

// AdminActions are the actions, in the order the account page offers them.
var AdminActions = []AdminAction{ActionDisable, ActionEnable, ActionSignOut, ActionReset2FA, ActionResendConfirmation, ActionDelete}

// Errors of Act and OperatorAct.
var (
	// ErrUnknownAction: no such admin action.
	ErrUnknownAction = errors.New("unknown admin action")
	// ErrAlreadyConfirmed: a new confirmation link was asked for an
	// account whose address is confirmed; nothing was sent.
	ErrAlreadyConfirmed = errors.New("the address is already confirmed")
	// ErrMailLimit: the address has had its MailLimit of links in the
	// MailWindow, so no new one was made. Only an administrator is told:
	// the public forms stay silent so as not to reveal accounts.
	ErrMailLimit = errors.New("the address has had too many emails for now")
)

// actor is who acts on an account from outside it: an administrator from
// the admin area, or the operator at the command line.
type actor struct {
	admin    db.User
	operator bool
}

// entry is a line of the log with this actor.
func (a actor) entry(kind ActivityKind) entry {
	return entry{kind: kind, actor: a.admin, operator: a.operator}
}

// Act does action to the account targetID for the administrator admin (see
// act). admin acting on themself is ErrSelf. The caller has checked the
// sudo window.
func (s *Service) Act(ctx context.Context, admin db.User, targetID int64, action AdminAction) error {
	if !admin.IsAdmin() {
		return ErrNotAdmin
	}
	if admin.ID == targetID {
		return ErrSelf
	}
	return s.act(ctx, actor{admin: admin}, targetID, action)
}

// OperatorAct is Act for "latchkey user disable|enable|delete|reset-2fa
// EMAIL": the same change and notice, written to the log with the operator
// as actor. The notice names where it came from by ctx's Origin.
func (s *Service) OperatorAct(ctx context.Context, targetID int64, action AdminAction) error {
	return s.act(ctx, actor{operator: true}, targetID, action)
}

// act is the one place each action is done, for the admin area and the
// command line alike: the change, its line of the activity log (by as
// actor) and the notice the user would get had they done it themself, in
// one transaction. An account that does not exist is ErrNoAccount.
func (s *Service) act(ctx context.Context, by actor, targetID int64, action AdminAction) error {
	app := s.appName()
	o := originOf(ctx)
	err := s.DB.InTx(ctx, func(q *db.Queries) error {
		u, err := q.UserByID(ctx, targetID)
		if errors.Is(err, db.ErrNotFound) {
			return ErrNoAccount
		}
		if err != nil {
			return err
		}
		notice := func(subject, what string) error {
			return s.notify(ctx, q, u.Email, greeting(u, u.Email), subject, what+" If you have questions, reply to this email.", o)
		}
		switch action {
		case ActionDisable:
			if err := s.disable(ctx, q, u.ID); err != nil {
				return err
			}
			if err := s.record(ctx, q, u.ID, by.entry(KindAccountDisabled)); err != nil {
				return err
			}
			return notice("Your "+app+" account was disabled",
				"An administrator disabled your "+app+" account and signed out every session. It can't be used to sign in until it is enabled again.")
		case ActionEnable:
			if err := q.SetDisabled(ctx, u.ID, false, s.now()); err != nil {
				return err
			}
			if err := s.record(ctx, q, u.ID, by.entry(KindAccountEnabled)); err != nil {
				return err
			}
			return notice("Your "+app+" account was enabled", "An administrator enabled your "+app+" account again: you can sign in.")
		case ActionSignOut:
			if err := s.endEverySession(ctx, q, u.ID); err != nil {
				return err
			}
			if err := s.record(ctx, q, u.ID, by.entry(KindSignedOutAll)); err != nil {
				return err
			}
			return notice("You were signed out of "+app+" everywhere",
				"An administrator signed out every session of your "+app+" account. Sign in again to go on.")
		case ActionReset2FA:
			if err := s.resetSecondFactor(ctx, q, u.ID); err != nil {
				return err
			}
			if err := s.record(ctx, q, u.ID, by.entry(KindSecondFactorReset)); err != nil {
				return err
			}
			return notice("The second factor of your "+app+" account was turned off",
				"An administrator turned off the second factor of your "+app+" account. Sign in with your password or an emailed link, and turn it on again in your settings.")
		case ActionResendConfirmation:
			switch {
			case u.Verified():
				return ErrAlreadyConfirmed
			case u.Disabled():
				// Disabling retired its links; a new one could not be used.
				return ErrDisabled
			}
			// issue drops a link over the limit silently, as the public
			// forms must; the administrator is told instead.
			ok, err := s.mailAllowed(ctx, q, u.Email, false)
			if err != nil {
				return err
			}
			if !ok {
				return ErrMailLimit
			}
			if err := s.issueConfirmation(ctx, q, u); err != nil {
				return err
			}
			// The link is the message: no notice besides it.
			return s.record(ctx, q, u.ID, by.entry(KindConfirmationResent))
		case ActionDelete:
			noAccount := func(e mail.Email) mail.Email {
				e.Button, e.Link = "", ""
				e.Footer = "If you think this is a mistake, reply to this email."
				return e
			}
			if err := s.notifyEmail(ctx, q, noAccount, u.Email, greeting(u, u.Email), "Your "+app+" account was deleted",
				"An administrator deleted your "+app+" account and everything in it, and every session was signed out.", o); err != nil {
				return err
			}
			if err := q.DeleteUser(ctx, u.ID); err != nil {
				return err
			}
			if by.operator {
				// The account's own log went with it, and the operator has
				// none: nothing user-visible is left to write. The command
				// line's output is the record.
				return nil
			}
			// The deletion is kept on the administrator's own log.
			return s.record(ctx, q, by.admin.ID, entry{kind: KindAccountDeleted, detail: u.Email, actor: by.admin})
		}
		return ErrUnknownAction
	})
	if err != nil {
		for _, known := range []error{ErrNoAccount, ErrUnknownAction, ErrAlreadyConfirmed, ErrDisabled, ErrMailLimit} {
			if errors.Is(err, known) {
				return err
			}
		}
		return fmt.Errorf("admin %s: %w", action, err)
	}
	s.mailQueued()
	return nil
}

// resetSecondFactor turns the account's second factor off in q's
// transaction: the secret, the recovery codes and the remembered browsers
// go. Passkeys stay: they are the user's own way in, and the admin area
// shows how many there are.
func (s *Service) resetSecondFactor(ctx context.Context, q *db.Queries, userID int64) error {
	_, err := q.DeleteSecondFactor(ctx, userID)
	return err
}

// endEverySession ends every session of the user in q's transaction:
// browsers, and token sign-ins, which are sessions like any other
// (DESIGN.md, "API").
func (s *Service) endEverySession(ctx context.Context, q *db.Queries, userID int64) error {
	_, err := q.DeleteOtherUserSessions(ctx, userID, "")
	return err
}
