package accounts

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"time"

	"latchkey/auth"
	"latchkey/db"
)

// The per-account guessing defence. Besides the per-IP and per-(IP, email)
// buckets of the handlers, the wrong passwords given for one address from
// every IP together slow that address's password sign-ins: none for the
// first freeGuesses of a run, then a wait before the next attempt that
// doubles with each failure, up to maxGuessWait. A run ends after
// guessWindow without a failure. The owner is told once, when the slow-down
// starts. The emailed link, passkeys and providers never pass here, so the
// owner can always get in; and it is never a lockout: whoever waits the
// time they are told may try again.
//
// An attempt inside the wait is refused with SlowDownError before any hash
// is spent, rather than held and then checked. A held request slows a
// parallel attacker not at all (a thousand requests would wait together and
// then all be checked) and ties up a connection each; a refusal costs one
// read, lets one guess through per wait however many addresses send them,
// and tells the owner exactly when to try again (429, Retry-After).
//
// Addresses are counted whether or not they have an account, so that the
// answers do not tell which do.
const (
	freeGuesses  = 10
	maxGuessWait = 30 * time.Second
	guessWindow  = 15 * time.Minute
)

// SlowDownError is a password attempt refused because the account is
// being guessed at: try again after Wait.
type SlowDownError struct{ Wait time.Duration }

func (e *SlowDownError) Error() string {
	return fmt.Sprintf("password sign-ins to this account are slowed down: try again in %s", e.Wait)
}

// guessWait is the wait that failures failed passwords in a run impose
// after the last of them.
func guessWait(failures int) time.Duration {
	if failures < freeGuesses {
		return 0
	}
	wait := time.Second
	for i := freeGuesses; i < failures && wait < maxGuessWait; i++ {
		wait *= 2
	}
	return min(wait, maxGuessWait)
}

// guessKey is the row of an address: its canonical key, hashed. ok is
// false for an address without a key, which the forms refuse anyway.
func guessKey(email string) (string, bool) {
	key, err := auth.EmailKey(email)
	if err != nil {
		return "", false
	}
	sum := sha256.Sum256([]byte(key))
	return base64.RawURLEncoding.EncodeToString(sum[:]), true
}

// guessingWait is how long the run of failures f makes a password attempt
// wait at now; 0 when it may be tried.
//
// The last failure may have been counted by another instance whose clock
// is a little ahead: the wait is never more than the run's own, and a run
// still in its free attempts never waits at all.
func guessingWait(f db.PasswordFailures, now time.Time) time.Duration {
	d := guessWait(f.Failures)
	if d == 0 {
		return 0
	}
	return min(d, max(0, f.LastFailure.Add(d).Sub(now)))
}

// guessFailed counts a wrong password for email (user is its account, or
// zero), and tells the owner once when this failure starts the slow-down.
// A failure to count or to tell is logged, not returned: the answer to the
// attempt is the same either way.
func (s *Service) guessFailed(ctx context.Context, email string, user db.User, o Origin) {
	key, ok := guessKey(email)
	if !ok {
		return
	}
	now := s.now()
	f, err := s.DB.AddPasswordFailure(ctx, key, now, now.Add(-guessWindow))
	if err != nil {
		s.Log.WarnContext(ctx, "count failed password", "err", err)
		return
	}
	if f.Failures < freeGuesses || f.Noticed || user.ID == 0 || !user.Verified() {
		return
	}
	err = s.DB.InTx(ctx, func(q *db.Queries) error {
		first, err := q.MarkPasswordFailuresNoticed(ctx, key)
		if err != nil || !first {
			return err
		}
		return s.notify(ctx, q, user.Email, greeting(user, user.Email), "Someone is guessing your "+s.appName()+" password",
			fmt.Sprintf("%d wrong passwords have been tried for your account in the last minutes, so signing in with a password is slowed down for a while. "+
				"You can still sign in at once with a link sent to this address. Nobody got in with a wrong password.", f.Failures), o)
	})
	if err != nil {
		s.Log.WarnContext(ctx, "notify password guessing", "err", err)
		return
	}
	s.mailQueued()
}
