package db

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Note is one of a user's short notes: the worked example of a feature a
// fork adds (README.md, "Add a page of your own").
type Note struct {
	ID        int64
	UserID    int64
	Body      string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Every query below names the owner (user_id = ?) as well as the note, so a
// note of another user is ErrNotFound, exactly like a note that does not
// exist: the caller cannot tell the two apart, and neither can an attacker.

const noteColumns = `id, user_id, body, created_at, updated_at`

func scanNote(row interface{ Scan(...any) error }) (Note, error) {
	var n Note
	var created, updated int64
	if err := row.Scan(&n.ID, &n.UserID, &n.Body, &created, &updated); err != nil {
		if isNoRows(err) {
			return Note{}, ErrNotFound
		}
		return Note{}, err
	}
	n.CreatedAt, n.UpdatedAt = time.Unix(created, 0), time.Unix(updated, 0)
	return n, nil
}

// CreateNote adds a note for userID.
func (q *Queries) CreateNote(ctx context.Context, userID int64, body string, now time.Time) (Note, error) {
	n, err := scanNote(q.w.QueryRowContext(ctx, `INSERT INTO notes (user_id, body, created_at, updated_at)
		VALUES (?, ?, ?, ?) RETURNING `+noteColumns, userID, body, unix(now), unix(now)))
	if err != nil {
		return Note{}, fmt.Errorf("create note: %w", err)
	}
	return n, nil
}

// NotesByUser returns the notes of userID, newest first.
func (q *Queries) NotesByUser(ctx context.Context, userID int64) ([]Note, error) {
	rows, err := q.r.QueryContext(ctx, `SELECT `+noteColumns+` FROM notes WHERE user_id = CAST(? AS BIGINT) ORDER BY id DESC`, userID)
	if err != nil {
		return nil, fmt.Errorf("notes by user: %w", err)
	}
	defer rows.Close()
	var out []Note
	for rows.Next() {
		n, err := scanNote(rows)
		if err != nil {
			return nil, fmt.Errorf("notes by user: %w", err)
		}
		out = append(out, n)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("notes by user: %w", err)
	}
	return out, nil
}

// NoteByID finds note noteID of userID; ErrNotFound when it does not exist
// or belongs to someone else.
func (q *Queries) NoteByID(ctx context.Context, userID, noteID int64) (Note, error) {
	n, err := scanNote(q.r.QueryRowContext(ctx, `SELECT `+noteColumns+` FROM notes WHERE id = ? AND user_id = ?`, noteID, userID))
	if err != nil && !errors.Is(err, ErrNotFound) {
		return Note{}, fmt.Errorf("note by id: %w", err)
	}
	return n, err
}

// UpdateNote replaces the body of note noteID of userID and returns the
// note as saved (the JSON API answers with it); ErrNotFound when it does
// not exist or belongs to someone else.
func (q *Queries) UpdateNote(ctx context.Context, userID, noteID int64, body string, now time.Time) (Note, error) {
	n, err := scanNote(q.w.QueryRowContext(ctx, `UPDATE notes SET body = ?, updated_at = ? WHERE id = ? AND user_id = ?
		RETURNING `+noteColumns, body, unix(now), noteID, userID))
	if err != nil && !errors.Is(err, ErrNotFound) {
		return Note{}, fmt.Errorf("update note: %w", err)
	}
	return n, err
}

// DeleteNote removes note noteID of userID; ErrNotFound when it does not
// exist or belongs to someone else.
func (q *Queries) DeleteNote(ctx context.Context, userID, noteID int64) error {
	res, err := q.w.ExecContext(ctx, `DELETE FROM notes WHERE id = ? AND user_id = ?`, noteID, userID)
	if err != nil {
		return fmt.Errorf("delete note: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}
