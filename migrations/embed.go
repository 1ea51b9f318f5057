// Package migrations embeds the numbered goose SQL files that build the
// database: the SQLite ones here, the PostgreSQL ones in postgres/. A fork
// adds a feature's tables as the next numbered file in both directories
// (00003_notes.sql is the example); an applied file is never edited.
//
// Version 4 is not here: it backfills canonical email keys, which only Go
// can compute, so it is a Go migration in db/migrate_email_keys.go,
// registered beside these files.
//
// PostgreSQL support came after version 5, so postgres/ starts there: its
// 00005_schema.sql is the whole SQLite schema as of version 5 (the email
// keys included) plus what only PostgreSQL needs (the shared rate limits).
// From 00006 on, both directories get the same numbers.
//
// It imports only embed; only db imports it.
package migrations

import "embed"

// FS holds every SQLite migration; the binary carries them, so a deploy is
// one file.
//
//go:embed *.sql
var FS embed.FS

// Postgres holds the PostgreSQL migrations, under postgres/.
//
//go:embed postgres/*.sql
var Postgres embed.FS
