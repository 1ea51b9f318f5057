package accounts

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"latchkey/auth"
	"latchkey/db"
)

// The JSON API's credentials (DESIGN.md, "API"): token sign-ins for
// programs, with an access token (AccessTokenTTL) and a refresh token that
// is rotated on every use, and personal access tokens made on
// /settings/tokens. A token sign-in is a user_sessions record of kind
// db.SessionAPI, so it is listed and ended like a browser's, and whatever
// ends a user's sessions ends it (its tokens go with the record).

// AccessTokenTTL is how long an access token works; a program then uses
// its refresh token.
const AccessTokenTTL = 15 * time.Minute

// PersonalTokenDays are the lifetimes a personal access token may be given.
var PersonalTokenDays = []int{7, 30, 90, 365}

// Errors of the token endpoints and bearer requests.
var (
	// ErrBadToken: a bearer that is malformed, unknown, expired, revoked,
	// of the wrong kind, or whose user is disabled or gone.
	ErrBadToken = errors.New("token invalid, expired or revoked")
	// ErrInvalidGrant: a refresh token that cannot be used (unknown,
	// expired, used before, of the wrong kind).
	ErrInvalidGrant = errors.New("refresh token invalid, expired or used")
	// ErrMFARequired: the password was right, the account has a second
	// factor, and no code was given.
	ErrMFARequired = errors.New("second-factor code required")
)

// TokenPair is what a token sign-in or a refresh hands the program.
type TokenPair struct {
	AccessToken  string
	RefreshToken string
	ExpiresIn    time.Duration
}

// SignInForTokens checks an email, password and (when the account has a
// second factor) code, and starts a token sign-in from origin o. Its errors
// are SignInWithPasswordFrom's (a *SlowDownError when the account is being
// guessed at: the API is one more door to the same password), then
// ErrMFARequired, ErrWrongCode or ErrTooManyCodes.
func (s *Service) SignInForTokens(ctx context.Context, email, password, code string, o Origin) (db.User, TokenPair, error) {
	user, on, err := s.SignInWithPasswordFrom(ctx, email, password, o)
	if err != nil {
		return db.User{}, TokenPair{}, err
	}
	if on {
		if code == "" {
			return db.User{}, TokenPair{}, ErrMFARequired
		}
		if err := s.VerifySecondFactor(ctx, user.ID, code); err != nil {
			return db.User{}, TokenPair{}, err
		}
	}
	var pair TokenPair
	err = s.DB.InTx(ctx, func(q *db.Queries) error {
		sess, err := s.openSession(ctx, q, user.ID, db.SessionAPI, MethodToken, o)
		if err != nil {
			return err
		}
		pair, err = s.issuePair(ctx, q, sess)
		return err
	})
	if err != nil {
		return db.User{}, TokenPair{}, fmt.Errorf("token sign-in: %w", err)
	}
	return user, pair, nil
}

// issuePair makes a new access and refresh token for the sign-in sess. The
// refresh token lasts until the sign-in's SessionLifetime is over, so
// rotating never stretches a sign-in past it.
func (s *Service) issuePair(ctx context.Context, q *db.Queries, sess db.UserSession) (TokenPair, error) {
	now := s.now()
	access, accessHash, err := auth.NewAPIToken(auth.AccessToken)
	if err != nil {
		return TokenPair{}, err
	}
	refresh, refreshHash, err := auth.NewAPIToken(auth.RefreshToken)
	if err != nil {
		return TokenPair{}, err
	}
	if err := q.CreateAPIToken(ctx, accessHash, db.APIAccess, sess.ID, now, now.Add(AccessTokenTTL)); err != nil {
		return TokenPair{}, err
	}
	refreshEnd := sess.CreatedAt.Add(s.SessionLifetime)
	if s.SessionLifetime <= 0 {
		refreshEnd = now.Add(10 * 365 * 24 * time.Hour)
	}
	if err := q.CreateAPIToken(ctx, refreshHash, db.APIRefresh, sess.ID, now, refreshEnd); err != nil {
		return TokenPair{}, err
	}
	return TokenPair{AccessToken: access, RefreshToken: refresh, ExpiresIn: AccessTokenTTL}, nil
}

