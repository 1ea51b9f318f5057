// Package migrations embeds the numbered goose SQL files that build the
// database. A fork adds a feature's tables as the next numbered file
// (00003_notes.sql is the example); an applied file is never edited.
//
// Version 4 is not here: it backfills canonical email keys, which only Go
// can compute, so it is a Go migration in db/migrate_email_keys.go,
// registered beside these files. The next file is 00006.
//
// It imports only embed; only db imports it.
package migrations

import "embed"

// FS holds every migration; the binary carries them, so a deploy is one file.
//
//go:embed *.sql
var FS embed.FS
