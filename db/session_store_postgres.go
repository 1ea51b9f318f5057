package db

import (
	"context"
	"time"

	"github.com/alexedwards/scs/pgxstore"
	"github.com/alexedwards/scs/v2"
)

// postgresSessionStore is scs's pgxstore on the shared pool, without the
// in-memory copy SQLite's store keeps: with several instances a copy
// would go on serving a session another instance has ended or changed.
// Tokens reach it hashed, as on SQLite (scs's HashTokenInStore).
func (d *DB) postgresSessionStore(ctx context.Context) scs.Store {
	s := pgxstore.NewWithCleanupInterval(d.pool, 5*time.Minute)
	go func() {
		<-ctx.Done()
		s.StopCleanup()
	}()
	return s
}
