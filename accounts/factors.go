package accounts

import (
	"context"
	"errors"
	"fmt"
	"time"

	"latchkey/auth"
	"latchkey/db"
)

// The second factor: an authenticator app (TOTP), its recovery codes, and
// the browsers that need not be asked again for a while. The rules are
// docs/ARCHITECTURE.md's "Second factor".

// Limits of the second factor.
const (
	// CodeLimit wrong codes per account within CodeWindow (enrolment
	// tries included), and per sign-in attempt, end in a refusal.
	CodeLimit  = 5
	CodeWindow = 15 * time.Minute
	// DeviceMarkLifetime is how long a remembered browser is not asked.
	DeviceMarkLifetime = 30 * 24 * time.Hour
	// qrSize is the QR code's side in pixels.
	qrSize = 240
)

var (
	// ErrWrongCode: the code is not the current one, was used already
	// (a replay counts as wrong), or is not a recovery code of the account.
	ErrWrongCode = errors.New("wrong or used code")
	// ErrMalformedCode is a code of neither shape (six digits, or a
	// recovery code). It is also an ErrWrongCode, but it counts toward no
	// limit: it cannot be a guess.
	ErrMalformedCode = fmt.Errorf("%w: not a code", ErrWrongCode)
	// ErrTooManyCodes: CodeLimit wrong codes within CodeWindow; a
	// *CodeLimitError says how long to wait.
	ErrTooManyCodes = errors.New("too many wrong codes")
	// ErrNoSecondFactor: the account has no factor turned on (or, at
	// enrolment, none waiting for its first code).
	ErrNoSecondFactor = errors.New("second factor not turned on")
	// ErrFactorOn: enrolment was asked for a factor that is already on.
	ErrFactorOn = errors.New("second factor already turned on")
)

// CodeLimitError is ErrTooManyCodes with the wait until the oldest wrong
// code stops counting.
type CodeLimitError struct{ Wait time.Duration }

func (e *CodeLimitError) Error() string { return ErrTooManyCodes.Error() }
func (e *CodeLimitError) Unwrap() error { return ErrTooManyCodes }

// secretsOrErr is the key material of the factor, or auth.ErrNoSecretKey
// when no SECRET_KEY was given.
func (s *Service) secretsOrErr() (*auth.Secrets, error) {
	if s.secrets == nil {
		return nil, auth.ErrNoSecretKey
	}
	return s.secrets, nil
}

// SecondFactorEnabled reports whether the user's second factor is on.
func (s *Service) SecondFactorEnabled(ctx context.Context, userID int64) (bool, error) {
	on, err := s.DB.SecondFactorEnabled(ctx, userID)
	if err != nil {
		return false, fmt.Errorf("second factor: %w", err)
	}
	return on, nil
}

// FactorStatus is what the settings pages show of the second factor.
type FactorStatus struct {
	Enabled      bool
	RecoveryLeft int
}

// SecondFactorStatus is whether the factor is on and how many recovery
// codes are left.
func (s *Service) SecondFactorStatus(ctx context.Context, userID int64) (FactorStatus, error) {
	on, err := s.SecondFactorEnabled(ctx, userID)
	if err != nil || !on {
		return FactorStatus{}, err
	}
	n, err := s.DB.CountRecoveryCodes(ctx, userID)
	if err != nil {
		return FactorStatus{}, fmt.Errorf("second factor: %w", err)
	}
	return FactorStatus{Enabled: true, RecoveryLeft: n}, nil
}

// Enrolment is what the enrolment page shows: the secret to type, and the
// QR code (a PNG) of its otpauth:// URL.
type Enrolment struct {
	Secret string
	QRCode []byte
}

