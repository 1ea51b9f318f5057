package accounts

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"latchkey/auth"
	"latchkey/db"
	"latchkey/mail"
)

// linkPaths are where each purpose's link lands.
var linkPaths = map[auth.Purpose]string{
	auth.PurposeLogin:         "/login/email/confirm",
	auth.PurposeVerifyEmail:   "/verify-email",
	auth.PurposeResetPassword: "/reset-password",
	auth.PurposeChangeEmail:   "/settings/email/confirm",
}

// issue makes a token of purpose p for user, sent to address to, and queues
// the email carrying it, inside q's transaction. When the address is over
// its mail limit nothing is made: a new token would retire the one already
// in the inbox without a replacement arriving.
func (s *Service) issue(ctx context.Context, q *db.Queries, user db.User, p auth.Purpose, to string) error {
	if ok, err := s.mailAllowed(ctx, q, to, false); err != nil || !ok {
		return err
	}
	now := s.now()
	text, hash, err := auth.NewToken()
	if err != nil {
		return fmt.Errorf("make %s token: %w", p, err)
	}
	ttl := s.TTL.For(p)
	if err := q.CreateToken(ctx, hash, string(p), user.ID, to, now, now.Add(ttl)); err != nil {
		return err
	}
	link := s.link(linkPaths[p], url.Values{"token": {text}})
	var e mail.Email
	switch p {
	case auth.PurposeLogin:
		e = s.messages().LoginLink(to, greeting(user, to), link, ttl)
	case auth.PurposeVerifyEmail:
		e = s.messages().VerifyEmail(to, link, ttl)
	case auth.PurposeResetPassword:
		e = s.messages().ResetPassword(to, greeting(user, to), link, ttl)
	case auth.PurposeChangeEmail:
		e = s.messages().ConfirmEmailChange(to, link, ttl)
	default:
		return fmt.Errorf("no email for purpose %q", p)
	}
	return s.enqueue(ctx, q, e, false)
}

// deliver issues a link of purpose p to the account with this address, if
// there is one and it is enabled. A sign-in link to an address without an
// account is issued too, for no account: following it creates one
// (ConsumeLoginLink). Either way it returns nil: the caller's page must not
// reveal which addresses have accounts.
func (s *Service) deliver(ctx context.Context, email string, p auth.Purpose) error {
	email = auth.NormalizeEmail(email)
	queued := false
	err := s.DB.InTx(ctx, func(q *db.Queries) error {
		user, err := q.UserByEmail(ctx, email)
		switch {
		case errors.Is(err, db.ErrNotFound) && p == auth.PurposeLogin:
			queued = true
			return s.issue(ctx, q, db.User{Email: email}, p, email)
		case errors.Is(err, db.ErrNotFound), err == nil && user.Disabled():
			return nil
		case err != nil:
			return err
		}
		queued = true
		return s.issue(ctx, q, user, p, user.Email)
	})
	if err != nil {
		return fmt.Errorf("deliver %s link: %w", p, err)
	}
	if queued {
		s.mailQueued()
	}
	return nil
}

// DeliverLoginLink emails a sign-in link to this address. An address
// without an account gets one too: sign-in and sign-up are one step, and
// the account is made only when the link is followed.
func (s *Service) DeliverLoginLink(ctx context.Context, email string) error {
	return s.deliver(ctx, email, auth.PurposeLogin)
}

// RequestPasswordReset emails a reset link to the account with this address.
func (s *Service) RequestPasswordReset(ctx context.Context, email string) error {
	return s.deliver(ctx, email, auth.PurposeResetPassword)
}

// ResendVerification sends a new confirmation link to a user whose address
// is not confirmed yet (within the mail limit).
func (s *Service) ResendVerification(ctx context.Context, user db.User) error {
	if user.Verified() {
		return nil
	}
	if err := s.resendConfirmation(ctx, user); err != nil {
		return fmt.Errorf("resend verification: %w", err)
	}
	return nil
}

func (s *Service) resendConfirmation(ctx context.Context, user db.User) error {
	if err := s.DB.InTx(ctx, func(q *db.Queries) error { return s.issueConfirmation(ctx, q, user) }); err != nil {
		return err
	}
	s.mailQueued()
	return nil
}

// issueConfirmation queues a new confirmation link to user's address in
// q's transaction, retiring the one sent before (within the mail limit):
// the user's own "send it again", and the admin area's.
func (s *Service) issueConfirmation(ctx context.Context, q *db.Queries, user db.User) error {
	return s.issue(ctx, q, user, auth.PurposeVerifyEmail, user.Email)
}

// LoginLink is what the page of a sign-in link shows before it is used:
// the address it signs in as, and whether following it makes a new account
// (no account has the address, or one registered by a signup that was never
// confirmed, which the owner of the inbox takes over), so the page asks for
// a name.
type LoginLink struct {
	Email      string
	NewAccount bool
}

