package accounts

import (
	"context"
	"errors"
	"fmt"
	"net/url"

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
		e = s.messages().LoginLink(to, user.Name, link, ttl)
	case auth.PurposeVerifyEmail:
		e = s.messages().VerifyEmail(to, user.Name, link, ttl)
	case auth.PurposeResetPassword:
		e = s.messages().ResetPassword(to, user.Name, link, ttl)
	case auth.PurposeChangeEmail:
		e = s.messages().ConfirmEmailChange(to, user.Name, link, ttl)
	default:
		return fmt.Errorf("no email for purpose %q", p)
	}
	return s.enqueue(ctx, q, e, false)
}

// deliver issues a link of purpose p to the account with this address, if
// there is one and it is enabled. Either way it returns nil: the caller's
// page must not reveal which addresses have accounts.
func (s *Service) deliver(ctx context.Context, email string, p auth.Purpose) error {
	email = auth.NormalizeEmail(email)
	queued := false
	err := s.DB.InTx(ctx, func(q *db.Queries) error {
		user, err := q.UserByEmail(ctx, email)
		if errors.Is(err, db.ErrNotFound) || (err == nil && user.Disabled()) {
			return nil
		}
		if err != nil {
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

// DeliverLoginLink emails a sign-in link to the account with this address.
// An address without an account gets nothing, and no account is created.
func (s *Service) DeliverLoginLink(ctx context.Context, email string) error {
	return s.deliver(ctx, email, auth.PurposeLogin)
}

// RequestPasswordReset emails a reset link to the account with this address.
func (s *Service) RequestPasswordReset(ctx context.Context, email string) error {
	return s.deliver(ctx, email, auth.PurposeResetPassword)
}

// ResendVerification sends a new verification link to a signed-in user
// whose address is not verified yet.
func (s *Service) ResendVerification(ctx context.Context, user db.User) error {
	if user.Verified() {
		return nil
	}
	err := s.DB.InTx(ctx, func(q *db.Queries) error { return s.issue(ctx, q, user, auth.PurposeVerifyEmail, user.Email) })
	if err != nil {
		return fmt.Errorf("resend verification: %w", err)
	}
	s.mailQueued()
	return nil
}

// PeekToken returns what a live token stands for, without using it.
func (s *Service) PeekToken(ctx context.Context, text string, p auth.Purpose) (db.Token, error) {
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
// requests can both use it.
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
		user, err = q.UserByID(ctx, t.UserID)
		if errors.Is(err, db.ErrNotFound) {
			return ErrInvalidToken
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

// ConsumeLoginLink signs in with an emailed link. Following the link proves
// the address, so it is marked verified too.
func (s *Service) ConsumeLoginLink(ctx context.Context, text string) (db.User, error) {
	return s.consume(ctx, text, auth.PurposeLogin, func(q *db.Queries, t db.Token, u db.User) error {
		if !u.Verified() {
			return q.MarkEmailVerified(ctx, u.ID, s.now())
		}
		return nil
	})
}

// VerifyEmail marks the address a verification link was sent to as verified,
// provided it is still the account's address.
func (s *Service) VerifyEmail(ctx context.Context, text string) (db.User, error) {
	return s.consume(ctx, text, auth.PurposeVerifyEmail, func(q *db.Queries, t db.Token, u db.User) error {
		if !equalFoldEmail(t.Email, u.Email) {
			return ErrInvalidToken
		}
		return q.MarkEmailVerified(ctx, u.ID, s.now())
	})
}

// ResetPassword sets a new password with a reset link. Every session of the
// user ends, and every outstanding sign-in or reset link stops working; the
// caller then signs this browser in afresh.
func (s *Service) ResetPassword(ctx context.Context, text, password string) (db.User, error) {
	t, err := s.PeekToken(ctx, text, auth.PurposeResetPassword)
	if err != nil {
		return db.User{}, err
	}
	owner, err := s.DB.UserByID(ctx, t.UserID)
	if err != nil {
		return db.User{}, ErrInvalidToken
	}
	if err := s.CheckPassword(password, owner.Name, owner.Email); err != nil {
		return db.User{}, err
	}
	// Hash outside the transaction: the single writer must not wait on argon2id.
	hash, err := s.Hasher.Hash(ctx, password)
	if err != nil {
		return db.User{}, fmt.Errorf("reset password: %w", err)
	}
	return s.consume(ctx, text, auth.PurposeResetPassword, func(q *db.Queries, t db.Token, u db.User) error {
		if err := s.setPassword(ctx, q, u.ID, hash, ""); err != nil {
			return err
		}
		// The link came to this inbox: the address is proven.
		return q.MarkEmailVerified(ctx, u.ID, s.now())
	})
}
