package handlers

import (
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
)

// TestAdmissionDoor: once admittedPerSlot requests per slot of a gated
// route are inside, the next one waits at the door until one leaves; an
// ungated route, and another method on the same path, go straight in.
func TestAdmissionDoor(t *testing.T) {
	e := echo.New()
	door := newAdmission(1)
	e.Pre(door.door)
	release := make(chan struct{})
	var inside atomic.Int32
	door.hashes(e.POST("/login", func(c echo.Context) error {
		inside.Add(1)
		<-release
		inside.Add(-1)
		return c.NoContent(http.StatusNoContent)
	}))
	e.GET("/login", func(c echo.Context) error { return c.NoContent(http.StatusOK) })
	e.POST("/other", func(c echo.Context) error { return c.NoContent(http.StatusOK) })

	post := func(path string) chan int {
		done := make(chan int, 1)
		go func() {
			rec := httptest.NewRecorder()
			e.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, path, nil))
			done <- rec.Code
		}()
		return done
	}
	var waiting []chan int
	for range admittedPerSlot + 1 {
		waiting = append(waiting, post("/login"))
	}
	deadline := time.Now().Add(5 * time.Second)
	for inside.Load() < admittedPerSlot && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond) // room for a sixth to get in, were the door open
	if n := inside.Load(); n != admittedPerSlot {
		t.Fatalf("%d requests inside, want %d", n, admittedPerSlot)
	}
	for _, r := range []*http.Request{httptest.NewRequest(http.MethodGet, "/login", nil), httptest.NewRequest(http.MethodPost, "/other", nil)} {
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, r)
		if rec.Code != http.StatusOK {
			t.Fatalf("%s %s with the door full: %d, want 200 at once", r.Method, r.URL.Path, rec.Code)
		}
	}
	close(release)
	for _, w := range waiting {
		select {
		case code := <-w:
			if code != http.StatusNoContent {
				t.Fatalf("a POST /login answered %d", code)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("a POST /login never got in")
		}
	}
}
