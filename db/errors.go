package db

import (
	"errors"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/mattn/go-sqlite3"
)

// isUniqueViolation reports whether err is the database refusing a row
// because a UNIQUE or PRIMARY KEY constraint already holds its value: the
// one place that tells a duplicate from any other failure. It reads the
// driver's error code, not its message, whose words are not a contract:
// SQLite's extended code, or PostgreSQL's SQLSTATE 23505 (unique_violation).
func isUniqueViolation(err error) bool {
	var e sqlite3.Error
	if errors.As(err, &e) {
		return e.ExtendedCode == sqlite3.ErrConstraintUnique || e.ExtendedCode == sqlite3.ErrConstraintPrimaryKey
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "23505"
	}
	return false
}
