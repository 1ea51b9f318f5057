package handlers

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
)

// The API test kit. Every request of the API tests goes through apiCall,
// which checks the answer against the contract of DESIGN.md ("API") and
// against handlers/openapi.json with kin-openapi: a documented route's
// response must match its description (and a successful request its
// request body too), and every answer under /api/ is JSON, never a page.

var (
	openAPIOnce   sync.Once
	openAPIRouter routers.Router
	openAPIErr    error
)

func apiSpec(t testing.TB) routers.Router {
	t.Helper()
	openAPIOnce.Do(func() {
		loader := openapi3.NewLoader()
		doc, err := loader.LoadFromData(openAPIDocument)
		if err != nil {
			openAPIErr = err
			return
		}
		if err := doc.Validate(loader.Context); err != nil {
			openAPIErr = err
			return
		}
		openAPIRouter, openAPIErr = legacy.NewRouter(doc)
	})
	if openAPIErr != nil {
		t.Fatalf("handlers/openapi.json: %v", openAPIErr)
	}
	return openAPIRouter
}

// apiReq is one API request: the body as sent and its Content-Type.
type apiReq struct {
	method, path string
	ctype, body  string
	header       map[string]string
}

// jsonBody encodes v for a request.
func jsonBody(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// program is a client with no cookie jar: a mobile app or a CLI.
func (a *testApp) program() *client {
	return &client{t: a.t, app: a, header: http.Header{}, http: &http.Client{
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// apiCall sends r from this client (with its cookies, if it has a jar) and
// checks the answer against the contract and the OpenAPI document.
func (c *client) apiCall(r apiReq) *response {
	c.t.Helper()
	var body io.Reader
	if r.body != "" {
		body = strings.NewReader(r.body)
	}
	req, err := http.NewRequest(r.method, c.app.srv.URL+r.path, body)
	if err != nil {
		c.t.Fatal(err)
	}
	if r.ctype != "" {
		req.Header.Set("Content-Type", r.ctype)
	}
	for k, v := range r.header {
		req.Header.Set(k, v)
	}
	res := c.do(req)
	checkAPIAnswer(c.t, r, res)
	return res
}

// apiGet, apiJSON and apiForm are apiCall's usual shapes; bearer, when not
// "", is sent as Authorization: Bearer.
func (c *client) apiGet(path, bearer string) *response {
	c.t.Helper()
	return c.apiCall(apiReq{method: http.MethodGet, path: path, header: bearerHeader(bearer)})
}

func (c *client) apiJSON(method, path, bearer string, v any) *response {
	c.t.Helper()
	body := ""
	if v != nil {
		body = jsonBody(c.t, v)
	}
	return c.apiCall(apiReq{method: method, path: path, ctype: "application/json", body: body, header: bearerHeader(bearer)})
}

func (c *client) apiForm(path string, form url.Values) *response {
	c.t.Helper()
	return c.apiCall(apiReq{method: http.MethodPost, path: path, ctype: "application/x-www-form-urlencoded", body: form.Encode()})
}

func bearerHeader(tok string) map[string]string {
	if tok == "" {
		return nil
	}
	return map[string]string{"Authorization": "Bearer " + tok}
}

// checkAPIAnswer is what every API answer must be: JSON (or empty for a
// 204 or a HEAD), a known error shape, never HTML; and, for a route the
// OpenAPI document describes, as it describes.
func checkAPIAnswer(t testing.TB, r apiReq, res *response) {
	t.Helper()
	ct := res.Header.Get("Content-Type")
	if res.StatusCode != http.StatusNoContent && r.method != http.MethodHead {
		if !strings.HasPrefix(ct, "application/json") {
			t.Fatalf("%s %s: %d with Content-Type %q, want JSON\n%s", r.method, r.path, res.StatusCode, ct, excerpt(res.body))
		}
		if !json.Valid([]byte(res.body)) {
			t.Fatalf("%s %s: %d, body is not JSON: %s", r.method, r.path, res.StatusCode, excerpt(res.body))
		}
	}
	if strings.Contains(strings.ToLower(res.body), "<html") {
		t.Fatalf("%s %s: an HTML page answered the API", r.method, r.path)
	}
	if res.StatusCode >= 400 && r.method != http.MethodHead {
		var e struct {
			Error string `json:"error"`
		}
		if json.Unmarshal([]byte(res.body), &e) != nil || e.Error == "" {
			t.Fatalf("%s %s: %d without an error code: %s", r.method, r.path, res.StatusCode, res.body)
		}
	}
	if res.StatusCode == http.StatusUnauthorized && apiErrorCode(res) == "unauthorized" && !strings.HasPrefix(res.Header.Get("WWW-Authenticate"), "Bearer") {
		t.Fatalf("%s %s: 401 without WWW-Authenticate: Bearer", r.method, r.path)
	}

	router := apiSpec(t)
	u, _ := url.Parse(r.path)
	req, _ := http.NewRequest(r.method, "http://latchkey.test"+u.RequestURI(), strings.NewReader(r.body))
	if r.ctype != "" {
		req.Header.Set("Content-Type", r.ctype)
	}
	route, params, err := router.FindRoute(req)
	if strings.HasPrefix(r.path, "/api/test/") {
		return // a test's own route (one that fails on purpose), not the API's
	}
	if err != nil {
		// Not a documented route: the contract says it is 404, or 405.
		if res.StatusCode != http.StatusNotFound && res.StatusCode != http.StatusMethodNotAllowed {
			t.Fatalf("%s %s: not in handlers/openapi.json, yet answered %d", r.method, r.path, res.StatusCode)
		}
		return
	}
	ctx := context.Background()
	opts := &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, MultiError: true}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: opts}
	if res.StatusCode < 300 {
		// A request the API accepted must be one the document allows.
		if err := openapi3filter.ValidateRequest(ctx, in); err != nil {
			t.Fatalf("%s %s: accepted (%d), but the request does not match handlers/openapi.json: %v", r.method, r.path, res.StatusCode, err)
		}
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: res.StatusCode, Header: res.Header,
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true}}
	out.SetBodyBytes(bytes.Clone([]byte(res.body)))
	if err := openapi3filter.ValidateResponse(ctx, out); err != nil {
		t.Fatalf("%s %s: the %d answer does not match handlers/openapi.json: %v\n%s", r.method, r.path, res.StatusCode, err, res.body)
	}
}

// apiErrorCode is the "error" of a JSON error answer.
func apiErrorCode(res *response) string {
	var e struct {
		Error string `json:"error"`
	}
	_ = json.Unmarshal([]byte(res.body), &e)
	return e.Error
}

// assertAPIError checks an error answer's status and code.
func assertAPIError(t testing.TB, res *response, status int, code string) {
	t.Helper()
	assertStatus(t, res, status)
	if got := apiErrorCode(res); got != code {
		t.Fatalf("%s %s: error %q, want %q: %s", res.Request.Method, res.Request.URL.Path, got, code, res.body)
	}
}

// decodeAnswer decodes a JSON answer into v.
func decodeAnswer(t testing.TB, res *response, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(res.body), v); err != nil {
		t.Fatalf("%s %s: %v: %s", res.Request.Method, res.Request.URL.Path, err, res.body)
	}
}

type tokenPair struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
	RefreshToken string `json:"refresh_token"`
}

// signInForTokens is POST /api/auth/token from a program, expecting a pair.
func (c *client) signInForTokens(email, password string) tokenPair {
	c.t.Helper()
	res := c.apiJSON(http.MethodPost, "/api/auth/token", "", map[string]string{"email": email, "password": password})
	assertStatus(c.t, res, http.StatusOK)
	var p tokenPair
	decodeAnswer(c.t, res, &p)
	return p
}

// apiCSRF is this browser's CSRF token, read from GET /api/auth/csrf.
func (c *client) apiCSRF() string {
	c.t.Helper()
	res := c.apiGet("/api/auth/csrf", "")
	assertStatus(c.t, res, http.StatusOK)
	var v struct {
		CSRFToken string `json:"csrfToken"`
	}
	decodeAnswer(c.t, res, &v)
	if v.CSRFToken == "" {
		c.t.Fatal("GET /api/auth/csrf: empty token")
	}
	return v.CSRFToken
}

func idText(n int64) string { return strconv.FormatInt(n, 10) }
