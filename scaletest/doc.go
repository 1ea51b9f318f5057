// Package scaletest runs the real binary on PostgreSQL as production runs
// it: two instances on one server, as behind a load balancer, alternating a
// browser's requests between them (TestTwoInstances); and one instance
// whose server is stopped and started again under load (TestPostgresOutage,
// on a server of its own that .ci/postgres starts in a temporary
// directory, never the one the other tests share). It has no code of its
// own outside its tests, which run only when TEST_DATABASE_URL names a
// PostgreSQL server (make test-postgres) and not with -short. Its tests may
// import db (to queue mail straight into the outbox), internal/apptest
// (which builds, starts and stops the binary), internal/dbtest (a schema of
// its own) and internal/smtptest (a real SMTP server), and nothing else of
// Latchkey.
package scaletest