// RefreshTokens spends a refresh token for a new pair. A refresh token
// presented a second time means a copy is in other hands: the whole
// sign-in it came from ends (every token of it), and the answer is
// ErrInvalidGrant, as for an unknown one.
func (s *Service) RefreshTokens(ctx context.Context, text string) (TokenPair, error) {
	kind, hash, err := auth.ParseAPIToken(text)
	if err != nil || kind != auth.RefreshToken {
		return TokenPair{}, ErrInvalidGrant
	}
	var pair TokenPair
	var refused error
	err = s.DB.InTx(ctx, func(q *db.Queries) error {
		sid, reused, err := q.UseRefreshToken(ctx, hash, s.now())
		if errors.Is(err, db.ErrNotFound) {
			refused = ErrInvalidGrant
			return nil
		}
		if err != nil {
			return err
		}
		if reused {
			s.Log.WarnContext(ctx, "refresh token reused: sign-in ended", "session_kind", db.SessionAPI)
			refused = ErrInvalidGrant
			return q.DeleteUserSessionByID(ctx, sid)
		}
		sess, user, err := q.SessionUser(ctx, sid)
		if errors.Is(err, db.ErrNotFound) || (err == nil && user.Disabled()) {
			refused = ErrInvalidGrant
			return nil
		}
		if err != nil {
			return err
		}
		now := s.now()
		if (s.SessionIdleTimeout > 0 && now.Sub(sess.LastSeenAt) > s.SessionIdleTimeout) ||
			(s.SessionLifetime > 0 && now.Sub(sess.CreatedAt) > s.SessionLifetime) {
			refused = ErrInvalidGrant
			return q.DeleteUserSessionByID(ctx, sid)
		}
		if err := q.TouchUserSession(ctx, sid, now); err != nil {
			return err
		}
		pair, err = s.issuePair(ctx, q, sess)
		return err
	})
	if err != nil {
		return TokenPair{}, fmt.Errorf("refresh tokens: %w", err)
	}
	if refused != nil {
		return TokenPair{}, refused
	}
	return pair, nil
}

// Bearer is who a bearer token speaks for.
type Bearer struct {
	// User is the account, read with only the columns a bearer request
	// uses (db.AccessTokenSession): its PasswordHash is empty, so a
	// handler that needs more asks for the account by its ID.
	User db.User
	// Session is the token sign-in of an access token; its ID is "" for a
	// personal access token.
	Session db.UserSession
	// PersonalTokenID is the personal access token's id, or 0.
	PersonalTokenID int64
	// Expires is when the token stops working.
	Expires time.Time
}

// BearerUser is who the bearer token text speaks for: a live access token
// of a live sign-in, or a live personal access token, of an account that is
// not disabled. Anything else, a refresh token included, is ErrBadToken;
// junk is refused before any query.
func (s *Service) BearerUser(ctx context.Context, text string) (Bearer, error) {
	kind, hash, err := auth.ParseAPIToken(text)
	if err != nil {
		return Bearer{}, ErrBadToken
	}
	now := s.now()
	switch kind {
	case auth.AccessToken:
		sess, user, expires, err := s.DB.AccessTokenSession(ctx, hash, now)
		if errors.Is(err, db.ErrNotFound) || (err == nil && user.Disabled()) {
			return Bearer{}, ErrBadToken
		}
		if err != nil {
			return Bearer{}, fmt.Errorf("bearer: %w", err)
		}
		if err := s.keepSessionAlive(ctx, &sess); errors.Is(err, ErrSessionEnded) {
			return Bearer{}, ErrBadToken
		} else if err != nil {
			return Bearer{}, fmt.Errorf("bearer: %w", err)
		}
		return Bearer{User: user, Session: sess, Expires: expires}, nil
	case auth.PersonalToken:
		p, user, err := s.DB.PersonalTokenUser(ctx, hash, now)
		if errors.Is(err, db.ErrNotFound) || (err == nil && user.Disabled()) {
			return Bearer{}, ErrBadToken
		}
		if err != nil {
			return Bearer{}, fmt.Errorf("bearer: %w", err)
		}
		if now.Sub(p.LastUsedAt) >= time.Minute {
			if err := s.DB.TouchPersonalToken(ctx, p.ID, now); err != nil {
				s.Log.WarnContext(ctx, "touch personal token", "err", err)
			}
		}
		return Bearer{User: user, PersonalTokenID: p.ID, Expires: p.ExpiresAt}, nil
	}
	return Bearer{}, ErrBadToken
}

