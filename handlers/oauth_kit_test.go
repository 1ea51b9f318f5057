package handlers

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/oauth2-proxy/mockoidc"

	"latchkey/accounts"
)

// Real providers over HTTP, started inside the tests: a real OpenID
// provider (mockoidc) for the generic provider and Google, and a
// GitHub-shaped OAuth server (authorize, token, /user, /user/emails) that
// the app reaches through GITHUB_URL and GITHUB_API_URL.

// oidcUser is a person at the OpenID provider. edit, when set, changes the
// ID token's claims before it is signed: another audience, an expiry in the
// past, another flow's nonce.
type oidcUser struct {
	sub, email, name string
	verified         bool
	edit             func(*mockoidc.IDTokenClaims)
}

func (u *oidcUser) ID() string { return u.sub }

func (u *oidcUser) Userinfo([]string) ([]byte, error) {
	return json.Marshal(map[string]any{"sub": u.sub, "email": u.email})
}

func (u *oidcUser) Claims(_ []string, c *mockoidc.IDTokenClaims) (jwt.Claims, error) {
	if u.edit != nil {
		u.edit(c)
	}
	return &struct {
		*mockoidc.IDTokenClaims
		Email         string `json:"email,omitempty"`
		EmailVerified bool   `json:"email_verified"`
		Name          string `json:"name,omitempty"`
	}{c, u.email, u.verified, u.name}, nil
}

// oidcProvider is a running mockoidc with what the tests watch of it.
type oidcProvider struct {
	*mockoidc.MockOIDC
	mu     sync.Mutex
	nonces []string // the nonce of every authorization request, in order
	// unsigned replaces the ID token of the next token answer with the
	// same claims under alg "none".
	unsigned bool
}

func startOIDC(t testing.TB) *oidcProvider {
	t.Helper()
	m, err := mockoidc.NewServer(nil)
	if err != nil {
		t.Fatal(err)
	}
	// An hour: the app's clock may be moved forward a little by a test.
	m.AccessTTL = time.Hour
	m.CodeChallengeMethodsSupported = []string{"S256"}
	p := &oidcProvider{MockOIDC: m}
	if err := m.AddMiddleware(p.watch); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Start(ln, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Shutdown() })
	return p
}

