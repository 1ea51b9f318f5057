// Package accounts is the vocabulary of Latchkey's domain: Register,
// ConfirmSignup, SignInWithPassword, DeliverLoginLink, ConsumeLoginLink,
// RequestPasswordReset, ResetPassword, the settings changes (ChangeName,
// RequestEmailChange, ChangePassword, DeleteAccount), the session records
// behind "sign out everywhere", and sign-in with identity providers
// (StartProviderFlow, FinishProviderFlow, SignInWithProvider,
// ConnectIdentity), which talk to the providers through golang.org/x/oauth2
// and go-oidc with one client that has timeouts; the second factor
// (BeginEnrolment, ConfirmEnrolment, VerifySecondFactor, CompleteSecondStep,
// RememberDevice, DisableSecondFactor); passkeys (BeginPasskeyRegistration,
// FinishPasskeyRegistration, BeginPasskeySignIn,
// CompletePasskeySignIn, DeletePasskey), whose WebAuthn protocol is
// go-webauthn's; the JSON
// API's credentials (SignInForTokens, RefreshTokens, BearerUser,
// RevokeBearer, CreatePersonalToken): a token sign-in is a session record
// like a browser's; roles and the admin area's actions (SetRole,
// SearchUsers, AdminAccountByID, Act, and OperatorAct for the command
// line, admin.go); and the security activity
// log (activity.go), each line written in the transaction of the change it
// records, with the device and IP of the request's Origin (WithOrigin).
//
// It may import auth (hashing, policy, tokens), db (queries), device (names
// of browsers, for notices), mail (message bodies, queued in the outbox in
// the same transaction as their token) and internal/timetext (how long a
// link lasts, in words). It never imports echo, handlers or views: the CLI
// and the tests use it directly.
package accounts

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/go-webauthn/webauthn/webauthn"

	"latchkey/auth"
	"latchkey/db"
	"latchkey/mail"
)

// Config is what the domain needs: its dependencies and the settings that
// shape its rules. package main fills it from the settings; every default
// lives there.
type Config struct {
	DB     *db.DB
	Hasher *auth.Hasher
	Policy auth.Policy
	TTL    auth.TokenTTLs
	// BaseURL is the public origin links in emails point to, without a
	// trailing slash.
	BaseURL string
	// AppName is the product's name in every email (APP_NAME); "" is
	// mail.DefaultAppName.
	AppName string
	// MailLimit messages per address per MailWindow; more are dropped silently.
	MailLimit  int
	MailWindow time.Duration
	// SessionLifetime ends a signed-in session this long after it signed in
	// (0: never), however active it is. It is checked on every signed-in
	// request against the record's created_at, not only by the cleanup.
	SessionLifetime time.Duration
	// SessionIdleTimeout ends a signed-in session after this long without
	// a request (0: never). It is checked against the session record's
	// last-seen time, which moves at most once a minute, so a session may
	// end up to a minute early; scs itself has no idle timeout, so that a
	// read-only request writes nothing.
	SessionIdleTimeout time.Duration
	// UnconfirmedTTL is how long an account whose address was never
	// confirmed is kept (DeleteUnconfirmedAccounts).
	UnconfirmedTTL time.Duration
	// ActivityRetention is how long a line of the activity log is kept
	// (DeleteOldActivity); 0 keeps them forever.
	ActivityRetention time.Duration
	Log               *slog.Logger
	Now               func() time.Time
	// MailQueued is called after a transaction that queued mail commits, to
	// wake the sender; nil is fine.
	MailQueued func()
	// Providers are the identity providers whose settings are present.
	Providers []Provider
	// ProviderClient makes every call to a provider; nil is
	// NewProviderClient() (ProviderTimeout).
	ProviderClient *http.Client
	// SecretKey is SECRET_KEY's 32 bytes: it seals authenticator secrets
	// and keys the recovery codes' hashes. Without it the second factor
	// cannot be turned on (package main always gives one).
	SecretKey []byte
	// CleanupBatch is how many rows one step of the cleanup deletes, and
	// CleanupPause how long it waits before the next; 0 is the default
	// (defaultCleanupBatch, defaultCleanupPause). Not settings: tests set them.
	CleanupBatch int
	CleanupPause time.Duration
}

