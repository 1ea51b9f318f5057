package accounts

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"latchkey/auth"
	"latchkey/db"
)

// Errors of signing in with, or connecting, a provider.
var (
	// ErrNotLinked: the provider's address belongs to a confirmed account
	// that has not connected this provider, or the provider reported no
	// verified address. Nothing is merged silently: the owner signs in the
	// usual way and connects the provider from /settings/connections.
	ErrNotLinked = errors.New("identity not connected to an account")
	// ErrIdentityElsewhere: the identity is connected to another account;
	// connecting it here changes nothing.
	ErrIdentityElsewhere = errors.New("identity connected to another account")
	// ErrProviderConnected: this account already has another identity at
	// the provider; disconnect it first.
	ErrProviderConnected = errors.New("account already has an identity at this provider")
)

// SignInWithProvider decides which account a provider sign-in lands in
// (DESIGN.md, "Identity providers"):
//
//   - an identity already connected signs in to its account;
//   - a new identity with a verified address that no account has makes a
//     confirmed account without a password, named by the provider;
//   - one whose address has an unconfirmed account takes it over
//     (takeOver: the pre-registrant's password, name and sessions go);
//   - one whose address has a confirmed account is ErrNotLinked, as is one
//     with no verified address.
//
// A disabled account is ErrDisabled. The account and its identity are made
// in one transaction: never one without the other.
func (s *Service) SignInWithProvider(ctx context.Context, providerID string, pu ProviderUser) (db.User, error) {
	if _, ok := s.providers[providerID]; !ok {
		return db.User{}, ErrUnknownProvider
	}
	var signedIn db.User
	err := s.DB.InTx(ctx, func(q *db.Queries) error {
		now := s.now()
		id, err := q.IdentityBySubject(ctx, providerID, pu.Subject)
		switch {
		case err == nil:
			u, err := q.UserByID(ctx, id.UserID)
			if err != nil {
				return err
			}
			if u.Disabled() {
				return ErrDisabled
			}
			signedIn = u
			return q.TouchIdentity(ctx, providerID, pu.Subject, limitEmail(pu.Email), now)
		case !errors.Is(err, db.ErrNotFound):
			return err
		}
		email, ok := verifiedEmail(pu)
		if !ok {
			return ErrNotLinked
		}
		u, err := q.UserByEmail(ctx, email)
		switch {
		case errors.Is(err, db.ErrNotFound):
			u, err = q.CreateUser(ctx, providerName(pu, email), email, "", now)
			if err != nil {
				return err
			}
			if err := q.MarkEmailVerified(ctx, u.ID, now); err != nil {
				return err
			}
		case err != nil:
			return err
		case u.Disabled():
			return ErrDisabled
		case u.Verified():
			return ErrNotLinked
		default:
			// The provider proved the inbox: whoever registered the
			// address before its owner keeps nothing.
			if err := s.takeOver(ctx, q, u.ID, providerName(pu, u.Email)); err != nil {
				return err
			}
		}
		if err := q.CreateIdentity(ctx, db.Identity{Provider: providerID, Subject: pu.Subject, UserID: u.ID, Email: email}, now); err != nil {
			return err
		}
		signedIn, err = q.UserByID(ctx, u.ID)
		return err
	})
	if err != nil {
		if errors.Is(err, ErrNotLinked) || errors.Is(err, ErrDisabled) {
			return db.User{}, err
		}
		return db.User{}, fmt.Errorf("sign in with %s: %w", providerID, err)
	}
	return signedIn, nil
}

// verifiedEmail is the provider's address in our form, when the provider
// vouches for it and it is one an account can have.
func verifiedEmail(pu ProviderUser) (string, bool) {
	if !pu.EmailVerified || pu.Email == "" || len(pu.Email) > 254 {
		return "", false
	}
	email := auth.NormalizeEmail(pu.Email)
	if _, err := auth.EmailKey(email); err != nil || !strings.Contains(email, "@") {
		return "", false
	}
	return email, true
}

