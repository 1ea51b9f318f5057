package db

import (
	"context"

	"github.com/alexedwards/scs/pgxstore"
	"github.com/alexedwards/scs/v2"
)

// postgresSessionStore is scs's pgxstore on the shared pool, without the
// in-memory copy SQLite's store keeps: with several instances a copy
// would go on serving a session another instance has ended or changed.
// Tokens reach it hashed, as on SQLite (scs's HashTokenInStore). Expired
// rows are deleted by the cleanup in batches (DeleteExpiredSessions), not
// by pgxstore's own goroutine, whose stop races with its start.
func (d *DB) postgresSessionStore(context.Context) scs.Store {
	return pgxstore.NewWithCleanupInterval(d.pool, 0)
}
