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

// Errors of the settings page.
var (
	// ErrPasswordRequired: the change needs the current password, because
	// the session's sign-in is not recent.
	ErrPasswordRequired = errors.New("current password required")
	// ErrSignInAgain: the change needs a recent sign-in, and the account has
	// no password to offer instead.
	ErrSignInAgain = errors.New("recent sign-in required")
	// ErrSameEmail: the new address is the one the account already has.
	ErrSameEmail = errors.New("that is already the account's address")
	// ErrEmailUnavailable: the new address got an account of its own
	// between the request and the confirmation.
	ErrEmailUnavailable = errors.New("address now belongs to another account")
)

// ConfirmIdentity decides whether the signed-in user may make a sensitive
// change now ("sudo mode", as in phx.gen.auth): a password, when one is
// given, must be right (and then counts as a fresh sign-in); without one,
// a sign-in of this session within window is enough. Otherwise the answer
// is ErrPasswordRequired, or ErrSignInAgain for an account that has no
// password (signed up by link).
func (s *Service) ConfirmIdentity(ctx context.Context, user db.User, sess db.UserSession, password string, window time.Duration) error {
	if password != "" {
		if err := s.VerifyPassword(ctx, user, password); err != nil {
			return err
		}
		if err := s.DB.MarkSessionAuthenticated(ctx, sess.ID, s.now()); err != nil {
			return fmt.Errorf("confirm identity: %w", err)
		}
		return nil
	}
	if s.RecentlySignedIn(sess, window) {
		return nil
	}
	if user.HasPassword() {
		return ErrPasswordRequired
	}
	return ErrSignInAgain
}

// RecentlySignedIn reports whether the session's last sign-in is within
// window, so sensitive changes need no password.
func (s *Service) RecentlySignedIn(sess db.UserSession, window time.Duration) bool {
	return s.now().Sub(sess.AuthenticatedAt) < window
}

// ChangeName sets the user's display name.
func (s *Service) ChangeName(ctx context.Context, userID int64, name string) error {
	if err := s.DB.SetName(ctx, userID, name, s.now()); err != nil {
		return fmt.Errorf("change name: %w", err)
	}
	return nil
}

// PendingEmailChange is the address an email change waits to be confirmed
// at, or "".
func (s *Service) PendingEmailChange(ctx context.Context, userID int64) (string, error) {
	return s.DB.PendingEmail(ctx, userID, string(auth.PurposeChangeEmail), s.now())
}

// RequestEmailChange starts moving the account to newEmail: a link goes to
// the new address, and the old one is told. Nothing changes until the link
// is followed (ConfirmEmailChange). Only the newest request counts.
//
// An address that already has an account, or that another account is
// waiting to confirm, gets no link; the caller answers as if it had, so the
// page does not tell who is registered, and only the old inbox (the owner's)
// learns why.
func (s *Service) RequestEmailChange(ctx context.Context, user db.User, newEmail string, o Origin) error {
	newEmail = auth.NormalizeEmail(newEmail)
	if equalFoldEmail(newEmail, user.Email) {
		return ErrSameEmail
	}
	now := s.now()
	err := s.DB.InTx(ctx, func(q *db.Queries) error {
		available, err := s.emailAvailable(ctx, q, newEmail, user.ID, now)
		if err != nil {
			return err
		}
		if !available {
			// The new request replaces any earlier one, though it sends no
			// link. (An available address gets its link through issue,
			// whose new token retires the old one only when the mail goes.)
			if err := q.DeleteUserTokens(ctx, user.ID, string(auth.PurposeChangeEmail)); err != nil {
				return err
			}
			s.Log.InfoContext(ctx, "email change refused: address unavailable", "user_id", user.ID)
			return s.notify(ctx, q, user.Email, user.Name, "Your email address was not changed",
				"Someone signed in to your account asked to change its email address to "+newEmail+
					", but that address can't be used: it belongs to another account, or another account is waiting to confirm it. Nothing has changed.", o)
		}
		if err := s.issue(ctx, q, user, auth.PurposeChangeEmail, newEmail); err != nil {
			return err
		}
		return s.notify(ctx, q, user.Email, user.Name, "A change of your email address was requested",
			"Someone signed in to your account asked to change its email address to "+newEmail+
				". Nothing changes unless the link we sent to that address is used within "+mail.Lasts(s.TTL.For(auth.PurposeChangeEmail))+".", o)
	})
	if err != nil {
		return fmt.Errorf("request email change: %w", err)
	}
	s.mailQueued()
	return nil
}

// emailAvailable reports whether an address is free for this user: no
// account has it, and no other account's pending change has claimed it.
func (s *Service) emailAvailable(ctx context.Context, q *db.Queries, email string, userID int64, now time.Time) (bool, error) {
	_, err := q.UserByEmail(ctx, email)
	if err == nil {
		return false, nil
	}
	if !errors.Is(err, db.ErrNotFound) {
		return false, err
	}
	claimed, err := q.EmailClaimed(ctx, email, string(auth.PurposeChangeEmail), userID, now)
	return !claimed, err
}