// PeekLoginLink returns what a live sign-in link stands for, without using it.
func (s *Service) PeekLoginLink(ctx context.Context, text string) (LoginLink, error) {
	t, err := s.peekToken(ctx, text, auth.PurposeLogin)
	if err != nil {
		return LoginLink{}, err
	}
	l := LoginLink{Email: t.Email, NewAccount: true}
	u, err := s.DB.UserByEmail(ctx, t.Email)
	switch {
	case errors.Is(err, db.ErrNotFound):
	case err != nil:
		return LoginLink{}, err
	default:
		// An account someone registered but never confirmed is the
		// inbox owner's to take over, under a name of their own.
		l.NewAccount = unconfirmedSignup(u)
	}
	return l, nil
}

// SignupLink is what the page of a confirmation link shows before it is
// used: the address being confirmed.
type SignupLink struct {
	Email string
}

// PeekSignupLink returns what a live confirmation link stands for.
func (s *Service) PeekSignupLink(ctx context.Context, text string) (SignupLink, error) {
	t, err := s.peekToken(ctx, text, auth.PurposeVerifyEmail)
	if err != nil {
		return SignupLink{}, err
	}
	return SignupLink{Email: t.Email}, nil
}

// PeekResetLink checks that a reset link is live, without using it.
func (s *Service) PeekResetLink(ctx context.Context, text string) error {
	_, err := s.peekToken(ctx, text, auth.PurposeResetPassword)
	return err
}

// peekToken returns what a live token stands for, without using it.
func (s *Service) peekToken(ctx context.Context, text string, p auth.Purpose) (db.Token, error) {
	hash, err := auth.ParseToken(text)
	if err != nil {
		return db.Token{}, ErrInvalidToken
	}
	t, err := s.DB.PeekToken(ctx, hash, string(p), s.now())
	if errors.Is(err, db.ErrNotFound) {
		return db.Token{}, ErrInvalidToken
	}
	return t, err
}

// consume uses up a token of purpose p and runs effect with its user in the
// same transaction: if the effect fails the token stays unused, and no two
// requests can both use it. A token issued for no account (a sign-in link
// to a new address) reaches effect with the account that has its address
// now, or a zero User when there is none.
func (s *Service) consume(ctx context.Context, text string, p auth.Purpose, effect func(q *db.Queries, t db.Token, u db.User) error) (db.User, error) {
	hash, err := auth.ParseToken(text)
	if err != nil {
		return db.User{}, ErrInvalidToken
	}
	var user db.User
	err = s.DB.InTx(ctx, func(q *db.Queries) error {
		t, err := q.ConsumeToken(ctx, hash, string(p), s.now())
		if errors.Is(err, db.ErrNotFound) {
			return ErrInvalidToken
		}
		if err != nil {
			return err
		}
		if t.UserID == 0 {
			user, err = q.UserByEmail(ctx, t.Email)
			if errors.Is(err, db.ErrNotFound) {
				user, err = db.User{}, nil
			}
		} else {
			user, err = q.UserByID(ctx, t.UserID)
			if errors.Is(err, db.ErrNotFound) {
				return ErrInvalidToken
			}
		}
		if err != nil {
			return err
		}
		if user.Disabled() {
			return ErrDisabled
		}
		if effect != nil {
			return effect(q, t, user)
		}
		return nil
	})
	if err != nil {
		if errors.Is(err, ErrInvalidToken) || errors.Is(err, ErrDisabled) {
			return db.User{}, err
		}
		return db.User{}, fmt.Errorf("use %s link: %w", p, err)
	}
	return user, nil
}

// ConsumeLoginLink signs in with an emailed link, which proves the address.
// An address without an account gets one now: confirmed, without a
// password, named name (or the address's local part). An account whose
// address was never confirmed is taken over by the inbox's owner (see
// takeOver): name, when given, replaces the one chosen at signup.
func (s *Service) ConsumeLoginLink(ctx context.Context, text, name string) (db.User, error) {
	if err := checkName(name); err != nil {
		return db.User{}, err
	}
	var signedIn db.User
	_, err := s.consume(ctx, text, auth.PurposeLogin, func(q *db.Queries, t db.Token, u db.User) error {
		now := s.now()
		switch {
		case u.ID == 0:
			created, err := q.CreateUser(ctx, nameOrLocalPart(name, t.Email), t.Email, "", now)
			if err != nil {
				return err
			}
			if err := q.MarkEmailVerified(ctx, created.ID, now); err != nil {
				return err
			}
			u = created
		case !u.Verified():
			if name == "" && !u.HasPassword() {
				// Made by an operator (latchkey user create), not by a
				// stranger's signup: the name is theirs to keep.
				name = u.Name
			}
			if err := s.takeOver(ctx, q, u.ID, nameOrLocalPart(name, u.Email)); err != nil {
				return err
			}
		}
		var err error
		signedIn, err = q.UserByID(ctx, u.ID)
		return err
	})
	if err != nil {
		return db.User{}, err
	}
	return signedIn, nil
}

