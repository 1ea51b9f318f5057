package handlers

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
)

// FuzzAPIBinders: every JSON binder of the API (the token endpoints' and
// the notes') answers any body with nil or a 400/422 apiError, never a
// panic; and what it accepts passes the same checks as the pages' forms.
func FuzzAPIBinders(f *testing.F) {
	for _, seed := range []string{`{"email":"ada@example.com","password":"pw","code":"123456"}`, `{"refresh_token":"lk_rt_x"}`,
		`{"body":"a note"}`, `{"body":"  "}`, `{"body":42}`, `{"body":null}`, `{"body":"a","x":1}`, `{"body":"a"}{"b":1}`, `[]`, `"s"`, ``,
		`{"body":"\u0000"}`, `{"body":"` + strings.Repeat("é", 1001) + `"}`, "{\"body\":\"\xff\"}", `{"email":{"a":1}}`, `{"BODY":"case"}`, `{"body":"a","body":"b"}`} {
		f.Add(seed, "application/json")
	}
	f.Add("email=a%40b.c&password=x", "application/x-www-form-urlencoded")
	f.Add("body=x", "text/plain")
	e := echo.New()
	f.Fuzz(func(t *testing.T, body, ctype string) {
		for _, tc := range []struct {
			dst  func() any
			form bool
		}{
			{func() any { return &tokenRequest{} }, true},
			{func() any { return &refreshRequest{} }, true},
			{func() any { return &apiNoteBody{} }, false},
		} {
			req := httptest.NewRequest(http.MethodPost, "/api/x", strings.NewReader(body))
			req.Header.Set("Content-Type", ctype)
			c := e.NewContext(req, httptest.NewRecorder())
			dst := tc.dst()
			err := bindAPI(c, dst, tc.form)
			if err == nil {
				if fields := refuseText(dst); fields != nil {
					t.Fatalf("accepted %q with refused text %v", body, fields)
				}
				if errs := check(dst); errs != nil {
					t.Fatalf("accepted %q that validation refuses: %v", body, errs)
				}
				if n, ok := dst.(*apiNoteBody); ok && (strings.TrimSpace(n.Body) != n.Body || n.Body == "") {
					t.Fatalf("accepted note %q", n.Body)
				}
				continue
			}
			ae, ok := err.(*apiError)
			if !ok || (ae.status != http.StatusBadRequest && ae.status != http.StatusUnprocessableEntity) || ae.code != "invalid_request" {
				t.Fatalf("bindAPI(%q, %q) = %v, want nil or a 400/422 invalid_request", body, ctype, err)
			}
			if ae.status == http.StatusUnprocessableEntity && len(ae.fields) == 0 {
				t.Fatalf("a 422 without fields for %q", body)
			}
		}
	})
}