// providerName is the provider's name for the person when it is one an
// account may have, else the address's local part.
func providerName(pu ProviderUser, email string) string {
	name := strings.TrimSpace(pu.Name)
	if name == "" || checkName(name) != nil {
		name = ""
	}
	return nameOrLocalPart(name, email)
}

// limitEmail keeps a provider's address to what a column of ours holds.
func limitEmail(email string) string {
	if len(email) <= 254 && utf8.ValidString(email) {
		return email
	}
	return ""
}

// Connection is one of an account's identities as /settings/connections
// shows it.
type Connection struct {
	db.Identity
	ProviderName string
}

// ListConnections is the account's identities at the providers configured
// now (one whose settings were removed is not listed).
func (s *Service) ListConnections(ctx context.Context, userID int64) ([]Connection, error) {
	ids, err := s.DB.UserIdentities(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("list connections: %w", err)
	}
	var out []Connection
	for _, i := range ids {
		if p, ok := s.providers[i.Provider]; ok {
			out = append(out, Connection{Identity: i, ProviderName: p.Name})
		}
	}
	return out, nil
}

// ConnectIdentity connects the identity pu at providerID to the signed-in
// user and tells the owner. An identity connected to another account is
// ErrIdentityElsewhere and nothing changes; the same identity again only
// records its use.
func (s *Service) ConnectIdentity(ctx context.Context, user db.User, providerID string, pu ProviderUser, o Origin) error {
	p, ok := s.providers[providerID]
	if !ok {
		return ErrUnknownProvider
	}
	notified := false
	err := s.DB.InTx(ctx, func(q *db.Queries) error {
		now := s.now()
		id, err := q.IdentityBySubject(ctx, providerID, pu.Subject)
		switch {
		case err == nil && id.UserID != user.ID:
			return ErrIdentityElsewhere
		case err == nil:
			return q.TouchIdentity(ctx, providerID, pu.Subject, limitEmail(pu.Email), now)
		case !errors.Is(err, db.ErrNotFound):
			return err
		}
		err = q.CreateIdentity(ctx, db.Identity{Provider: providerID, Subject: pu.Subject, UserID: user.ID, Email: limitEmail(pu.Email)}, now)
		if errors.Is(err, db.ErrIdentityTaken) {
			// Not this subject (looked up above): another identity of
			// this account at the same provider.
			return ErrProviderConnected
		}
		if err != nil {
			return err
		}
		notified = true
		if err := s.record(ctx, q, user.ID, entry{kind: KindProviderConnected, detail: p.Name, origin: &o}); err != nil {
			return err
		}
		return s.notify(ctx, q, user.Email, user.Name, p.Name+" was connected to your "+s.appName()+" account",
			"Your "+p.Name+" account was connected to your account: it can now be used to sign in.", o)
	})
	if err != nil {
		if errors.Is(err, ErrIdentityElsewhere) || errors.Is(err, ErrProviderConnected) {
			return err
		}
		return fmt.Errorf("connect %s: %w", providerID, err)
	}
	if notified {
		s.mailQueued()
	}
	return nil
}

// DisconnectIdentity removes the account's identity at providerID and
// tells the owner; always allowed, since an emailed link still signs in.
// Disconnecting what is not connected does nothing.
func (s *Service) DisconnectIdentity(ctx context.Context, user db.User, providerID string, o Origin) error {
	name := providerID
	if p, ok := s.providers[providerID]; ok {
		name = p.Name
	}
	removed := false
	err := s.DB.InTx(ctx, func(q *db.Queries) error {
		_, err := q.DeleteUserIdentity(ctx, user.ID, providerID)
		if errors.Is(err, db.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		removed = true
		if err := s.record(ctx, q, user.ID, entry{kind: KindProviderDisconnected, detail: name, origin: &o}); err != nil {
			return err
		}
		return s.notify(ctx, q, user.Email, user.Name, name+" was disconnected from your "+s.appName()+" account",
			"Your "+name+" account was disconnected from your account: it can no longer be used to sign in.", o)
	})
	if err != nil {
		return fmt.Errorf("disconnect %s: %w", providerID, err)
	}
	if removed {
		s.mailQueued()
	}
	return nil
}