// takeOver confirms an account that was registered but never confirmed, for
// the owner of its inbox who just proved it (a sign-in link, a reset, an
// identity provider). Whoever registered the address first keeps nothing:
// the password chosen at signup is removed (a reset sets the new one), the
// name is replaced, every session ends and every link stops working.
func (s *Service) takeOver(ctx context.Context, q *db.Queries, userID int64, name string) error {
	now := s.now()
	if err := q.MarkEmailVerified(ctx, userID, now); err != nil {
		return err
	}
	if err := q.SetPasswordHash(ctx, userID, "", now); err != nil {
		return err
	}
	if err := q.SetName(ctx, userID, name, now); err != nil {
		return err
	}
	if _, err := q.DeleteOtherUserSessions(ctx, userID, ""); err != nil {
		return err
	}
	return q.DeleteUserTokens(ctx, userID, allPurposes...)
}

// unconfirmedSignup reports whether u was registered through the signup
// form and its address never confirmed: the one kind of account whose
// inbox owner takes it over. An unconfirmed account without a password was
// made by an operator (latchkey user create).
func unconfirmedSignup(u db.User) bool { return !u.Verified() && u.HasPassword() }

func nameOrLocalPart(name, email string) string {
	if name != "" {
		return name
	}
	local, _, _ := strings.Cut(email, "@")
	if len(local) > 100 {
		local = local[:100]
	}
	return local
}

// ConfirmSignup confirms the address of a new account with the link sent to
// it, and returns the account to sign in. Following the link in the browser
// that signed up (sameBrowser) is enough; from any other browser the
// password chosen at signup is needed too, so that a link forwarded,
// leaked or opened by someone else does not sign them in. A wrong password
// is ErrWrongPassword and leaves the link usable.
func (s *Service) ConfirmSignup(ctx context.Context, text, password string, sameBrowser bool) (db.User, error) {
	t, err := s.peekToken(ctx, text, auth.PurposeVerifyEmail)
	if err != nil {
		return db.User{}, err
	}
	if !sameBrowser {
		owner, err := s.DB.UserByID(ctx, t.UserID)
		if errors.Is(err, db.ErrNotFound) {
			return db.User{}, ErrInvalidToken
		}
		if err != nil {
			return db.User{}, fmt.Errorf("confirm signup: %w", err)
		}
		if err := s.VerifyPassword(ctx, owner, password); err != nil {
			return db.User{}, err
		}
	}
	return s.consume(ctx, text, auth.PurposeVerifyEmail, func(q *db.Queries, t db.Token, u db.User) error {
		if !auth.SameEmail(t.Email, u.Email) {
			return ErrInvalidToken
		}
		return q.MarkEmailVerified(ctx, u.ID, s.now())
	})
}

// ResetPassword sets a new password with a reset link. Every session of the
// user ends, and every outstanding sign-in or reset link stops working; the
// caller then signs this browser in afresh.
func (s *Service) ResetPassword(ctx context.Context, text, password string) (db.User, error) {
	t, err := s.peekToken(ctx, text, auth.PurposeResetPassword)
	if err != nil {
		return db.User{}, err
	}
	owner, err := s.DB.UserByID(ctx, t.UserID)
	if err != nil {
		return db.User{}, ErrInvalidToken
	}
	if err := s.CheckPasswordStrength(ctx, password, owner.Name, owner.Email); err != nil {
		return db.User{}, err
	}
	// Hash outside the transaction: the single writer must not wait on argon2id.
	hash, err := s.Hasher.Hash(ctx, password)
	if err != nil {
		return db.User{}, fmt.Errorf("reset password: %w", err)
	}
	return s.consume(ctx, text, auth.PurposeResetPassword, func(q *db.Queries, t db.Token, u db.User) error {
		if !u.Verified() {
			// The link came to this inbox: its owner takes the account over.
			if err := s.takeOver(ctx, q, u.ID, nameOrLocalPart("", u.Email)); err != nil {
				return err
			}
		}
		if err := s.setPassword(ctx, q, u.ID, hash, ""); err != nil {
			return err
		}
		// A reset means the password may have been someone else's: the
		// personal access tokens made meanwhile go too (a change keeps them).
		if err := q.DeleteUserPersonalTokens(ctx, u.ID); err != nil {
			return err
		}
		return s.record(ctx, q, u.ID, entry{kind: KindPasswordReset})
	})
}
