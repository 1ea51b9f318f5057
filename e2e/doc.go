// Package e2e holds Latchkey's browser tests. They build the real binary,
// start it on a free port with a temporary database and an in-process SMTP
// server, and drive Debian's Chromium through every page: the whole account
// journey with and without JavaScript, axe-core on every page (light and
// dark, errors showing), the keyboard, small screens and page weight.
//
// The package has no code of its own besides this comment: everything is in
// the _test.go files. axe-core comes from npm (package.json here; run
// `npm ci` in this directory). `make screenshots` writes the pictures the
// README shows to docs/screenshots/.
//
// Its tests import internal/apptest (which builds, starts and stops the
// binary) and internal/smtptest, and nothing else of Latchkey: they talk to
// the binary over HTTP, as a browser does. `go test -short` skips them.
package e2e
