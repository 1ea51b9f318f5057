package accounts

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"latchkey/db"
)

// ActivityKind is what a line of the security activity log records.
type ActivityKind string

// Every kind the log knows (DESIGN.md, "Roles, admin area and activity").
// The second factor, passkeys and tokens are built apart: their kinds and
// words are here already, so their code only calls s.record.
const (
	KindSignIn               ActivityKind = "sign_in"
	KindSignInFailed         ActivityKind = "sign_in_failed"
	KindSignOut              ActivityKind = "sign_out"
	KindNameChanged          ActivityKind = "name_changed"
	KindPasswordChanged      ActivityKind = "password_changed"
	KindPasswordReset        ActivityKind = "password_reset"
	KindEmailChanged         ActivityKind = "email_changed"
	KindSessionEnded         ActivityKind = "session_ended"
	KindProviderConnected    ActivityKind = "provider_connected"
	KindProviderDisconnected ActivityKind = "provider_disconnected"
	KindSecondFactorOn       ActivityKind = "second_factor_on"
	KindSecondFactorOff      ActivityKind = "second_factor_off"
	KindRecoveryCodesNew     ActivityKind = "recovery_codes_new"
	KindRecoveryCodeUsed     ActivityKind = "recovery_code_used"
	KindPasskeyAdded         ActivityKind = "passkey_added"
	KindPasskeyRemoved       ActivityKind = "passkey_removed"
	KindTokenCreated         ActivityKind = "token_created"
	KindTokenRevoked         ActivityKind = "token_revoked"
	// The admin area's actions, with the administrator as actor.
	KindAccountDisabled    ActivityKind = "account_disabled"
	KindAccountEnabled     ActivityKind = "account_enabled"
	KindSignedOutAll       ActivityKind = "signed_out_everywhere"
	KindSecondFactorReset  ActivityKind = "second_factor_reset"
	KindConfirmationResent ActivityKind = "confirmation_resent"
	// KindRoleChanged is "latchkey user promote|demote", the new role in
	// Detail.
	KindRoleChanged ActivityKind = "role_changed"
	// KindAccountDeleted is written to the administrator's own log (the
	// deleted account's log goes with it), naming the address in Detail.
	KindAccountDeleted ActivityKind = "account_deleted"
)

// activityWords say each kind in plain words, as /settings/activity shows
// it; %s is the line's detail (a provider's name, an address).
var activityWords = map[ActivityKind]string{
	KindSignIn:               "Signed in",
	KindSignInFailed:         "Failed sign-in: wrong password",
	KindSignOut:              "Signed out",
	KindNameChanged:          "Changed the name",
	KindPasswordChanged:      "Changed the password",
	KindPasswordReset:        "Reset the password with an emailed link",
	KindEmailChanged:         "Changed the email address to %s",
	KindSessionEnded:         "Ended a session",
	KindProviderConnected:    "Connected %s",
	KindProviderDisconnected: "Disconnected %s",
	KindSecondFactorOn:       "Turned on the authenticator app",
	KindSecondFactorOff:      "Turned off the authenticator app",
	KindRecoveryCodesNew:     "Made new recovery codes",
	KindRecoveryCodeUsed:     "Used a recovery code",
	KindPasskeyAdded:         "Added a passkey",
	KindPasskeyRemoved:       "Removed a passkey",
	KindTokenCreated:         "Made an access token",
	KindTokenRevoked:         "Revoked an access token",
	KindAccountDisabled:      "Disabled the account",
	KindAccountEnabled:       "Enabled the account",
	KindSignedOutAll:         "Signed out every session",
	KindSecondFactorReset:    "Reset the second factor",
	KindConfirmationResent:   "Sent a new confirmation link",
	KindRoleChanged:          "Changed the role to %s",
	KindAccountDeleted:       "Deleted the account of %s",
}

// Kinds is every kind of activity, for the tests that check each has words.
func Kinds() []ActivityKind {
	out := make([]ActivityKind, 0, len(activityWords))
	for k := range activityWords {
		out = append(out, k)
	}
	return out
}