func (p *oidcProvider) watch(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case mockoidc.AuthorizationEndpoint:
			p.mu.Lock()
			p.nonces = append(p.nonces, r.URL.Query().Get("nonce"))
			p.mu.Unlock()
		case mockoidc.TokenEndpoint:
			p.mu.Lock()
			unsigned := p.unsigned
			p.mu.Unlock()
			if unsigned {
				rec := httptest.NewRecorder()
				next.ServeHTTP(rec, r)
				var body map[string]any
				if json.Unmarshal(rec.Body.Bytes(), &body) == nil && rec.Code == http.StatusOK {
					if idt, ok := body["id_token"].(string); ok {
						// The first good answer only (oauth2 may try the
						// client secret in the header first, and fail).
						p.mu.Lock()
						p.unsigned = false
						p.mu.Unlock()
						parts := strings.Split(idt, ".")
						body["id_token"] = base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + parts[1] + "."
					}
				}
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(rec.Code)
				_ = json.NewEncoder(w).Encode(body)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

func (p *oidcProvider) nonce(i int) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.nonces[i]
}

// githubUser is a person at the GitHub-shaped server.
type githubUser struct {
	ID     int64
	Login  string
	Name   string
	Emails []githubEmail
}

type githubEmail struct {
	Email    string `json:"email"`
	Primary  bool   `json:"primary"`
	Verified bool   `json:"verified"`
}

// githubServer is a GitHub-shaped OAuth server: it checks the client, the
// redirect URI, PKCE S256 and that a code serves once, as GitHub does.
type githubServer struct {
	*httptest.Server
	clientID, secret string

	mu     sync.Mutex
	next   *githubUser // who approves the next authorization
	deny   bool        // the next authorization is declined
	codes  map[string]githubGrant
	tokens map[string]*githubUser
	// apiFailure breaks /user: "500", "json" (not JSON), "hang".
	apiFailure string
	// lax lets a code be exchanged more than once, as a careless provider
	// might: then only the app's own checks stand.
	lax  bool
	hang chan struct{}
}

type githubGrant struct {
	user        *githubUser
	challenge   string
	redirectURI string
}

func startGitHub(t testing.TB) *githubServer {
	t.Helper()
	g := &githubServer{clientID: "gh-client", secret: "gh-secret", codes: map[string]githubGrant{},
		tokens: map[string]*githubUser{}, hang: make(chan struct{})}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /login/oauth/authorize", g.authorize)
	mux.HandleFunc("POST /login/oauth/access_token", g.token)
	mux.HandleFunc("GET /api/user", g.user)
	mux.HandleFunc("GET /api/user/emails", g.emails)
	g.Server = httptest.NewServer(mux)
	t.Cleanup(func() { close(g.hang); g.Close() })
	return g
}

func (g *githubServer) approveAs(u *githubUser) {
	g.mu.Lock()
	g.next = u
	g.mu.Unlock()
}

func (g *githubServer) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("client_id") != g.clientID || q.Get("state") == "" || q.Get("redirect_uri") == "" {
		http.Error(w, "bad authorization request", http.StatusBadRequest)
		return
	}
	if q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" {
		http.Error(w, "PKCE S256 required", http.StatusBadRequest)
		return
	}
	g.mu.Lock()
	u, deny := g.next, g.deny
	g.deny = false
	code := strconv.Itoa(len(g.codes)+1) + "-code"
	if !deny {
		g.codes[code] = githubGrant{user: u, challenge: q.Get("code_challenge"), redirectURI: q.Get("redirect_uri")}
	}
	g.mu.Unlock()
	back, _ := url.Parse(q.Get("redirect_uri"))
	v := url.Values{"state": {q.Get("state")}}
	if deny {
		v.Set("error", "access_denied")
		v.Set("error_description", "The user has denied your application access. <script>")
	} else {
		v.Set("code", code)
	}
	back.RawQuery = v.Encode()
	http.Redirect(w, r, back.String(), http.StatusFound)
}

func (g *githubServer) token(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	fail := func(code string) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		// GitHub repeats nothing secret, but a provider might: the app
		// must not log this body.
		_ = json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": "code " + r.Form.Get("code") + " refused"})
	}
	if r.Form.Get("client_id") != g.clientID || r.Form.Get("client_secret") != g.secret {
		fail("incorrect_client_credentials")
		return
	}
	g.mu.Lock()
	grant, ok := g.codes[r.Form.Get("code")]
	if !g.lax {
		delete(g.codes, r.Form.Get("code"))
	}
	g.mu.Unlock()
	if !ok || grant.redirectURI != r.Form.Get("redirect_uri") {
		fail("bad_verification_code")
		return
	}
	sum := sha256.Sum256([]byte(r.Form.Get("code_verifier")))
	if base64.RawURLEncoding.EncodeToString(sum[:]) != grant.challenge {
		fail("invalid_grant")
		return
	}
	tok := "gho_" + r.Form.Get("code")
	g.mu.Lock()
	g.tokens[tok] = grant.user
	g.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]string{"access_token": tok, "token_type": "bearer", "scope": "read:user,user:email"})
}

