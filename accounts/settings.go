package accounts

import (
	"context"
	"errors"
	"fmt"
	"time"

	"latchkey/auth"
	"latchkey/db"
	"latchkey/internal/timetext"
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
	// ErrEmailUnavailable: the new address has an account of its own at
	// the time of the confirmation.
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
	if err := checkName(name); err != nil {
		return fmt.Errorf("change name: %w", err)
	}
	err := s.DB.InTx(ctx, func(q *db.Queries) error {
		if err := q.SetName(ctx, userID, name, s.now()); err != nil {
			return err
		}
		return s.record(ctx, q, userID, entry{kind: KindNameChanged})
	})
	if err != nil {
		return fmt.Errorf("change name: %w", err)
	}
	return nil
}

// PeekEmailChange returns the new address an email-change link would move
// the signed-in user to, without using it. Another account's link is
// ErrInvalidToken, like a dead one: it stays unused for its owner.
func (s *Service) PeekEmailChange(ctx context.Context, user db.User, text string) (string, error) {
	t, err := s.peekToken(ctx, text, auth.PurposeChangeEmail)
	if err != nil {
		return "", err
	}
	if t.UserID != user.ID {
		return "", ErrInvalidToken
	}
	return t.Email, nil
}

// ListSessions is every signed-in session of the user, for /settings.
func (s *Service) ListSessions(ctx context.Context, userID int64) ([]db.UserSession, error) {
	list, err := s.DB.ListUserSessions(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("list sessions: %w", err)
	}
	return list, nil
}

// SessionsPerPage is how many of a user's other sessions one page of
// /settings lists. It is a product choice between two readers. The account
// page is read often, by everyone, and most people are signed in on two to
// four devices (a phone, a laptop, a work computer, a tablet): six others
// shows nearly everyone their whole list on the first page. The rare user
// looking for one old session among many pages with "Older sessions"; the
// list is most recently active first, so a session that matters is rarely
// far. The bound comes from cost: a listed session adds its row, its
// device's words, its form and some 650 bytes to the page, and issue 20
// wants the page of someone signed in on 10,000 browsers within 0.9 of
// everyone's. Measured (docs/PERFORMANCE.md, "Many sessions per user"),
// 20 a page gave 0.66 of it and 10 gave 0.83–0.87; about seven is the
// most that stays within 0.9 on this machine, and six leaves a margin.
const SessionsPerPage = 6

// SessionsPage is one page of /settings' sessions list: the sessions
// other than the current one, most recently seen first. It is not
// counted: counting 10,000 sessions cost more than showing a page of them,
// and the page's cost must not grow with them.
type SessionsPage struct {
	Others []db.UserSession
	// Page is the page shown (1 is the newest); More says whether an older
	// page follows.
	Page int
	More bool
}

