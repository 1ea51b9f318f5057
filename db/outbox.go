package db

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"time"

	"latchkey/auth"
)

// Mail is one message in the outbox.
type Mail struct {
	ID        int64
	To        string
	Subject   string
	Text      string
	HTML      string
	CreatedAt time.Time
	Attempts  int
	SentAt    time.Time // zero while pending
	LastError string
}

// EnqueueMail adds a message to the outbox; the background sender
// delivers it. A security notice is flagged as one: notices are counted
// apart from other mail (CountMailSince), so they never use up the
// address's allowance of links. The message is counted under the canonical
// key of its address, and delivered to the address as written.
func (q *Queries) EnqueueMail(ctx context.Context, to, subject, text, html string, now time.Time, notice bool) error {
	key, err := auth.EmailKey(to)
	if err != nil {
		return fmt.Errorf("enqueue mail: %w", err)
	}
	_, err = q.w.ExecContext(ctx, `INSERT INTO outbox (to_addr, to_key, subject, text_body, html_body, created_at, next_attempt_at, notice)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, to, key, subject, text, html, unix(now), unix(now), notice)
	if err != nil {
		return fmt.Errorf("enqueue mail: %w", err)
	}
	return nil
}

// CountMailSince counts the messages queued for an address since a time,
// for the per-address caps: security notices (notice) or all other mail.
// Every spelling of the address counts together ("Ä@x" and "ä@x" share one
// allowance): messages are counted by canonical key. Count and enqueue in
// one transaction: the count holds the address until it commits, so two
// requests at once cannot both see room for the last message.
func (q *Queries) CountMailSince(ctx context.Context, to string, since time.Time, notice bool) (int, error) {
	key, err := auth.EmailKey(to)
	if err != nil {
		return 0, fmt.Errorf("count mail: %w", err)
	}
	if err := q.d.serialize(ctx, q.w, "outbox:"+key); err != nil {
		return 0, fmt.Errorf("count mail: %w", err)
	}
	var n int
	err = q.w.QueryRowContext(ctx, `SELECT count(*) FROM outbox WHERE to_key = ? AND created_at > ? AND notice = ?`, key, unix(since), notice).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count mail: %w", err)
	}
	return n, nil
}

// DueMail returns up to limit unsent messages whose next attempt is due.
func (q *Queries) DueMail(ctx context.Context, now time.Time, limit int) ([]Mail, error) {
	return q.listMail(ctx, `WHERE sent_at IS NULL AND next_attempt_at <= ? ORDER BY id LIMIT ?`, unix(now), limit)
}

// ClaimMail takes up to limit unsent messages whose next attempt is due,
// oldest first, for one sender: their next attempt moves lease ahead, so
// no other sender (another instance) takes them meanwhile, and one whose
// sender dies mid-send is due again when the lease runs out. The sender
// then marks each sent or failed (which sets its real next attempt).
//
// On PostgreSQL the rows are chosen FOR UPDATE SKIP LOCKED: two instances
// claiming at once get different rows rather than one waiting for the
// other and both taking the same. SQLite's one writer claims one batch at
// a time anyway.
func (q *Queries) ClaimMail(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]Mail, error) {
	out, err := q.scanMail(q.w.QueryContext(ctx, `UPDATE outbox SET next_attempt_at = ?
		WHERE id IN (SELECT id FROM outbox WHERE sent_at IS NULL AND next_attempt_at <= ? ORDER BY id LIMIT ?`+q.d.skipLocked()+`)
		RETURNING `+mailColumns, unix(now.Add(lease)), unix(now), limit))
	if err != nil {
		return nil, fmt.Errorf("claim mail: %w", err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// RecentMail returns the newest messages first, for the development mailbox.
func (q *Queries) RecentMail(ctx context.Context, limit int) ([]Mail, error) {
	return q.listMail(ctx, `ORDER BY id DESC LIMIT ?`, limit)
}

const mailColumns = `id, to_addr, subject, text_body, html_body, created_at, attempts, sent_at, last_error`

func (q *Queries) listMail(ctx context.Context, where string, args ...any) ([]Mail, error) {
	out, err := q.scanMail(q.r.QueryContext(ctx, `SELECT `+mailColumns+` FROM outbox `+where, args...))
	if err != nil {
		return nil, fmt.Errorf("list mail: %w", err)
	}
	return out, nil
}

func (q *Queries) scanMail(rows *sql.Rows, err error) ([]Mail, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Mail
	for rows.Next() {
		var m Mail
		var created int64
		var sent nullInt
		if err := rows.Scan(&m.ID, &m.To, &m.Subject, &m.Text, &m.HTML, &created, &m.Attempts, &sent, &m.LastError); err != nil {
			return nil, err
		}
		m.CreatedAt, m.SentAt = time.Unix(created, 0), fromUnix(sent)
		out = append(out, m)
	}
	return out, rows.Err()
}

// MarkMailSent records a delivery. With forget, the bodies are blanked: in
// production a delivered link should not sit in the database in clear text.
func (q *Queries) MarkMailSent(ctx context.Context, id int64, now time.Time, forget bool) error {
	query := `UPDATE outbox SET sent_at = ?, attempts = attempts + 1, last_error = '' WHERE id = ?`
	if forget {
		query = `UPDATE outbox SET sent_at = ?, attempts = attempts + 1, last_error = '', text_body = '', html_body = '' WHERE id = ?`
	}
	if _, err := q.w.ExecContext(ctx, query, unix(now), id); err != nil {
		return fmt.Errorf("mark mail sent: %w", err)
	}
	return nil
}

// MarkMailFailed records a failed attempt and when to try again.
func (q *Queries) MarkMailFailed(ctx context.Context, id int64, reason string, next time.Time) error {
	_, err := q.w.ExecContext(ctx, `UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ? WHERE id = ?`,
		reason, unix(next), id)
	if err != nil {
		return fmt.Errorf("mark mail failed: %w", err)
	}
	return nil
}

// DeleteOldMail removes up to limit delivered messages created before
// cutoff and returns how many went (the cleanup calls it until fewer than
// limit go).
func (q *Queries) DeleteOldMail(ctx context.Context, cutoff time.Time, limit int) (int64, error) {
	res, err := q.w.ExecContext(ctx, `DELETE FROM outbox WHERE id IN
		(SELECT id FROM outbox WHERE sent_at IS NOT NULL AND created_at < ? LIMIT ?)`, unix(cutoff), limit)
	if err != nil {
		return 0, fmt.Errorf("delete old mail: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}