// BeginEnrolment returns the secret of the user's enrolment, making one
// when none is waiting: a reload of the page shows the same secret, so an
// app that scanned it keeps working. It stays off until ConfirmEnrolment.
func (s *Service) BeginEnrolment(ctx context.Context, user db.User) (Enrolment, error) {
	sec, err := s.secretsOrErr()
	if err != nil {
		return Enrolment{}, err
	}
	f, err := s.DB.SecondFactor(ctx, user.ID)
	switch {
	case err == nil && f.Enabled():
		return Enrolment{}, ErrFactorOn
	case err == nil:
		if secret, err := sec.Open(user.ID, f.Sealed); err == nil {
			return s.enrolment(user, secret)
		}
		// A secret sealed with another key: start again.
	case !errors.Is(err, db.ErrNotFound):
		return Enrolment{}, fmt.Errorf("begin enrolment: %w", err)
	}
	key, err := auth.NewTOTPKey(s.appName(), user.Email)
	if err != nil {
		return Enrolment{}, err
	}
	sealed, err := sec.Seal(user.ID, key.Secret)
	if err != nil {
		return Enrolment{}, err
	}
	started, err := s.DB.StartSecondFactor(ctx, user.ID, sealed, s.now())
	if err != nil {
		return Enrolment{}, fmt.Errorf("begin enrolment: %w", err)
	}
	if !started {
		return Enrolment{}, ErrFactorOn
	}
	return s.enrolment(user, key.Secret)
}

func (s *Service) enrolment(user db.User, secret string) (Enrolment, error) {
	url, err := auth.TOTPURL(s.appName(), user.Email, secret)
	if err != nil {
		return Enrolment{}, err
	}
	png, err := auth.TOTPQRCode(url, qrSize)
	if err != nil {
		return Enrolment{}, err
	}
	return Enrolment{Secret: secret, QRCode: png}, nil
}

// checkCodeLimit is a *CodeLimitError once the account has had CodeLimit
// wrong codes within CodeWindow.
func (s *Service) checkCodeLimit(ctx context.Context, userID int64) error {
	now := s.now()
	n, oldest, err := s.DB.SecondFactorFailures(ctx, userID, now.Add(-CodeWindow))
	if err != nil {
		return err
	}
	if n >= CodeLimit {
		return &CodeLimitError{Wait: max(time.Second, oldest.Add(CodeWindow).Sub(now))}
	}
	return nil
}

// codeFailed counts a wrong code, and answers it: ErrWrongCode, or the
// limit's error when this one reached it.
func (s *Service) codeFailed(ctx context.Context, userID int64) error {
	now := s.now()
	if err := s.DB.RecordSecondFactorFailure(ctx, userID, now, now.Add(-CodeWindow)); err != nil {
		return err
	}
	if err := s.checkCodeLimit(ctx, userID); err != nil {
		return err
	}
	return ErrWrongCode
}

// ConfirmEnrolment turns the waiting factor on when code is the app's
// current one, and returns the ten recovery codes to show, once. The
// code's time step counts as used. A wrong code counts toward the limit.
func (s *Service) ConfirmEnrolment(ctx context.Context, user db.User, code string, o Origin) ([]string, error) {
	sec, err := s.secretsOrErr()
	if err != nil {
		return nil, err
	}
	clean := auth.CleanCode(code)
	if !auth.IsTOTPCode(clean) {
		return nil, ErrMalformedCode
	}
	if err := s.checkCodeLimit(ctx, user.ID); err != nil {
		return nil, err
	}
	f, err := s.DB.SecondFactor(ctx, user.ID)
	switch {
	case errors.Is(err, db.ErrNotFound):
		return nil, ErrNoSecondFactor
	case err != nil:
		return nil, fmt.Errorf("confirm enrolment: %w", err)
	case f.Enabled():
		return nil, ErrFactorOn
	}
	secret, err := sec.Open(user.ID, f.Sealed)
	if err != nil {
		return nil, ErrNoSecondFactor
	}
	step, ok := auth.CheckTOTP(secret, clean, s.now(), f.LastStep)
	if !ok {
		return nil, s.codeFailed(ctx, user.ID)
	}
	codes, hashes, err := s.newRecoveryCodes(user.ID)
	if err != nil {
		return nil, err
	}
	err = s.DB.InTx(ctx, func(q *db.Queries) error {
		on, err := q.EnableSecondFactor(ctx, user.ID, step, s.now())
		if err != nil {
			return err
		}
		if !on {
			return ErrWrongCode // another request used this step first
		}
		if err := q.ReplaceRecoveryCodes(ctx, user.ID, hashes); err != nil {
			return err
		}
		if err := q.ClearSecondFactorFailures(ctx, user.ID); err != nil {
			return err
		}
		if err := s.record(ctx, q, user.ID, entry{kind: KindSecondFactorOn, origin: &o}); err != nil {
			return err
		}
		return s.notify(ctx, q, user.Email, greeting(user, user.Email), "Two-step verification was turned on",
			"Two-step verification with an authenticator app was turned on for your "+s.appName()+" account. Signing in now needs a code from the app, or a recovery code.", o)
	})
	if errors.Is(err, ErrWrongCode) {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("confirm enrolment: %w", err)
	}
	s.mailQueued()
	return codes, nil
}

