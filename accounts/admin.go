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
// which reads it with the session record.
func (s *Service) SetRole(ctx context.Context, email, role string) (db.User, error) {
	if role != db.RoleUser && role != db.RoleAdmin {
		return db.User{}, fmt.Errorf("set role: unknown role %q", role)
	}
	u, err := s.FindUser(ctx, email)
	if err != nil {
		return db.User{}, err
	}
	if err := s.DB.SetRole(ctx, u.ID, role, s.now()); err != nil {
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

// resetSecondFactor turns the account's second factor off in q's
// transaction, as "latchkey user reset-2fa" does: the secret, the recovery
// codes and the remembered browsers go. Passkeys stay: they are the
// user's own way in, and the admin area shows how many there are.
func (s *Service) resetSecondFactor(ctx context.Context, q *db.Queries, userID int64) error {
	_, err := q.DeleteSecondFactor(ctx, userID)
	return err
}

// endEverySession ends every session of the user in q's transaction:
// browsers, and token sign-ins, which are sessions like any other
// (DESIGN.md, "API"; the API's tokens add their own deletion here at the
// merge if they keep them elsewhere).
func (s *Service) endEverySession(ctx context.Context, q *db.Queries, userID int64) error {
	_, err := q.DeleteOtherUserSessions(ctx, userID, "")
	return err
}

// AdminAction is what an administrator does to an account from the admin
// area.
type AdminAction string

// The admin area's actions.
const (
	ActionDisable  AdminAction = "disable"
	ActionEnable   AdminAction = "enable"
	ActionSignOut  AdminAction = "signout"
	ActionReset2FA AdminAction = "reset-2fa"
	ActionDelete   AdminAction = "delete"
)

// AdminActions are the actions, in the order the account page offers them.
var AdminActions = []AdminAction{ActionDisable, ActionEnable, ActionSignOut, ActionReset2FA, ActionDelete}

// ErrUnknownAction: no such admin action.
var ErrUnknownAction = errors.New("unknown admin action")

// Act does action to the account targetID for the administrator admin: the
// change, its line of the activity log (the administrator as actor) and
// the notice the user would get had they done it themself, in one
// transaction. admin acting on themself is ErrSelf; an account that does
// not exist is ErrNoAccount. The caller has checked the sudo window.
func (s *Service) Act(ctx context.Context, admin db.User, targetID int64, action AdminAction) error {
	if !admin.IsAdmin() {
		return ErrNotAdmin
	}
	if admin.ID == targetID {
		return ErrSelf
	}
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
		by := entry{actor: admin}
		notice := func(subject, what string) error {
			return s.notify(ctx, q, u.Email, greeting(u, u.Email), subject, what+" If you have questions, reply to this email.", o)
		}
		switch action {
		case ActionDisable:
			if err := q.SetDisabled(ctx, u.ID, true, s.now()); err != nil {
				return err
			}
			if err := s.endEverySession(ctx, q, u.ID); err != nil {
				return err
			}
			if err := q.DeleteUserTokens(ctx, u.ID, allPurposes...); err != nil {
				return err
			}
			by.kind = KindAccountDisabled
			if err := s.record(ctx, q, u.ID, by); err != nil {
				return err
			}
			return notice("Your "+app+" account was disabled",
				"An administrator disabled your "+app+" account and signed out every session. It can't be used to sign in until it is enabled again.")
		case ActionEnable:
			if err := q.SetDisabled(ctx, u.ID, false, s.now()); err != nil {
				return err
			}
			by.kind = KindAccountEnabled
			if err := s.record(ctx, q, u.ID, by); err != nil {
				return err
			}
			return notice("Your "+app+" account was enabled", "An administrator enabled your "+app+" account again: you can sign in.")
		case ActionSignOut:
			if err := s.endEverySession(ctx, q, u.ID); err != nil {
				return err
			}
			by.kind = KindSignedOutAll
			if err := s.record(ctx, q, u.ID, by); err != nil {
				return err
			}
			return notice("You were signed out of "+app+" everywhere",
				"An administrator signed out every session of your "+app+" account. Sign in again to go on.")
		case ActionReset2FA:
			if err := s.resetSecondFactor(ctx, q, u.ID); err != nil {
				return err
			}
			by.kind = KindSecondFactorReset
			if err := s.record(ctx, q, u.ID, by); err != nil {
				return err
			}
			return notice("The second factor of your "+app+" account was reset",
				"An administrator turned off the second factor of your "+app+" account. Sign in with your password or an emailed link, and turn it on again in your settings.")
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
			// The account's own log went with it: the deletion is kept on
			// the administrator's.
			return s.record(ctx, q, admin.ID, entry{kind: KindAccountDeleted, detail: u.Email, actor: admin})
		}
		return ErrUnknownAction
	})
	if err != nil {
		if errors.Is(err, ErrNoAccount) || errors.Is(err, ErrUnknownAction) {
			return err
		}
		return fmt.Errorf("admin %s: %w", action, err)
	}
	s.mailQueued()
	return nil
}