// Service is every account operation; New builds it.
type Service struct {
	Config
	providers map[string]*provider
	secrets   *auth.Secrets // nil without a SecretKey
	// webauthn is go-webauthn set up for BASE_URL (passkeys.go); nil
	// when BASE_URL has no host, and then passkeys are off.
	webauthn *webauthn.WebAuthn
}

// New returns the service for cfg. DB, Hasher and Log are required; Now nil
// is the wall clock.
func New(cfg Config) (*Service, error) {
	if cfg.DB == nil || cfg.Hasher == nil || cfg.Log == nil {
		return nil, errors.New("accounts: DB, Hasher and Log are required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Service{Config: cfg}
	if len(cfg.SecretKey) > 0 {
		sec, err := auth.NewSecrets(cfg.SecretKey)
		if err != nil {
			return nil, fmt.Errorf("accounts: %w", err)
		}
		s.secrets = sec
	}
	if err := s.initProviders(); err != nil {
		return nil, fmt.Errorf("accounts: %w", err)
	}
	if err := s.initPasskeys(); err != nil {
		return nil, fmt.Errorf("accounts: %w", err)
	}
	return s, nil
}

// Errors a caller maps to messages. They never say whether an address has
// an account.
var (
	ErrInvalidCredentials = errors.New("email and password don't match")
	ErrDisabled           = errors.New("account disabled")
	ErrInvalidToken       = errors.New("link invalid, expired or already used")
	ErrWrongPassword      = errors.New("current password is wrong")
	// ErrUnconfirmed: the password was right, but the account's address has
	// not been confirmed yet; a new confirmation link has been sent.
	ErrUnconfirmed = errors.New("email address not confirmed")
)

// PolicyError is a password that the policy refused; Reason is for the user.
type PolicyError struct{ Reason string }

func (e *PolicyError) Error() string { return "password refused: " + e.Reason }

func (s *Service) now() time.Time { return s.Now() }

// messages builds the emails, naming the product.
func (s *Service) messages() mail.Messages { return mail.Messages{App: s.AppName} }

// appName is the product's name as the emails say it.
func (s *Service) appName() string { return s.messages().AppName() }

func (s *Service) link(path string, params url.Values) string {
	return s.BaseURL + path + "?" + params.Encode()
}

// CheckPasswordStrength applies the password policy to a new password for
// this name and email: a *PolicyError says why it is refused. The check
// waits for a hashing slot, like a hash, so a flood of them queues.
func (s *Service) CheckPasswordStrength(ctx context.Context, password, name, email string) error {
	reason, err := s.Hasher.CheckStrength(ctx, s.Policy, password, name, email)
	if err != nil {
		return fmt.Errorf("check password strength: %w", err)
	}
	if reason != "" {
		return &PolicyError{Reason: reason}
	}
	return nil
}

// Register starts an account that cannot be used until its address is
// confirmed: it is created unconfirmed, and the confirmation link goes to
// the address (VerifyEmail, then ConfirmSignup).
//
// When the address already has an account nothing is created: the owner is
// sent a note with a way to sign in or reset the password instead, and the
// returned created is false. The caller must answer exactly as for a new
// account, so the page does not tell a stranger which addresses are
// registered. Both paths spend one hash and queue one message.
func (s *Service) Register(ctx context.Context, name, email, password string) (user db.User, created bool, err error) {
	email = auth.NormalizeEmail(email)
	if err := checkName(name); err != nil {
		return db.User{}, false, fmt.Errorf("register: %w", err)
	}
	if err := s.CheckPasswordStrength(ctx, password, name, email); err != nil {
		return db.User{}, false, err
	}
	hash, err := s.Hasher.Hash(ctx, password)
	if err != nil {
		return db.User{}, false, fmt.Errorf("register: %w", err)
	}
	now := s.now()
	err = s.DB.InTx(ctx, func(q *db.Queries) error {
		user, err = q.CreateUser(ctx, name, email, hash, now)
		if errors.Is(err, db.ErrEmailTaken) {
			existing, err := q.UserByEmail(ctx, email)
			if err != nil {
				return err
			}
			e := s.messages().SignupAttempt(existing.Email, greeting(existing, existing.Email), s.BaseURL+"/login", s.BaseURL+"/forgot-password")
			return s.queue(ctx, q, e)
		}
		if err != nil {
			return err
		}
		created = true
		return s.issue(ctx, q, user, auth.PurposeVerifyEmail, user.Email)
	})
	if err != nil {
		return db.User{}, false, fmt.Errorf("register: %w", err)
	}
	s.mailQueued()
	return user, created, nil
}

// SignInWithPassword checks an email and password. Unknown addresses and
// accounts without a password spend one hash too, so the answer takes the
// same time whether or not the account exists. It is SignInWithPasswordFrom
// without an origin for the notice of a guessing run.
func (s *Service) SignInWithPassword(ctx context.Context, email, password string) (db.User, error) {
	user, _, err := s.SignInWithPasswordFrom(ctx, email, password, Origin{})
	return user, err
}

// SignInWithPasswordFrom checks an email and password given from o, the
// check of every password sign-in (the sign-in page, the API's token
// endpoint). While the address is being guessed at (guessing.go) it is a
// *SlowDownError, decided before any hash is spent; a wrong password counts
// towards that, and o is named in the one notice the owner gets when the
// slow-down starts. secondFactor says whether the account asks for its
// second factor next, read with the account.
func (s *Service) SignInWithPasswordFrom(ctx context.Context, email, password string, o Origin) (user db.User, secondFactor bool, err error) {
	email = auth.NormalizeEmail(email)
	// One read: the account, its run of failures and whether its second
	// factor is on. An address without a key has no account (the users
	// table is keyed the same way), and the form refuses it anyway.
	var read db.SignInRead
	err = db.ErrNotFound
	if key, ok := guessKey(email); ok {
		now := s.now()
		read, err = s.DB.UserForSignIn(ctx, email, key, now.Add(-guessWindow))
		if wait := guessingWait(read.Failures, now); wait > 0 {
			return db.User{}, false, &SlowDownError{Wait: wait}
		}
	}
	user = read.User
	if errors.Is(err, db.ErrNotFound) || (err == nil && !user.HasPassword()) {
		if err := s.Hasher.CheckDummy(ctx, password); !errors.Is(err, auth.ErrMismatch) {
			return db.User{}, false, fmt.Errorf("sign in: %w", err)
		}
		s.guessFailed(ctx, email, db.User{}, o)
		return db.User{}, false, ErrInvalidCredentials
	}
	if err != nil {
		return db.User{}, false, fmt.Errorf("sign in: %w", err)
	}
	rehash, err := s.Hasher.Check(ctx, password, user.PasswordHash)
	if errors.Is(err, auth.ErrMismatch) {
		s.guessFailed(ctx, email, user, o)
		// The owner reads this on /settings/activity. Failed passwords are
		// limited per IP and per (IP, email) before they get here, so these
		// writes are bounded too.
		if err := s.recordNow(ctx, user.ID, entry{kind: KindSignInFailed, method: MethodPassword}); err != nil {
			return db.User{}, false, fmt.Errorf("sign in: %w", err)
		}
		return db.User{}, false, ErrInvalidCredentials
	}
	if err != nil {
		return db.User{}, false, fmt.Errorf("sign in: %w", err)
	}
	if user.Disabled() {
		return db.User{}, false, ErrDisabled
	}
	if !user.Verified() {
		// The right password, but the address is not proven yet: send a
		// new link (within the mail limit) instead of signing in.
		if err := s.resendConfirmation(ctx, user); err != nil {
			return db.User{}, false, fmt.Errorf("sign in: %w", err)
		}
		return db.User{}, false, ErrUnconfirmed
	}
	if rehash {
		// The parameters changed since this hash was made: store one made
		// with today's, now that we know the password.
		if hash, err := s.Hasher.Hash(ctx, password); err == nil {
			if err := s.DB.SetPasswordHash(ctx, user.ID, hash, s.now()); err != nil {
				s.Log.WarnContext(ctx, "rehash password", "user_id", user.ID, "err", err)
			}
		}
	}
	return user, read.SecondFactor, nil
}

// VerifyPassword checks the signed-in user's current password (for
// sensitive changes). Accounts with no password always fail.
func (s *Service) VerifyPassword(ctx context.Context, user db.User, password string) error {
	if !user.HasPassword() {
		_ = s.Hasher.CheckDummy(ctx, password)
		return ErrWrongPassword
	}
	if _, err := s.Hasher.Check(ctx, password, user.PasswordHash); err != nil {
		if errors.Is(err, auth.ErrMismatch) {
			return ErrWrongPassword
		}
		return err
	}
	return nil
}

// NewSessionID returns a random id for a user_sessions row.
func NewSessionID() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("session id: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// RecordSession stores a new signed-in browser and returns its id; its
// line in the activity log says no method (RecordSignIn does).
func (s *Service) RecordSession(ctx context.Context, userID int64, userAgent, ip string) (string, error) {
	return s.RecordSignIn(ctx, userID, "", userAgent, ip)
}

// RecordSignIn stores a new signed-in browser and the sign-in's line of the
// activity log (method: MethodPassword, MethodLink, MethodProvider+id …),
// committed together (db.CommitUserSession), and returns the session's id.
func (s *Service) RecordSignIn(ctx context.Context, userID int64, method, userAgent, ip string) (string, error) {
	sess, line, err := s.newSession(ctx, userID, db.SessionBrowser, method, Origin{UserAgent: userAgent, IP: ip})
	if err == nil {
		err = s.DB.CommitUserSession(ctx, sess, line)
	}
	if err != nil {
		return "", fmt.Errorf("record sign-in: %w", err)
	}
	return sess.ID, nil
}

// openSession writes a new session record of kind for userID in q's
// transaction, and the sign-in's line of the activity log with it: the one
// way a browser or a program becomes signed in.
func (s *Service) openSession(ctx context.Context, q *db.Queries, userID int64, kind, method string, o Origin) (db.UserSession, error) {
	sess, line, err := s.newSession(ctx, userID, kind, method, o)
	if err != nil {
		return db.UserSession{}, err
	}
	return sess, q.OpenUserSession(ctx, sess, line)
}

// newSession is a new session record of kind for userID, signed in from o
// by method, and its line of the activity log, not yet written.
func (s *Service) newSession(ctx context.Context, userID int64, kind, method string, o Origin) (db.UserSession, db.Activity, error) {
	id, err := NewSessionID()
	if err != nil {
		return db.UserSession{}, db.Activity{}, err
	}
	now := s.now()
	o.UserAgent = truncateUserAgent(o.UserAgent)
	sess := db.UserSession{ID: id, UserID: userID, CreatedAt: now, LastSeenAt: now, AuthenticatedAt: now,
		UserAgent: o.UserAgent, IP: o.IP, Kind: kind}
	return sess, s.activityLine(ctx, userID, entry{kind: KindSignIn, method: method, sessionID: id, origin: &o}), nil
}

// truncateUserAgent keeps a stored User-Agent to 512 bytes.
func truncateUserAgent(ua string) string {
	if len(ua) > 512 {
		return ua[:512]
	}
	return ua
}

// ErrSessionEnded means the session was signed out elsewhere, or its user
// was disabled or deleted.
var ErrSessionEnded = errors.New("session ended")

// SessionUser returns the live session with this id and its user, and
// records activity at most once a minute. A session idle for longer than
// SessionIdleTimeout, or signed in longer ago than SessionLifetime, is
// ended here. This is the one query of a signed-in page view (plus the
// touch, once a minute).
func (s *Service) SessionUser(ctx context.Context, sessionID string) (db.UserSession, db.User, error) {
	sess, user, err := s.DB.SessionUser(ctx, sessionID)
	if errors.Is(err, db.ErrNotFound) || (err == nil && user.Disabled()) {
		return db.UserSession{}, db.User{}, ErrSessionEnded
	}
	if err != nil {
		return db.UserSession{}, db.User{}, err
	}
	if err := s.keepSessionAlive(ctx, &sess); err != nil {
		return db.UserSession{}, db.User{}, err
	}
	return sess, user, nil
}

// keepSessionAlive ends a session idle for longer than SessionIdleTimeout
// or signed in longer ago than SessionLifetime (ErrSessionEnded), and
// otherwise records activity at most once a minute. Browser sessions and
// token sign-ins go through it alike.
func (s *Service) keepSessionAlive(ctx context.Context, sess *db.UserSession) error {
	now := s.now()
	idle := s.SessionIdleTimeout > 0 && now.Sub(sess.LastSeenAt) > s.SessionIdleTimeout
	expired := s.SessionLifetime > 0 && now.Sub(sess.CreatedAt) > s.SessionLifetime
	if idle || expired {
		if err := s.DB.DeleteUserSessionByID(ctx, sess.ID); err != nil {
			return fmt.Errorf("end stale session: %w", err)
		}
		return ErrSessionEnded
	}
	if now.Sub(sess.LastSeenAt) >= time.Minute {
		if err := s.DB.TouchUserSession(ctx, sess.ID, now); err != nil {
			s.Log.WarnContext(ctx, "touch session", "err", err)
		}
		sess.LastSeenAt = now
	}
	return nil
}

// EndSession forgets the session record of this browser (at sign-out, or
// when it signs in again, perhaps as someone else). The id comes from the
// server-side session, never from a form, so it needs no owner check.
func (s *Service) EndSession(ctx context.Context, sessionID string) error {
	if err := s.DB.InTx(ctx, func(q *db.Queries) error { return s.endSession(ctx, q, sessionID) }); err != nil {
		return fmt.Errorf("end session: %w", err)
	}
	return nil
}

// endSession is EndSession in q's transaction; an empty id ends nothing.
func (s *Service) endSession(ctx context.Context, q *db.Queries, sessionID string) error {
	if sessionID == "" {
		return nil
	}
	userID, err := q.DeleteUserSessionReturningUser(ctx, sessionID)
	if err != nil || userID == 0 {
		return err
	}
	return s.record(ctx, q, userID, entry{kind: KindSignOut})
}

func (s *Service) mailQueued() {
	if s.MailQueued != nil {
		s.MailQueued()
	}
}

// queue renders e and adds it to the outbox inside q's transaction, unless
// the address has had MailLimit messages in the last MailWindow: then it is
// dropped without a word, so nobody can use us to flood an inbox and the
// page does not change.
func (s *Service) queue(ctx context.Context, q *db.Queries, e mail.Email) error {
	ok, err := s.mailAllowed(ctx, q, e.To, false)
	if err != nil || !ok {
		return err
	}
	return s.enqueue(ctx, q, e, false)
}

// mailAllowed reports whether one more message may go to address to now:
// links and other mail share MailLimit per MailWindow, security notices
// have their own allowance (noticeLimit). A refusal is logged with the
// recipient only.
func (s *Service) mailAllowed(ctx context.Context, q *db.Queries, to string, notice bool) (bool, error) {
	if s.MailLimit <= 0 {
		return true, nil
	}
	limit := s.MailLimit
	if notice {
		limit = s.noticeLimit()
	}
	n, err := q.CountMailSince(ctx, to, s.now().Add(-s.MailWindow), notice)
	if err != nil {
		return false, err
	}
	if n >= limit {
		s.Log.InfoContext(ctx, "mail dropped: per-address limit reached", "to", to, "notice", notice)
		return false, nil
	}
	return true, nil
}

// enqueue renders e and inserts it into the outbox, with no limit check.
func (s *Service) enqueue(ctx context.Context, q *db.Queries, e mail.Email, notice bool) error {
	m, err := e.Render()
	if err != nil {
		return err
	}
	return q.EnqueueMail(ctx, m.To, m.Subject, m.Text, m.HTML, s.now(), notice)
}

// allPurposes are the purposes of every kind of link, for retiring them all.
var allPurposes = []string{string(auth.PurposeLogin), string(auth.PurposeResetPassword),
	string(auth.PurposeVerifyEmail), string(auth.PurposeChangeEmail)}

// SetDisabled disables or enables an account, writing nothing to its log
// and sending nothing: the admin area and the command line go through Act
// and OperatorAct, which do both; this is for the tests' setups.
func (s *Service) SetDisabled(ctx context.Context, userID int64, disabled bool) error {
	return s.DB.InTx(ctx, func(q *db.Queries) error {
		if !disabled {
			return q.SetDisabled(ctx, userID, false, s.now())
		}
		return s.disable(ctx, q, userID)
	})
}

// disable disables an account in q's transaction. It ends every session
// (token sign-ins included) and retires every link and personal access
// token at once, so nothing issued before keeps working.
func (s *Service) disable(ctx context.Context, q *db.Queries, userID int64) error {
	if err := q.SetDisabled(ctx, userID, true, s.now()); err != nil {
		return err
	}
	if err := s.endEverySession(ctx, q, userID); err != nil {
		return err
	}
	if err := q.DeleteUserPersonalTokens(ctx, userID); err != nil {
		return err
	}
	return q.DeleteUserTokens(ctx, userID, allPurposes...)
}

// Cleanup deletes what has outlived its use: expired links, sessions past
// their idle timeout or lifetime, delivered mail older than a week, lines
// of the activity log older than ActivityRetention, and accounts never
// confirmed (DeleteUnconfirmedAccounts). Each step runs even
// when another fails; the errors are joined. With several instances on one
// PostgreSQL, one runs it at a time (db.Exclusively) and the others skip
// the round.
func (s *Service) Cleanup(ctx context.Context) error {
	_, err := s.DB.Exclusively(ctx, "cleanup", s.cleanup)
	return err
}

func (s *Service) cleanup(ctx context.Context) error {
	now := s.now()
	start := time.Now()
	var errs []error
	count := func(what string, batch func(limit int) (int64, error)) int64 {
		n, err := s.inBatches(ctx, batch)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", what, err))
		}
		return n
	}
	tokens := count("expired links", func(limit int) (int64, error) { return s.DB.DeleteExpiredTokens(ctx, now, limit) })
	sessions := count("expired sessions", func(limit int) (int64, error) { return s.DB.DeleteExpiredSessions(ctx, now, limit) })
	records := count("stale session records", func(limit int) (int64, error) {
		return s.DB.DeleteStaleUserSessions(ctx, before(now, s.SessionIdleTimeout), before(now, s.SessionLifetime), limit)
	})
	mail := count("old mail", func(limit int) (int64, error) { return s.DB.DeleteOldMail(ctx, now.Add(-7*24*time.Hour), limit) })
	users := count("unconfirmed accounts", func(limit int) (int64, error) { return s.deleteUnconfirmed(ctx, now, limit) })
	if users > 0 {
		s.Log.InfoContext(ctx, "deleted unconfirmed accounts", "count", users)
	}
	// Rows with no batch of their own yet: few per user, bounded by use.
	if err := s.DB.DeleteExpiredAPITokens(ctx, now); err != nil {
		errs = append(errs, err)
	}
	if err := s.DB.DeleteExpiredSecondFactorRows(ctx, now, now.Add(-CodeWindow)); err != nil {
		errs = append(errs, err)
	}
	if err := s.DB.DeleteOldPasswordFailures(ctx, now.Add(-guessWindow)); err != nil {
		errs = append(errs, err)
	}
	if _, err := s.DeleteOldActivity(ctx); err != nil {
		errs = append(errs, err)
	}
	if tokens+sessions+records+mail+users > 0 {
		s.Log.InfoContext(ctx, "cleanup done", "links", tokens, "sessions", sessions, "session_records", records,
			"mail", mail, "unconfirmed_accounts", users, "took", time.Since(start).Round(time.Millisecond))
	}
	return errors.Join(errs...)
}

// Cleanup batches: a batch is one short write transaction, and the pause
// after it, at least twice as long as the batch took, leaves the single
// writer and most of a core to the requests whatever the machine's speed,
// so a cleanup of a million rows never stalls a page (the bench's cleanup
// scenario measures it; it then takes a minute or two, in the background).
// Config.CleanupBatch and CleanupPause override them in tests.
const (
	defaultCleanupBatch = 500
	defaultCleanupPause = 5 * time.Millisecond
)

// inBatches calls batch until it deletes fewer rows than the batch size,
// pausing between calls, and returns the total deleted.
func (s *Service) inBatches(ctx context.Context, batch func(limit int) (int64, error)) (int64, error) {
	limit, pause := s.CleanupBatch, s.CleanupPause
	if limit <= 0 {
		limit = defaultCleanupBatch
	}
	if pause <= 0 {
		pause = defaultCleanupPause
	}
	var total int64
	for {
		start := time.Now()
		n, err := batch(limit)
		total += n
		if err != nil || n < int64(limit) {
			return total, err
		}
		select {
		case <-ctx.Done():
			return total, ctx.Err()
		case <-time.After(max(pause, 2*time.Since(start))):
		}
	}
}

// before is now less d, or the zero time (older than every row) when d is
// 0, which means "never".
func before(now time.Time, d time.Duration) time.Time {
	if d <= 0 {
		return time.Time{}
	}
	return now.Add(-d)
}

// DeleteUnconfirmedAccounts deletes the accounts whose address was not
// confirmed within UnconfirmedTTL of signing up, so an address someone
// registered without owning it is free again. It returns how many went.
func (s *Service) DeleteUnconfirmedAccounts(ctx context.Context) (int64, error) {
	now := s.now()
	return s.inBatches(ctx, func(limit int) (int64, error) { return s.deleteUnconfirmed(ctx, now, limit) })
}

func (s *Service) deleteUnconfirmed(ctx context.Context, now time.Time, limit int) (int64, error) {
	if s.UnconfirmedTTL <= 0 {
		return 0, nil
	}
	return s.DB.DeleteUnconfirmedUsers(ctx, now.Add(-s.UnconfirmedTTL), limit)
}

// ErrNoAccount: no account has that address (for the operator's commands;
// pages never say so).
var ErrNoAccount = errors.New("no account has that address")

// ListUsers is every account, for the operator.
func (s *Service) ListUsers(ctx context.Context) ([]db.User, error) {
	users, err := s.DB.ListUsers(ctx)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return users, nil
}

// FindUser is the account with this address (any spelling of it), or
// ErrNoAccount, for the operator.
func (s *Service) FindUser(ctx context.Context, email string) (db.User, error) {
	u, err := s.DB.UserByEmail(ctx, auth.NormalizeEmail(email))
	if errors.Is(err, db.ErrNotFound) {
		return db.User{}, ErrNoAccount
	}
	if err != nil {
		return db.User{}, fmt.Errorf("find user: %w", err)
	}
	return u, nil
}

// CreateUserWithLink creates a password-less account for an operator and
// returns a sign-in link for it (not emailed).
func (s *Service) CreateUserWithLink(ctx context.Context, name, email string) (db.User, string, error) {
	if err := checkName(name); err != nil {
		return db.User{}, "", fmt.Errorf("create user: %w", err)
	}
	text, hash, err := auth.NewToken()
	if err != nil {
		return db.User{}, "", err
	}
	var user db.User
	now := s.now()
	err = s.DB.InTx(ctx, func(q *db.Queries) error {
		user, err = q.CreateUser(ctx, name, auth.NormalizeEmail(email), "", now)
		if err != nil {
			return err
		}
		return q.CreateToken(ctx, hash, string(auth.PurposeLogin), user.ID, user.Email, now, now.Add(s.TTL.Login))
	})
	if err != nil {
		return db.User{}, "", fmt.Errorf("create user: %w", err)
	}
	return user, s.link(linkPaths[auth.PurposeLogin], url.Values{"token": {text}}), nil
}