func (s *Service) newRecoveryCodes(userID int64) (codes []string, hashes [][]byte, err error) {
	sec, err := s.secretsOrErr()
	if err != nil {
		return nil, nil, err
	}
	codes, err = auth.NewRecoveryCodes()
	if err != nil {
		return nil, nil, err
	}
	for _, c := range codes {
		hashes = append(hashes, sec.HashRecoveryCode(userID, auth.CleanCode(c)))
	}
	return codes, hashes, nil
}

// RegenerateRecoveryCodes replaces the user's recovery codes with ten new
// ones (the old stop working) and returns them, to show once.
func (s *Service) RegenerateRecoveryCodes(ctx context.Context, userID int64) ([]string, error) {
	on, err := s.SecondFactorEnabled(ctx, userID)
	if err != nil {
		return nil, err
	}
	if !on {
		return nil, ErrNoSecondFactor
	}
	codes, hashes, err := s.newRecoveryCodes(userID)
	if err != nil {
		return nil, err
	}
	if err := s.DB.InTx(ctx, func(q *db.Queries) error {
		if err := q.ReplaceRecoveryCodes(ctx, userID, hashes); err != nil {
			return err
		}
		return s.record(ctx, q, userID, entry{kind: KindRecoveryCodesNew})
	}); err != nil {
		return nil, fmt.Errorf("new recovery codes: %w", err)
	}
	return codes, nil
}

// VerifySecondFactor checks a code of the user's second factor: a code of
// the authenticator app (whose time step then counts as used) or a
// recovery code (then used up, and the owner told). Wrong and replayed
// codes are ErrWrongCode and count toward the per-account limit; past it
// the answer is ErrTooManyCodes (a *CodeLimitError), whatever the code.
func (s *Service) VerifySecondFactor(ctx context.Context, userID int64, code string) error {
	_, err := s.VerifySecondFactorFrom(ctx, userID, code, Origin{})
	return err
}

// VerifySecondFactorFrom is VerifySecondFactor with where the request came
// from, for the notice of a used recovery code; recovery reports whether a
// recovery code was used.
func (s *Service) VerifySecondFactorFrom(ctx context.Context, userID int64, code string, o Origin) (recovery bool, err error) {
	_, recovery, err = s.checkSecondFactor(ctx, userID, code, o, nil)
	if errors.Is(err, ErrNoAccount) {
		return false, ErrNoSecondFactor
	}
	return recovery, err
}

// SignedIn is a sign-in whose session record is written: the account, and
// the record, whose id the browser's session is to carry.
type SignedIn struct {
	User    db.User
	Session db.UserSession
}

// SecondStep is a sign-in that waits for its second factor: whose, how
// the first factor was given, the code, and the session record this
// browser was signed in to until now, if any.
type SecondStep struct {
	UserID int64
	// Method is the activity log's method of the first factor
	// (MethodPassword, MethodLink, MethodProvider+id).
	Method string
	Code   string
	// Replaces is ended in the sign-in's transaction, its sign-out line
	// written before the sign-in's, as EndSession would.
	Replaces string
}

