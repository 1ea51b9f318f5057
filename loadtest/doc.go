// Package loadtest holds the load and crash test of the real binary: it
// builds latchkey, serves it on 127.0.0.1 with a temporary database, drives
// it from many goroutines, kills it with SIGKILL mid-run and restarts it on
// the same file. It has no code of its own outside its test; `go test
// -short` skips it. Its test may import db (to check the rows on disk) and
// internal/apptest (which builds, starts and stops the binary), and nothing
// else of Latchkey: it talks to the binary over HTTP only.
package loadtest