// The methods of a sign-in.
const (
	MethodPassword = "password"
	MethodLink     = "link"
	MethodPasskey  = "passkey"
	MethodToken    = "token"
	// MethodProvider prefixes a provider's id: "provider:github".
	MethodProvider = "provider:"
)

// originKey carries the request's Origin in its context.
type originKey struct{}

// WithOrigin is ctx carrying o, where the request came from: every line of
// the activity log written under it names o's device and IP. The HTTP
// layer sets it once per request, so the domain functions keep their
// signatures; the command line's lines have none.
func WithOrigin(ctx context.Context, o Origin) context.Context {
	return context.WithValue(ctx, originKey{}, o)
}

func originOf(ctx context.Context) Origin {
	o, _ := ctx.Value(originKey{}).(Origin)
	return o
}

// entry is one line about to be written.
type entry struct {
	kind      ActivityKind
	method    string
	sessionID string
	detail    string
	actor     db.User // zero: the user themself, or the operator
	// operator: the operator did it from the command line (see
	// operatorActor); the line names no device or IP.
	operator bool
	origin   *Origin // nil: the request's (originOf)
}

// record writes a line of userID's log in q's transaction, so it commits
// with the change it records, or not at all.
func (s *Service) record(ctx context.Context, q *db.Queries, userID int64, e entry) error {
	return q.AddActivity(ctx, s.activityLine(ctx, userID, e))
}

// activityLine is the line record writes for e.
func (s *Service) activityLine(ctx context.Context, userID int64, e entry) db.Activity {
	o := originOf(ctx)
	if e.origin != nil {
		o = *e.origin
	}
	a := db.Activity{UserID: userID, Kind: string(e.kind), Method: e.method, SessionID: e.sessionID,
		Detail: limitText(e.detail, 254), IP: limitText(o.IP, 64), CreatedAt: s.now()}
	if o.UserAgent != "" {
		a.Device = o.Device()
	}
	switch {
	case e.actor.ID != 0:
		a.ActorID, a.ActorEmail = e.actor.ID, e.actor.Email
	case e.operator:
		// The command line has no browser or client address to show: its
		// "origin" only tells the notices where the change came from.
		a.ActorEmail, a.Device, a.IP = operatorActor, "", ""
	}
	return a
}

// operatorActor is the actor_email of a line the operator wrote from the
// command line, whose actor_id is NULL: there is no user row to name, and
// no column for a kind of actor without a migration. It has no @, so no
// account's address can be it, and a line is read as the operator's only
// when actor_id is NULL too: an administrator's line always has theirs.
const operatorActor = "(command line)"

// recordNow is record in a transaction of its own, for what changes
// nothing else (a failed sign-in).
func (s *Service) recordNow(ctx context.Context, userID int64, e entry) error {
	return s.DB.InTx(ctx, func(q *db.Queries) error { return s.record(ctx, q, userID, e) })
}

func limitText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n]
	for len(s) > 0 && !validTail(s) {
		s = s[:len(s)-1]
	}
	return s
}

func validTail(s string) bool { return strings.ToValidUTF8(s, "") == s }

// ActivityLine is a line of the log in plain words, as the pages show it.
type ActivityLine struct {
	ID int64
	// What is what happened ("Signed in with a passkey"), By who did it
	// when it was not the user ("an administrator (ada@example.com)").
	What, By string
	Device   string
	IP       string
	At       time.Time
	// SessionID is the session a sign-in started (for "this wasn't me"),
	// and Live whether that session still exists.
	SessionID string
	Live      bool
	SignIn    bool
}

// Words is the line in plain words, the parts joined by dashes:
// "Signed in with a passkey — Firefox on macOS — 203.0.113.7".
func (l ActivityLine) Words() string {
	parts := []string{l.What}
	if l.By != "" {
		parts = append(parts, "by "+l.By)
	}
	if l.Device != "" {
		parts = append(parts, l.Device)
	}
	if l.IP != "" {
		parts = append(parts, l.IP)
	}
	return strings.Join(parts, " — ")
}

