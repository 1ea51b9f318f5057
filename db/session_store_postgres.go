package db

import (
	"context"
	"log/slog"
	"time"

	"github.com/alexedwards/scs/pgxstore"
	"github.com/alexedwards/scs/v2"
)

// postgresSessionStore is scs's pgxstore on the shared pool, without the
// in-memory copy SQLite's store keeps: with several instances a copy
// would go on serving a session another instance has ended or changed.
// Tokens reach it hashed, as on SQLite (scs's HashTokenInStore).
//
// Expired rows are deleted here every five minutes until ctx ends, rather
// than by pgxstore's own cleanup goroutine, whose stop races with its start.
func (d *DB) postgresSessionStore(ctx context.Context) scs.Store {
	go func() {
		t := time.NewTicker(5 * time.Minute)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if _, err := d.Write.ExecContext(ctx, `DELETE FROM sessions WHERE expiry < current_timestamp`); err != nil && ctx.Err() == nil {
					slog.Warn("delete expired sessions", "err", err)
				}
			}
		}
	}()
	return pgxstore.NewWithCleanupInterval(d.pool, 0)
}