func (g *githubServer) bearer(w http.ResponseWriter, r *http.Request) *githubUser {
	g.mu.Lock()
	defer g.mu.Unlock()
	u := g.tokens[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")]
	if u == nil {
		http.Error(w, `{"message":"Bad credentials"}`, http.StatusUnauthorized)
	}
	return u
}

func (g *githubServer) user(w http.ResponseWriter, r *http.Request) {
	u := g.bearer(w, r)
	if u == nil {
		return
	}
	g.mu.Lock()
	failure := g.apiFailure
	g.mu.Unlock()
	switch failure {
	case "500":
		http.Error(w, `{"message":"Server Error"}`, http.StatusInternalServerError)
		return
	case "json":
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"id": 12, "login": "oops"`)
		return
	case "hang":
		select {
		case <-g.hang:
		case <-r.Context().Done():
		}
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"id": u.ID, "login": u.Login, "name": u.Name})
}

func (g *githubServer) emails(w http.ResponseWriter, r *http.Request) {
	u := g.bearer(w, r)
	if u == nil {
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(u.Emails)
}

// providerWorld is the app with all three providers configured against
// the servers above.
type providerWorld struct {
	app    *testApp
	github *githubServer
	oidc   *oidcProvider
	google *oidcProvider
}

func newProviderWorld(t testing.TB, opts ...func(*testConfig)) *providerWorld {
	t.Helper()
	w := &providerWorld{github: startGitHub(t), oidc: startOIDC(t), google: startOIDC(t)}
	google := accounts.Google(w.google.ClientID, w.google.ClientSecret)
	google.Issuer = w.google.Issuer() // the real one is https://accounts.google.com
	providers := []accounts.Provider{
		accounts.GitHub(w.github.clientID, w.github.secret, w.github.URL, w.github.URL+"/api"),
		google,
		accounts.OIDC("Test SSO", w.oidc.Issuer(), w.oidc.ClientID, w.oidc.ClientSecret),
	}
	opts = append([]func(*testConfig){func(c *testConfig) {
		c.providers = providers
		c.providerClient = &http.Client{Timeout: 2 * time.Second}
	}}, opts...)
	w.app = newTestApp(t, opts...)
	return w
}

// startAt presses "Continue with …" (or posts path with form) and returns
// where the app sends the browser: the provider's authorization URL.
func (c *client) startAt(path string, form url.Values) *url.URL {
	c.t.Helper()
	res := c.postForm(path, form)
	assertStatus(c.t, res, http.StatusSeeOther)
	u, err := url.Parse(res.Header.Get("Location"))
	if err != nil || u.Host == "" {
		c.t.Fatalf("POST %s: Location %q is not the provider", path, res.Header.Get("Location"))
	}
	return u
}

// approve is the user at the provider approving: the provider's redirect
// back to the app, as a path of the test server (the app's BASE_URL is
// http://latchkey.test).
func approve(t testing.TB, authURL *url.URL) string {
	t.Helper()
	nc := &http.Client{Timeout: 5 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, authURL.String(), nil)
	res, err := nc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusFound {
		t.Fatalf("provider answered %d to the authorization request", res.StatusCode)
	}
	back := res.Header.Get("Location")
	const base = "http://latchkey.test"
	if !strings.HasPrefix(back, base+"/login/oauth/") {
		t.Fatalf("provider sent the browser to %q", back)
	}
	return strings.TrimPrefix(back, base)
}

// signInWith runs the whole flow in this browser and returns the app's
// answer to the callback.
func (c *client) signInWith(provider string) *response {
	c.t.Helper()
	return c.get(approve(c.t, c.startAt("/login/oauth/"+provider, url.Values{})))
}

// assertAuthError checks the callback's answer sends the browser to the
// error page with code, and that the page answers with status.
func (c *client) assertAuthError(res *response, code string, status int) {
	c.t.Helper()
	assertStatus(c.t, res, http.StatusSeeOther)
	assertLocation(c.t, res, "/auth/error?error="+code)
	page := c.get(res.Header.Get("Location"))
	assertStatus(c.t, page, status)
	assertContains(c.t, page, `href="/login"`)
}

// count counts rows of a table, straight from the database file.
func (a *testApp) count(t testing.TB, table, where string, args ...any) int {
	t.Helper()
	var n int
	q := "SELECT COUNT(*) FROM " + table
	if where != "" {
		q += " WHERE " + where
	}
	if err := a.db.Read.QueryRow(a.db.Rebind(q), args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