// describe turns a stored line into words.
func (s *Service) describe(a db.Activity) ActivityLine {
	l := ActivityLine{ID: a.ID, Device: a.Device, IP: a.IP, At: a.CreatedAt, SessionID: a.SessionID, Live: a.Live,
		SignIn: a.Kind == string(KindSignIn)}
	words, ok := activityWords[ActivityKind(a.Kind)]
	if !ok {
		words = "Something changed"
	}
	if strings.Contains(words, "%s") {
		words = fmt.Sprintf(words, a.Detail)
	}
	if a.Kind == string(KindSignIn) {
		words += " " + s.methodWords(a.Method)
	}
	l.What = words
	switch {
	case a.ActorID != 0:
		l.By = "an administrator (" + a.ActorEmail + ")"
	case a.ActorEmail == operatorActor:
		l.By = "the operator (command line)"
	}
	return l
}

// methodWords says how a sign-in was made: "with a password".
func (s *Service) methodWords(method string) string {
	switch {
	case method == MethodPassword:
		return "with a password"
	case method == MethodLink:
		return "with an emailed link"
	case method == MethodPasskey:
		return "with a passkey"
	case method == MethodToken:
		return "with an access token"
	case strings.HasPrefix(method, MethodProvider):
		return "with " + s.ProviderName(strings.TrimPrefix(method, MethodProvider))
	}
	return ""
}

// ActivityPageSize is how many lines a page of the log shows: a screen or
// two, and half the work of 50 (the page is one of the busiest a user
// opens; see docs/PERFORMANCE.md).
const ActivityPageSize = 25

// MaxListPage is the last page the log and the admin search show: past it
// the pages are empty, so no request makes the database skip millions of
// rows.
const MaxListPage = 1000

// UserActivity is page (from 1) of the user's log, newest first, and
// whether there is a next page.
func (s *Service) UserActivity(ctx context.Context, userID int64, page int) ([]ActivityLine, bool, error) {
	if page < 1 || page > MaxListPage {
		return nil, false, nil
	}
	rows, err := s.DB.UserActivity(ctx, userID, ActivityPageSize+1, (page-1)*ActivityPageSize)
	if err != nil {
		return nil, false, fmt.Errorf("user activity: %w", err)
	}
	more := len(rows) > ActivityPageSize
	if more {
		rows = rows[:ActivityPageSize]
	}
	out := make([]ActivityLine, len(rows))
	for i, a := range rows {
		out[i] = s.describe(a)
	}
	return out, more, nil
}

// ErrNotYours: the line or session is not the signed-in user's, or is gone.
var ErrNotYours = errors.New("not found among your activity")

// DisownSignIn is "this wasn't me" on a line of the user's log: it ends
// the session that sign-in started (when it still lives), and records it.
// The caller then sends the user to change their password.
func (s *Service) DisownSignIn(ctx context.Context, userID, activityID int64) error {
	err := s.DB.InTx(ctx, func(q *db.Queries) error {
		a, err := q.UserActivityByID(ctx, userID, activityID)
		if errors.Is(err, db.ErrNotFound) || (err == nil && (a.Kind != string(KindSignIn) || a.SessionID == "")) {
			return ErrNotYours
		}
		if err != nil {
			return err
		}
		err = q.DeleteUserSession(ctx, userID, a.SessionID)
		if errors.Is(err, db.ErrNotFound) {
			return nil // already ended: nothing to record
		}
		if err != nil {
			return err
		}
		return s.record(ctx, q, userID, entry{kind: KindSessionEnded, detail: "this wasn't me"})
	})
	if err != nil && !errors.Is(err, ErrNotYours) {
		return fmt.Errorf("disown sign-in: %w", err)
	}
	return err
}

// activityBatch is how many old lines one delete removes.
const activityBatch = 5000

// DeleteOldActivity deletes the log's lines older than ActivityRetention,
// in batches, and returns how many went.
func (s *Service) DeleteOldActivity(ctx context.Context) (int64, error) {
	if s.ActivityRetention <= 0 {
		return 0, nil
	}
	cutoff := s.now().Add(-s.ActivityRetention)
	var total int64
	for {
		n, err := s.DB.DeleteOldActivity(ctx, cutoff, activityBatch)
		total += n
		if err != nil {
			return total, err
		}
		if n < activityBatch {
			return total, nil
		}
		if err := ctx.Err(); err != nil {
			return total, err
		}
	}
}