// ConfirmEmailChange applies an email change with the link sent to the new
// address, for the signed-in user it was issued to, in the transaction that
// uses the link up. The new address is verified by that act; links sent to
// the old address stop working, and the old address is told. It returns the
// new address.
func (s *Service) ConfirmEmailChange(ctx context.Context, user db.User, token string, o Origin) (string, error) {
	var newEmail string
	_, err := s.consume(ctx, token, auth.PurposeChangeEmail, func(q *db.Queries, t db.Token, u db.User) error {
		if u.ID != user.ID {
			// Another account's link: leave it unused for its owner.
			return ErrInvalidToken
		}
		err := q.SetEmail(ctx, u.ID, t.Email, s.now())
		if errors.Is(err, db.ErrEmailTaken) {
			return ErrEmailUnavailable
		}
		if err != nil {
			return err
		}
		if err := q.DeleteUserTokens(ctx, u.ID, allPurposes...); err != nil {
			return err
		}
		newEmail = t.Email
		return s.notify(ctx, q, u.Email, u.Name, "Your email address was changed",
			"The email address of your "+s.appName()+" account was changed from "+u.Email+" to "+t.Email+
				". From now on, sign-in links and notices go to the new address, and this one can no longer be used to sign in.", o)
	})
	if err != nil {
		return "", err
	}
	s.mailQueued()
	return newEmail, nil
}

// setPassword stores a new password hash and does what must go with it, in
// q's transaction: every session of the user ends except keepSessionID ("" =
// none), and sign-in and reset links stop working.
func (s *Service) setPassword(ctx context.Context, q *db.Queries, userID int64, hash, keepSessionID string) error {
	if err := q.SetPasswordHash(ctx, userID, hash, s.now()); err != nil {
		return err
	}
	if _, err := q.DeleteOtherUserSessions(ctx, userID, keepSessionID); err != nil {
		return err
	}
	return q.DeleteUserTokens(ctx, userID, string(auth.PurposeLogin), string(auth.PurposeResetPassword))
}

// ChangePassword sets a new password (policy as at signup) for the
// signed-in user. Every other session ends and outstanding sign-in and
// reset links stop working; the caller renews this session's token.
func (s *Service) ChangePassword(ctx context.Context, user db.User, sessionID, password string, o Origin) error {
	if err := s.CheckPassword(password, user.Name, user.Email); err != nil {
		return err
	}
	// Hash outside the transaction: the single writer must not wait on argon2id.
	hash, err := s.Hasher.Hash(ctx, password)
	if err != nil {
		return fmt.Errorf("change password: %w", err)
	}
	what := "The password of your " + s.appName() + " account was changed, and every other session was signed out."
	if !user.HasPassword() {
		what = "A password was set for your " + s.appName() + " account, and every other session was signed out."
	}
	err = s.DB.InTx(ctx, func(q *db.Queries) error {
		if err := s.setPassword(ctx, q, user.ID, hash, sessionID); err != nil {
			return err
		}
		return s.notify(ctx, q, user.Email, user.Name, "Your password was changed", what, o)
	})
	if err != nil {
		return fmt.Errorf("change password: %w", err)
	}
	s.mailQueued()
	return nil
}

// RevokeSession ends sessions of the user: target "all" ends every one but
// currentID; otherwise the one with id target, if it is the user's (another
// user's id matches nothing). It returns how many ended.
func (s *Service) RevokeSession(ctx context.Context, userID int64, currentID, target string) (int64, error) {
	if target == "all" {
		n, err := s.DB.DeleteOtherUserSessions(ctx, userID, currentID)
		if err != nil {
			return 0, fmt.Errorf("revoke sessions: %w", err)
		}
		return n, nil
	}
	err := s.DB.DeleteUserSession(ctx, userID, target)
	if errors.Is(err, db.ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("revoke session: %w", err)
	}
	return 1, nil
}

// DeleteAccount deletes the user; their sessions and tokens go with the row
// (ON DELETE CASCADE). The notice is queued first, in the same transaction:
// the outbox does not belong to the user, so it survives them.
func (s *Service) DeleteAccount(ctx context.Context, user db.User, o Origin) error {
	err := s.DB.InTx(ctx, func(q *db.Queries) error {
		noAccount := func(e mail.Email) mail.Email {
			e.Button, e.Link = "", ""
			e.Footer = "If this wasn't you, someone had access to your account: secure this mailbox, and reply to this email so we can help."
			return e
		}
		if err := s.notifyEmail(ctx, q, noAccount, user.Email, user.Name, "Your "+s.appName()+" account was deleted",
			"Your "+s.appName()+" account and everything in it were deleted, and every session was signed out.", o); err != nil {
			return err
		}
		return q.DeleteUser(ctx, user.ID)
	})
	if err != nil {
		return fmt.Errorf("delete account: %w", err)
	}
	s.mailQueued()
	return nil
}