// OtherSessions is page (1 first) of the user's sessions other than
// currentID. A page past the last, or not a page at all, shows the first.
func (s *Service) OtherSessions(ctx context.Context, userID int64, currentID string, page int) (SessionsPage, error) {
	// The bound keeps the offset far from overflowing.
	if page < 1 || page > 1_000_000 {
		page = 1
	}
	for {
		// One more than a page says whether another page follows.
		others, err := s.DB.OtherUserSessions(ctx, userID, currentID, SessionsPerPage+1, (page-1)*SessionsPerPage)
		if err != nil {
			return SessionsPage{}, fmt.Errorf("list sessions: %w", err)
		}
		if len(others) == 0 && page > 1 {
			page = 1
			continue
		}
		more := len(others) > SessionsPerPage
		return SessionsPage{Others: others[:min(len(others), SessionsPerPage)], Page: page, More: more}, nil
	}
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
// Whether newEmail already has an account is not looked at here. The
// request claims nothing, so it blocks nobody's signup; and everything it
// does (the link, the notice to the old address, what /settings shows
// afterwards) is the same for a free address and a taken one, so neither
// the page nor the old inbox tells a signed-in user who is registered. A
// taken address is refused when the link is used, by whoever holds that
// inbox. Over the new address's mail limit no link goes, silently, and
// /settings still shows the newest request (recordUnsentEmailChange).
func (s *Service) RequestEmailChange(ctx context.Context, user db.User, newEmail string, o Origin) error {
	newEmail = auth.NormalizeEmail(newEmail)
	if auth.SameEmail(newEmail, user.Email) {
		return ErrSameEmail
	}
	err := s.DB.InTx(ctx, func(q *db.Queries) error {
		allowed, err := s.mailAllowed(ctx, q, newEmail, false)
		if err != nil {
			return err
		}
		if allowed {
			err = s.issue(ctx, q, user, auth.PurposeChangeEmail, newEmail)
		} else {
			err = s.recordUnsentEmailChange(ctx, q, user, newEmail)
		}
		if err != nil {
			return err
		}
		return s.notify(ctx, q, user.Email, greeting(user, user.Email), "A change of your email address was requested",
			"Someone signed in to your account asked to change its email address to "+newEmail+
				". Nothing changes unless the link we sent to that address is used within "+timetext.Duration(s.TTL.For(auth.PurposeChangeEmail))+".", o)
	})
	if err != nil {
		return fmt.Errorf("request email change: %w", err)
	}
	s.mailQueued()
	return nil
}

// recordUnsentEmailChange is an email change whose link the new address's
// mail limit dropped. Asked again for the address already pending, it keeps
// the link already sent (a new token would retire it with nothing in its
// place). Asked for another address, it still makes that one the pending
// change, with a token nobody was sent: /settings must always show the
// newest request, because what fills an address's mail allowance differs
// with whether it has an account (a reset link goes only to an account),
// and a page that showed the older request instead would tell.
func (s *Service) recordUnsentEmailChange(ctx context.Context, q *db.Queries, user db.User, newEmail string) error {
	now := s.now()
	pending, err := q.PendingEmail(ctx, user.ID, string(auth.PurposeChangeEmail), now)
	if err != nil || auth.SameEmail(pending, newEmail) {
		return err
	}
	_, hash, err := auth.NewToken()
	if err != nil {
		return fmt.Errorf("make %s token: %w", auth.PurposeChangeEmail, err)
	}
	return q.CreateToken(ctx, hash, string(auth.PurposeChangeEmail), user.ID, newEmail, now,
		now.Add(s.TTL.For(auth.PurposeChangeEmail)))
}

// ConfirmEmailChange applies an email change with the link sent to the new
// address, for the signed-in user it was issued to, in the transaction that
// uses the link up. The new address is verified by that act; links sent to
// the old address stop working, and the old address is told. It returns the
// new address.
//
// When the new address has an account of its own by now (the request
// claimed nothing, so anyone may have signed up with it meanwhile), the
// answer is ErrEmailUnavailable and the account is left as it was, but the
// link is used up all the same: it can never succeed while that account
// exists, and a live one would keep /settings announcing a change that is
// not going to happen. The user starts again if the address comes free.
func (s *Service) ConfirmEmailChange(ctx context.Context, user db.User, token string, o Origin) (string, error) {
	var newEmail string
	taken := false
	_, err := s.consume(ctx, token, auth.PurposeChangeEmail, func(q *db.Queries, t db.Token, u db.User) error {
		if u.ID != user.ID {
			// Another account's link: leave it unused for its owner.
			return ErrInvalidToken
		}
		holder, err := q.UserByEmail(ctx, t.Email)
		switch {
		case err == nil && unconfirmedSignup(holder):
			// Someone signed the address up without ever proving the
			// inbox, which this link has just done: they keep nothing.
			if err := q.DeleteUser(ctx, holder.ID); err != nil {
				return err
			}
		case err == nil:
			taken = true
			return nil
		case !errors.Is(err, db.ErrNotFound):
			return err
		}
		if err := q.SetEmail(ctx, u.ID, t.Email, s.now()); err != nil {
			// ErrEmailTaken cannot happen after the look-up above, in
			// the one writer's transaction; it is an error like any other.
			return err
		}
		if err := q.DeleteUserTokens(ctx, u.ID, allPurposes...); err != nil {
			return err
		}
		newEmail = t.Email
		if err := s.record(ctx, q, u.ID, entry{kind: KindEmailChanged, detail: t.Email, origin: &o}); err != nil {
			return err
		}
		return s.notify(ctx, q, u.Email, greeting(u, u.Email), "Your email address was changed",
			"The email address of your "+s.appName()+" account was changed from "+u.Email+" to "+t.Email+
				". From now on, sign-in links and notices go to the new address, and this one can no longer be used to sign in.", o)
	})
	if err != nil {
		return "", err
	}
	if taken {
		return "", ErrEmailUnavailable
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
	// A new password forgets every remembered browser: whoever had the old
	// one may have had one remembered too.
	if err := q.DeleteRememberedDevices(ctx, userID); err != nil {
		return err
	}
	return q.DeleteUserTokens(ctx, userID, string(auth.PurposeLogin), string(auth.PurposeResetPassword))
}

// ChangePassword sets a new password (policy as at signup) for the
// signed-in user. Every other session ends and outstanding sign-in and
// reset links stop working; the caller renews this session's token.
func (s *Service) ChangePassword(ctx context.Context, user db.User, sessionID, password string, o Origin) error {
	if err := s.CheckPasswordStrength(ctx, password, user.Name, user.Email); err != nil {
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
		if err := s.record(ctx, q, user.ID, entry{kind: KindPasswordChanged, origin: &o}); err != nil {
			return err
		}
		return s.notify(ctx, q, user.Email, greeting(user, user.Email), "Your password was changed", what, o)
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
	var n int64
	err := s.DB.InTx(ctx, func(q *db.Queries) error {
		var err error
		if target == "all" {
			n, err = q.DeleteOtherUserSessions(ctx, userID, currentID)
		} else if err = q.DeleteUserSession(ctx, userID, target); err == nil {
			n = 1
		} else if errors.Is(err, db.ErrNotFound) {
			err = nil
		}
		if err != nil || n == 0 {
			return err
		}
		detail := "one session"
		if target == "all" {
			detail = "every other session"
		}
		return s.record(ctx, q, userID, entry{kind: KindSessionEnded, detail: detail})
	})
	if err != nil {
		return 0, fmt.Errorf("revoke sessions: %w", err)
	}
	return n, nil
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
		if err := s.notifyEmail(ctx, q, noAccount, user.Email, greeting(user, user.Email), "Your "+s.appName()+" account was deleted",
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
