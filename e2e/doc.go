// Package e2e holds Latchkey's browser tests. They run the real binary
// through internal/apptest (built once per run, or $LATCHKEY_BINARY as
// `make test` sets it) on a free loopback port with a temporary database,
// its mail going over real SMTP to an internal/smtptest server in the test
// process, and drive Debian's Chromium through every page: the signup,
// sign-in and settings journeys and the notes example, with JavaScript on
// and off; axe-core on every page (light and dark, desktop and phone,
// errors showing); the keyboard; no sideways scrolling at 375 px; submit
// buttons that wait for the answer; and the sign-in page's weight.
//
// The package has no code of its own besides this comment: everything is in
// the _test.go files. axe-core comes from npm (package.json here; `make
// e2e-deps` runs `npm ci` in this directory). `make screenshots` writes the
// pictures the README shows to docs/screenshots/. Without Chromium the
// tests skip with the command that installs it, except with CI=true, where
// that is a failure.
//
// Its tests import internal/apptest (which builds, starts and stops the
// binary) and internal/smtptest, and nothing else of Latchkey: they talk to
// the binary over HTTP, as a browser does. `go test -short` skips them.
package e2e