// CompleteSecondStep checks the code of a sign-in waiting for its second
// factor, as VerifySecondFactorFrom does, and when it is right opens the
// signed-in session in the same transaction that uses the code up (the
// time step claimed, or the recovery code spent with its notice): the
// record and the sign-in's line of the activity log. Of two requests with
// one code exactly one opens a session; the other is ErrWrongCode and
// counts as a wrong code. A factor turned off since the first factor
// needs no code: that proof is enough. The account must still exist
// (ErrNoAccount) and not be disabled (ErrDisabled); then nothing is
// written and the code is not used up.
func (s *Service) CompleteSecondStep(ctx context.Context, st SecondStep, o Origin) (in SignedIn, recovery bool, err error) {
	open := func(q *db.Queries, u db.User) error {
		if u.Disabled() {
			return ErrDisabled
		}
		if err := s.endSession(ctx, q, st.Replaces); err != nil {
			return err
		}
		sess, err := s.openSession(ctx, q, u.ID, db.SessionBrowser, st.Method, o)
		in = SignedIn{User: u, Session: sess}
		return err
	}
	u, recovery, err := s.checkSecondFactor(ctx, st.UserID, st.Code, o, open)
	if errors.Is(err, ErrNoSecondFactor) {
		err = s.DB.InTx(ctx, func(q *db.Queries) error { return open(q, u) })
	}
	switch {
	case errors.Is(err, ErrDisabled):
		return SignedIn{}, false, ErrDisabled
	case err != nil:
		return SignedIn{}, false, err
	}
	return in, recovery, nil
}

// errStepTaken: another request claimed the time step between the read
// and the claim.
var errStepTaken = errors.New("time step used meanwhile")

// checkSecondFactor checks code against userID's second factor and uses
// it up. With open, that happens in one transaction with open's writes,
// which may refuse (then nothing is used up); without, a code of the app
// costs one statement. It returns the account (read with the factor, in
// the same query) and, with no factor on, ErrNoSecondFactor with it.
func (s *Service) checkSecondFactor(ctx context.Context, userID int64, code string, o Origin, open func(q *db.Queries, u db.User) error) (db.User, bool, error) {
	sec, err := s.secretsOrErr()
	if err != nil {
		return db.User{}, false, err
	}
	clean := auth.CleanCode(code)
	totpShape, recoveryShape := auth.IsTOTPCode(clean), auth.IsRecoveryCode(clean)
	if !totpShape && !recoveryShape {
		return db.User{}, false, ErrMalformedCode
	}
	// One read for the account, the limit and the factor; then one write
	// transaction for the code and, with open, the sign-in it opens.
	now := s.now()
	user, f, failures, oldest, err := s.DB.SecondStepOf(ctx, userID, now.Add(-CodeWindow))
	switch {
	case errors.Is(err, db.ErrNotFound):
		return db.User{}, false, ErrNoAccount
	case err != nil:
		return db.User{}, false, fmt.Errorf("verify code: %w", err)
	case f.UserID == 0:
		return user, false, ErrNoSecondFactor
	case failures >= CodeLimit:
		return db.User{}, false, &CodeLimitError{Wait: max(time.Second, oldest.Add(CodeWindow).Sub(now))}
	case !f.Enabled():
		return user, false, ErrNoSecondFactor
	}
	if totpShape {
		secret, err := sec.Open(userID, f.Sealed)
		if err != nil {
			return db.User{}, false, fmt.Errorf("verify code: %w", err)
		}
		step, ok := auth.CheckTOTP(secret, clean, now, f.LastStep)
		if !ok {
			return db.User{}, false, s.codeFailed(ctx, userID)
		}
		// The step is claimed in one statement: of two requests with the
		// same code, one wins, and the other counts as a wrong code.
		claim := func(q *db.Queries) error {
			ok, err := q.UseTOTPStep(ctx, userID, step)
			switch {
			case err != nil:
				return err
			case !ok:
				return errStepTaken
			case failures > 0:
				if err := q.ClearSecondFactorFailures(ctx, userID); err != nil {
					return err
				}
			}
			if open != nil {
				return open(q, user)
			}
			return nil
		}
		if open == nil {
			err = claim(&s.DB.Queries)
		} else {
			err = s.DB.InTx(ctx, claim)
		}
		switch {
		case errors.Is(err, errStepTaken):
			return db.User{}, false, s.codeFailed(ctx, userID)
		case errors.Is(err, ErrDisabled):
			return db.User{}, false, err
		case err != nil:
			return db.User{}, false, fmt.Errorf("verify code: %w", err)
		}
		return user, false, nil
	}
	var used bool
	err = s.DB.InTx(ctx, func(q *db.Queries) error {
		if used, err = q.UseRecoveryCode(ctx, userID, sec.HashRecoveryCode(userID, clean)); err != nil || !used {
			return err
		}
		left, err := q.CountRecoveryCodes(ctx, userID)
		if err != nil {
			return err
		}
		if err := q.ClearSecondFactorFailures(ctx, userID); err != nil {
			return err
		}
		if err := s.record(ctx, q, userID, entry{kind: KindRecoveryCodeUsed, origin: &o}); err != nil {
			return err
		}
		if err := s.notify(ctx, q, user.Email, greeting(user, user.Email), "A recovery code was used",
			fmt.Sprintf("One of the recovery codes of your %s account was just used to sign in. %s left.", s.appName(), codesLeft(left)), o); err != nil {
			return err
		}
		if open != nil {
			return open(q, user)
		}
		return nil
	})
	switch {
	case errors.Is(err, ErrDisabled):
		return db.User{}, false, err
	case err != nil:
		return db.User{}, false, fmt.Errorf("verify code: %w", err)
	case !used:
		return db.User{}, false, s.codeFailed(ctx, userID)
	}
	s.mailQueued()
	return user, true, nil
}

