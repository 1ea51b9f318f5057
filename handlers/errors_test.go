package handlers

import (
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"latchkey/static"
)

// TestNoSessionPathsAnswerWithASessionCookie: a request that carries a
// session cookie to a path where no session is loaded (static files, the
// health check, and a body refused before the session is read) gets its
// error page and its log line. The error page used to read the session that
// was never loaded: the server panicked outside the panic recovery and
// dropped the connection without an answer or a log line.
func TestNoSessionPathsAnswerWithASessionCookie(t *testing.T) {
	app := newTestApp(t)
	signedIn := app.client()
	signedIn.signup("Ada Lovelace", "ada@example.com", strongPassword)
	css := static.Path("app.css")
	tooBig := strings.Repeat("x", 64<<10+1)

	cases := []struct {
		name, method, path, body string
		chunked                  bool
		status                   int
		heading                  string
	}{
		{"missing static file", http.MethodGet, "/static/no-such-file.css", "", false, http.StatusNotFound, "Page not found"},
		{"POST /healthz", http.MethodPost, "/healthz", "a=b", false, http.StatusMethodNotAllowed, "Not allowed"},
		{"PUT on a static file", http.MethodPut, css, "a=b", false, http.StatusMethodNotAllowed, "Not allowed"},
		{"body over the limit", http.MethodPost, "/login", tooBig, false, http.StatusRequestEntityTooLarge, "That was too much"},
		{"chunked body over the limit", http.MethodPost, "/signup", tooBig, true, http.StatusRequestEntityTooLarge, "That was too much"},
		{"body over the limit to a static file", http.MethodPost, css, tooBig, false, http.StatusRequestEntityTooLarge, "That was too much"},
	}
	browsers := map[string]*client{"signed in": signedIn}
	for name, value := range map[string]string{
		"garbage cookie":   "not-a-session-token",
		"empty-ish cookie": "x",
		"long cookie":      strings.Repeat("A", 4000),
	} {
		c := app.client()
		c.plantCookie("latchkey_session", value)
		browsers[name] = c
	}
	for who, c := range browsers {
		if c.session() == "" {
			t.Fatalf("%s: the browser holds no session cookie", who)
		}
		for _, tc := range cases {
			var body io.Reader
			if tc.body != "" {
				body = strings.NewReader(tc.body)
				if tc.chunked {
					body = io.MultiReader(body)
				}
			}
			req, err := http.NewRequest(tc.method, app.srv.URL+tc.path, body)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			res, err := c.http.Do(req)
			if err != nil {
				t.Fatalf("%s, %s: no answer: %v", who, tc.name, err)
			}
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			page := string(b)
			if res.StatusCode != tc.status {
				t.Fatalf("%s, %s: status %d, want %d\n%s", who, tc.name, res.StatusCode, tc.status, excerpt(page))
			}
			if ct := res.Header.Get("Content-Type"); tc.method != http.MethodHead && !strings.HasPrefix(ct, "text/html") {
				t.Fatalf("%s, %s: Content-Type %q, want a page", who, tc.name, ct)
			}
			if tc.heading != "" && !strings.Contains(page, "<h1>"+tc.heading+"</h1>") {
				t.Fatalf("%s, %s: the page lacks <h1>%s</h1>:\n%s", who, tc.name, tc.heading, excerpt(page))
			}
			rid := res.Header.Get(echo.HeaderXRequestID)
			line := logLine(app.logs.String(), rid)
			want := "msg=request method=" + tc.method + " path=" + tc.path + " status=" + strconv.Itoa(tc.status) + " "
			if !strings.Contains(line, want) {
				t.Fatalf("%s, %s: request log line %q, want %q", who, tc.name, line, want)
			}
		}
	}
	if logs := app.logs.String(); strings.Contains(logs, "msg=panic") {
		t.Fatalf("a request panicked:\n%s", logs)
	}
}

// logLine is the request log line with this request id, or "".
func logLine(logs, rid string) string {
	if rid == "" {
		return ""
	}
	for _, line := range strings.Split(logs, "\n") {
		if strings.Contains(line, "msg=request ") && strings.Contains(line, "request_id="+rid+" ") {
			return line
		}
	}
	return ""
}

// panickyError panics when the error handler asks what it is: a panic in
// the error handler itself, as a bug in a page template would cause.
type panickyError struct{}

func (panickyError) Error() string { return "panicky error" }
func (panickyError) As(any) bool   { panic("the error handler broke: secret internals") }

// TestPanicInTheErrorHandlerIsA500: when the error handler itself panics
// (here: while it looks at the error; it could be its template), the
// answer is still a 500 page with the request id, a minimal one that shows
// nothing of the panic, and the log has the panic and the request line.
func TestPanicInTheErrorHandlerIsA500(t *testing.T) {
	app := newTestApp(t, func(c *testConfig) {
		c.routes = func(e *echo.Echo) {
			e.GET("/test/broken-error", func(echo.Context) error { return panickyError{} })
		}
	})
	for _, withCookie := range []bool{false, true} {
		c := app.client()
		if withCookie {
			c.plantCookie("latchkey_session", "garbage")
		}
		res := c.get("/test/broken-error")
		assertStatus(t, res, http.StatusInternalServerError)
		if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
			t.Fatalf("Content-Type %q", ct)
		}
		rid := res.Header.Get(echo.HeaderXRequestID)
		if !regexp.MustCompile(`^[0-9a-f]{16}$`).MatchString(rid) {
			t.Fatalf("X-Request-Id %q", rid)
		}
		assertContains(t, res, "<h1>Something went wrong</h1>")
		assertContains(t, res, "<code>"+rid+"</code>")
		assertContains(t, res, `href="/"`)
		assertNotContains(t, res, "secret internals")
		assertNotContains(t, res, "goroutine")
		if got, want := res.Header.Get("Content-Length"), strconv.Itoa(len(res.body)); got != want {
			t.Fatalf("Content-Length %q, body %s bytes", got, want)
		}
		logs := app.logs.String()
		if line := logLine(logs, rid); !strings.Contains(line, "path=/test/broken-error status=500") {
			t.Fatalf("request log line %q", line)
		}
		if !regexp.MustCompile(`msg=panic request_id=` + rid + `.*secret internals`).MatchString(logs) {
			t.Fatalf("the log lacks the panic of request %s:\n%s", rid, logs)
		}
	}
	// The server still serves.
	assertStatus(t, app.client().get("/login"), http.StatusOK)
}
