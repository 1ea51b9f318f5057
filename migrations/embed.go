// Package migrations embeds the numbered goose SQL files that build the
// database. A fork adds a feature's tables as the next numbered file.
package migrations

import "embed"

// FS holds every migration; the binary carries them, so a deploy is one file.
//
//go:embed *.sql
var FS embed.FS