func codesLeft(n int) string {
	switch n {
	case 0:
		return "No recovery codes are"
	case 1:
		return "1 recovery code is"
	}
	return fmt.Sprintf("%d recovery codes are", n)
}

// DisableSecondFactor turns the user's second factor off: the secret, the
// recovery codes and every remembered browser are forgotten, and the
// owner is told. It is ErrNoSecondFactor when none was on.
func (s *Service) DisableSecondFactor(ctx context.Context, user db.User, o Origin) error {
	err := s.DB.InTx(ctx, func(q *db.Queries) error {
		was, err := q.DeleteSecondFactor(ctx, user.ID)
		if err != nil {
			return err
		}
		if !was {
			return ErrNoSecondFactor
		}
		if err := s.record(ctx, q, user.ID, entry{kind: KindSecondFactorOff, origin: &o}); err != nil {
			return err
		}
		return s.notify(ctx, q, user.Email, greeting(user, user.Email), "Two-step verification was turned off",
			"Two-step verification was turned off for your "+s.appName()+" account: signing in no longer asks for a code.", o)
	})
	if errors.Is(err, ErrNoSecondFactor) {
		return err
	}
	if err != nil {
		return fmt.Errorf("turn off second factor: %w", err)
	}
	s.mailQueued()
	return nil
}

// RememberDevice marks a browser that passed the second factor so it is
// not asked again for DeviceMarkLifetime; it returns the token for its
// cookie (only its hash is kept).
func (s *Service) RememberDevice(ctx context.Context, userID int64, ip string) (string, error) {
	text, hash, err := auth.NewDeviceMark()
	if err != nil {
		return "", fmt.Errorf("remember device: %w", err)
	}
	now := s.now()
	if err := s.DB.CreateRememberedDevice(ctx, hash, userID, ip, now, now.Add(DeviceMarkLifetime)); err != nil {
		return "", err
	}
	return text, nil
}

// DeviceRemembered reports whether a browser's mark is a live one of this
// user. The first time a mark is used from an address it has not been
// used from, the owner is told.
func (s *Service) DeviceRemembered(ctx context.Context, user db.User, mark string, o Origin) (bool, error) {
	hash, err := auth.ParseDeviceMark(mark)
	if err != nil {
		return false, nil
	}
	uid, err := s.DB.RememberedDeviceUser(ctx, hash, s.now())
	if errors.Is(err, db.ErrNotFound) || (err == nil && uid != user.ID) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	err = s.DB.InTx(ctx, func(q *db.Queries) error {
		fresh, err := q.AddRememberedDeviceIP(ctx, hash, o.IP)
		if err != nil || !fresh {
			return err
		}
		return s.notify(ctx, q, user.Email, greeting(user, user.Email), "A remembered browser signed in from a new address",
			"Your "+s.appName()+" account was signed in to without a code, from a browser you told us to remember, at an address it had not been used from before.", o)
	})
	if err != nil {
		return false, fmt.Errorf("remembered device: %w", err)
	}
	s.mailQueued()
	return true, nil
}
