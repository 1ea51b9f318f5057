package db

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Activity is one line of an account's security activity log.
type Activity struct {
	ID     int64
	UserID int64
	// ActorID is the administrator who acted, or 0 when it was the user
	// or the operator.
	ActorID int64
	// ActorEmail is the administrator's address when they acted, or, with
	// ActorID 0, the marker accounts writes for the operator's command
	// line (no address: it has no @).
	ActorEmail string
	Kind       string
	// Method is how a sign-in was made: password, link, provider:github …
	Method string
	// Device is the browser in plain words ("Firefox on macOS").
	Device string
	IP     string
	// SessionID is the user_sessions id a sign-in started, for "this
	// wasn't me"; empty for everything else.
	SessionID string
	// Detail is a few plain words (a provider's name, an address); never a
	// password, token or code.
	Detail    string
	CreatedAt time.Time
	// Live is whether the session a sign-in started still exists; filled
	// by UserActivity only.
	Live bool
}

const activityColumns = `id, user_id, actor_id, actor_email, kind, method, device, ip, session_id, detail, created_at`

func scanActivity(row interface{ Scan(...any) error }) (Activity, error) {
	var a Activity
	var actor sql.NullInt64
	var created int64
	if err := row.Scan(&a.ID, &a.UserID, &actor, &a.ActorEmail, &a.Kind, &a.Method, &a.Device, &a.IP, &a.SessionID, &a.Detail, &created); err != nil {
		if isNoRows(err) {
			return Activity{}, ErrNotFound
		}
		return Activity{}, err
	}
	a.ActorID = actor.Int64
	a.CreatedAt = time.Unix(created, 0)
	return a, nil
}

// AddActivity writes a line of the log; inside InTx it commits with the
// change it records.
func (q *Queries) AddActivity(ctx context.Context, a Activity) error {
	_, err := q.w.ExecContext(ctx, insertActivity, activityArgs(a)...)
	if err != nil {
		return fmt.Errorf("add activity: %w", err)
	}
	return nil
}

// insertActivity writes one line of the log, with activityArgs.
const insertActivity = `INSERT INTO activity (user_id, actor_id, actor_email, kind, method, device, ip, session_id, detail, created_at)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

// activityArgs are insertActivity's values for a; actor_id is NULL when the
// user or the operator acted.
func activityArgs(a Activity) []any {
	var actor any
	if a.ActorID != 0 {
		actor = a.ActorID
	}
	return []any{a.UserID, actor, a.ActorEmail, a.Kind, a.Method, a.Device, a.IP, a.SessionID, a.Detail, unix(a.CreatedAt)}
}

// UserActivity returns up to limit lines of a user's log from offset on,
// newest first, through activity_user_created_idx.
func (q *Queries) UserActivity(ctx context.Context, userID int64, limit, offset int) ([]Activity, error) {
	rows, err := q.r.QueryContext(ctx, userActivityQuery, userID, limit, offset)
	if err != nil {
		return nil, fmt.Errorf("user activity: %w", err)
	}
	defer rows.Close()
	var out []Activity
	for rows.Next() {
		var live int
		a, err := scanActivity(scanWith{rows, &live})
		if err != nil {
			return nil, fmt.Errorf("user activity: %w", err)
		}
		a.Live = live != 0
		out = append(out, a)
	}
	return out, rows.Err()
}

// The page says which sign-ins' sessions still live ("this wasn't me" is
// offered for those) by a lookup of each line's session by its key, so the
// page costs the same however many sessions the user has.
const userActivityQuery = `SELECT ` + activityColumns + `,
	CASE WHEN session_id <> '' AND EXISTS (SELECT 1 FROM user_sessions s WHERE s.id = activity.session_id AND s.user_id = activity.user_id) THEN 1 ELSE 0 END
	FROM activity WHERE user_id = CAST(? AS BIGINT)
	ORDER BY created_at DESC, id DESC LIMIT CAST(? AS BIGINT) OFFSET CAST(? AS BIGINT)`

// scanWith scans a row of activityColumns followed by more columns.
type scanWith struct {
	row  interface{ Scan(...any) error }
	more *int
}

func (s scanWith) Scan(dest ...any) error { return s.row.Scan(append(dest, s.more)...) }

// ExplainUserActivity is the database's plan for a page of the user's
// log, for the test that holds it to its index.
func (d *DB) ExplainUserActivity(ctx context.Context, userID int64) ([]string, error) {
	return d.explain(ctx, userActivityQuery, userID, 51, 0)
}

// UserActivityByID is one line of the user's own log; another user's line
// is ErrNotFound.
func (q *Queries) UserActivityByID(ctx context.Context, userID, id int64) (Activity, error) {
	a, err := scanActivity(q.r.QueryRowContext(ctx, `SELECT `+activityColumns+` FROM activity WHERE id = ? AND user_id = ?`, id, userID))
	if err != nil && !isNoRows(err) && err != ErrNotFound {
		return Activity{}, fmt.Errorf("activity by id: %w", err)
	}
	return a, err
}

// LastActivityOf is the time of the user's newest line of this kind, or the
// zero time.
func (q *Queries) LastActivityOf(ctx context.Context, userID int64, kind string) (time.Time, error) {
	var at sql.NullInt64
	err := q.r.QueryRowContext(ctx, `SELECT created_at FROM activity WHERE user_id = CAST(? AS BIGINT) AND kind = CAST(? AS TEXT)
		ORDER BY created_at DESC, id DESC LIMIT 1`, userID, kind).Scan(&at)
	if isNoRows(err) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("last activity: %w", err)
	}
	return fromUnix(at), nil
}

// DeleteOldActivity deletes up to batch lines written before cutoff and
// returns how many went. The cleanup calls it until a batch comes back
// short, so the writer is never held by one huge delete.
func (q *Queries) DeleteOldActivity(ctx context.Context, cutoff time.Time, batch int) (int64, error) {
	res, err := q.w.ExecContext(ctx, `DELETE FROM activity WHERE id IN
		(SELECT id FROM activity WHERE created_at < ? LIMIT ?)`, unix(cutoff), batch)
	if err != nil {
		return 0, fmt.Errorf("delete old activity: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}
