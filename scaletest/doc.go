// Package scaletest runs two instances of the real binary on one
// PostgreSQL, as behind a load balancer, and alternates a browser's
// requests between them. It has no code of its own outside its test, which
// runs only when TEST_DATABASE_URL names a PostgreSQL server (make
// test-postgres) and not with -short. Its test may import db (to queue
// mail straight into the outbox), internal/apptest (which builds, starts
// and stops the binary), internal/dbtest (a schema of its own) and
// internal/smtptest (a real SMTP server), and nothing else of Latchkey.
package scaletest
