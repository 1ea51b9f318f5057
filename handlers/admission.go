package handlers

import (
	"github.com/labstack/echo/v4"
)

// admission keeps the requests of the public routes that check or make a
// password hash (sign-in, signup, token sign-in, reset, confirmation) at
// the door once a few of them per hashing slot are inside: an e.Pre
// middleware, so a request waits before its session is loaded, its body
// read or its route found.
//
// Why at the door and not only at the hasher's slots (auth.Hasher), which
// already bound the hashes in flight: during a flood of 2,000 connections
// nearly all of them wait for a slot, and a request waiting deep in the
// middleware chain holds a goroutine with some twenty frames and a grown
// stack, the parsed form and its session, plus net/http's background
// reader (started once the body is read). Every garbage collection scans
// all of those stacks, and argon2id's 19 MiB a run makes collections
// frequent, so the collector's work grew with the flood: at 2,000
// connections it took 40 % of the CPU, the heap outgrew its limit and
// /healthz waited behind it (docs/PERFORMANCE.md, "Memory bounded by the
// hash cap"). Waiting here, a request is one shallow goroutine with its
// body unread. Inside, each route's own limits (perIP, the per-account
// slow-down) answer as before: the door only decides when.
type admission struct {
	inside chan struct{}
	routes map[string]bool // "POST /login"
}

// admittedPerSlot requests per hashing slot are let in at once: enough
// that a slot never waits for the next request's session and form, few
// enough that waiting happens at the door.
const admittedPerSlot = 8

func newAdmission(slots int) *admission {
	return &admission{inside: make(chan struct{}, max(1, slots)*admittedPerSlot), routes: map[string]bool{}}
}

// hashes marks route as one whose requests wait at the door; Routes calls
// it while it builds the table, before the server starts.
func (a *admission) hashes(route *echo.Route) {
	a.routes[route.Method+" "+route.Path] = true
}

func (a *admission) door(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if !a.routes[r.Method+" "+r.URL.Path] {
			return next(c)
		}
		select {
		case a.inside <- struct{}{}:
		case <-r.Context().Done():
			// The server is shutting down (or the client went away):
			// nothing was done, so there is nothing to answer.
			return nil
		}
		defer func() { <-a.inside }()
		return next(c)
	}
}