// RevokeBearer ends what the bearer token belongs to: an access token's
// whole sign-in, or the personal access token itself.
func (s *Service) RevokeBearer(ctx context.Context, b Bearer) error {
	var err error
	if b.PersonalTokenID != 0 {
		err = s.DB.DeletePersonalToken(ctx, b.User.ID, b.PersonalTokenID)
		if errors.Is(err, db.ErrNotFound) {
			err = nil
		}
	} else {
		err = s.DB.DeleteUserSessionByID(ctx, b.Session.ID)
	}
	if err != nil {
		return fmt.Errorf("revoke token: %w", err)
	}
	return nil
}

// ErrTokenName: a personal access token's name is empty, too long or has
// characters a name may not have.
var ErrTokenName = errors.New("token name refused")

// CreatePersonalToken makes a personal access token named name for the
// signed-in user, lasting days (one of PersonalTokenDays), and tells the
// owner by email in the same transaction. The text is returned once and
// never stored.
func (s *Service) CreatePersonalToken(ctx context.Context, user db.User, name string, days int, o Origin) (string, db.PersonalToken, error) {
	if auth.CheckName(name) != nil || name == "" {
		return "", db.PersonalToken{}, ErrTokenName
	}
	allowed := false
	for _, d := range PersonalTokenDays {
		allowed = allowed || d == days
	}
	if !allowed {
		return "", db.PersonalToken{}, fmt.Errorf("create personal token: %d days is not an allowed lifetime", days)
	}
	text, hash, err := auth.NewAPIToken(auth.PersonalToken)
	if err != nil {
		return "", db.PersonalToken{}, err
	}
	now := s.now()
	var p db.PersonalToken
	err = s.DB.InTx(ctx, func(q *db.Queries) error {
		p, err = q.CreatePersonalToken(ctx, user.ID, name, hash, now, now.Add(time.Duration(days)*24*time.Hour))
		if err != nil {
			return err
		}
		if err := s.record(ctx, q, user.ID, entry{kind: KindTokenCreated, origin: &o, detail: name}); err != nil {
			return err
		}
		return s.notify(ctx, q, user.Email, greeting(user, user.Email), "A personal access token was made",
			"A personal access token named \u201c"+name+"\u201d was made for your account; it works for "+strconv.Itoa(days)+
				" days. If this wasn't you, revoke it on your settings page under Tokens and change your password.", o)
	})
	if err != nil {
		return "", db.PersonalToken{}, fmt.Errorf("create personal token: %w", err)
	}
	s.mailQueued()
	return text, p, nil
}

// ListPersonalTokens is the user's live personal access tokens.
func (s *Service) ListPersonalTokens(ctx context.Context, userID int64) ([]db.PersonalToken, error) {
	list, err := s.DB.PersonalTokensByUser(ctx, userID, s.now())
	if err != nil {
		return nil, fmt.Errorf("list personal tokens: %w", err)
	}
	return list, nil
}

// DeletePersonalToken revokes one of the user's personal access tokens;
// another user's id is ErrNotFound-like: nothing happens, and false.
func (s *Service) DeletePersonalToken(ctx context.Context, userID, id int64) (bool, error) {
	err := s.DB.InTx(ctx, func(q *db.Queries) error {
		if err := q.DeletePersonalToken(ctx, userID, id); err != nil {
			return err
		}
		return s.record(ctx, q, userID, entry{kind: KindTokenRevoked})
	})
	if errors.Is(err, db.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("delete personal token: %w", err)
	}
	return true, nil
}
