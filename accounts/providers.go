package accounts

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// Provider describes one identity provider. A fork adds a provider (GitLab,
// Discord …) by writing one value of this type and one setting group in
// package main; nothing else changes. An OpenID Connect provider needs only
// its Issuer: its endpoints and keys are discovered and the user is read
// from the verified ID token. A plain OAuth 2.0 provider gives its AuthURL
// and TokenURL and a ReadUser that asks its API who signed in.
type Provider struct {
	// ID names the provider in URLs (/login/oauth/ID) and in the
	// identities table: lower-case letters, and never changed once used.
	ID string
	// Name is what people read: "Continue with Name".
	Name         string
	ClientID     string
	ClientSecret string
	// Issuer makes this an OpenID Connect provider.
	Issuer string
	// AuthURL and TokenURL are a plain OAuth 2.0 provider's endpoints.
	AuthURL, TokenURL string
	// AuthStyle is how the client secret is sent to TokenURL; zero tries
	// the header first, then the form.
	AuthStyle oauth2.AuthStyle
	// Scopes asked for; for OpenID Connect "openid email profile" when nil.
	Scopes []string
	// ReadUser reads who signed in from a plain OAuth 2.0 provider's API,
	// with client (which has the timeouts) and the access token.
	ReadUser func(ctx context.Context, client *http.Client, token *oauth2.Token) (ProviderUser, error)
}

// ProviderUser is who a provider says signed in. Only an address the
// provider reports as verified (EmailVerified) can find or make an account.
type ProviderUser struct {
	Subject       string
	Email         string
	EmailVerified bool
	Name          string
}

// ProviderInfo is what the pages need of a configured provider.
type ProviderInfo struct{ ID, Name string }

// ProviderTimeout bounds every call to a provider, and the whole of one
// sign-in's calls: a provider that hangs never hangs our page.
const ProviderTimeout = 10 * time.Second

// NewProviderClient is the one HTTP client of every provider call.
func NewProviderClient() *http.Client {
	return &http.Client{Timeout: ProviderTimeout}
}

// providerCallbackPath is the redirect URI, under BaseURL, registered with
// the provider.
func providerCallbackPath(id string) string { return "/login/oauth/" + id + "/callback" }

// Errors of a provider sign-in.
var (
	// ErrUnknownProvider: no provider is configured under that name.
	ErrUnknownProvider = errors.New("unknown identity provider")
	// ErrProviderFlow: the answer from the provider could not be trusted
	// or used (wrong state, failed exchange, bad ID token, unreadable
	// user). Its text is safe to log: it carries no code or token.
	ErrProviderFlow = errors.New("identity provider sign-in failed")
)

// provider is a configured Provider with what was discovered about it.
type provider struct {
	Provider
	mu       sync.Mutex
	endpoint oauth2.Endpoint
	verifier *oidc.IDTokenVerifier
}

func (s *Service) initProviders() error {
	s.providers = map[string]*provider{}
	for _, p := range s.Providers {
		if p.ID == "" || p.Name == "" || p.ClientID == "" {
			return fmt.Errorf("provider %q: ID, Name and ClientID are required", p.ID)
		}
		if (p.Issuer == "") == (p.AuthURL == "" || p.TokenURL == "" || p.ReadUser == nil) {
			return fmt.Errorf("provider %q: give an Issuer, or AuthURL, TokenURL and ReadUser", p.ID)
		}
		if _, dup := s.providers[p.ID]; dup {
			return fmt.Errorf("provider %q configured twice", p.ID)
		}
		pr := &provider{Provider: p}
		if p.Issuer == "" {
			pr.endpoint = oauth2.Endpoint{AuthURL: p.AuthURL, TokenURL: p.TokenURL, AuthStyle: p.AuthStyle}
		}
		s.providers[p.ID] = pr
	}
	if s.ProviderClient == nil {
		s.ProviderClient = NewProviderClient()
	}
	return nil
}

// ConfiguredProviders are the providers whose settings are present, in the
// order configured: the buttons of /login and /signup.
func (s *Service) ConfiguredProviders() []ProviderInfo {
	out := make([]ProviderInfo, 0, len(s.Providers))
	for _, p := range s.Providers {
		out = append(out, ProviderInfo{ID: p.ID, Name: p.Name})
	}
	return out
}

// ProviderOrigins are the origins (scheme://host) the browser is sent to
// at the providers: the issuer's for OpenID Connect, whose authorization
// endpoint is on the same origin at every provider we know of, and the
// AuthURL's otherwise.
func (s *Service) ProviderOrigins() []string {
	var out []string
	for _, p := range s.Providers {
		if u, err := url.Parse(cmp.Or(p.Issuer, p.AuthURL)); err == nil && u.Host != "" {
			if o := u.Scheme + "://" + u.Host; !slices.Contains(out, o) {
				out = append(out, o)
			}
		}
	}
	return out
}

// ProviderName is the name people read for the provider id, or "".
func (s *Service) ProviderName(id string) string {
	if p, ok := s.providers[id]; ok {
		return p.Name
	}
	return ""
}

// clientContext carries the provider client to oauth2 and go-oidc.
func (s *Service) clientContext(ctx context.Context) context.Context {
	ctx = context.WithValue(ctx, oauth2.HTTPClient, s.ProviderClient)
	return oidc.ClientContext(ctx, s.ProviderClient)
}

// discover returns the provider's endpoints and, for OpenID Connect, its ID
// token verifier, fetching the discovery document on first use. A failed
// discovery is tried again next time, so a provider that was down at start
// works once it is back.
func (s *Service) discover(ctx context.Context, p *provider) (oauth2.Endpoint, *oidc.IDTokenVerifier, error) {
	if p.Issuer == "" {
		return p.endpoint, nil, nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.verifier != nil {
		return p.endpoint, p.verifier, nil
	}
	op, err := oidc.NewProvider(s.clientContext(ctx), p.Issuer)
	if err != nil {
		return oauth2.Endpoint{}, nil, fmt.Errorf("%w: discover %s: %v", ErrProviderFlow, p.ID, safeErr(err))
	}
	p.endpoint = op.Endpoint()
	if a, err := url.Parse(p.endpoint.AuthURL); err != nil || !strings.HasPrefix(p.Issuer, a.Scheme+"://"+a.Host) {
		s.Log.WarnContext(ctx, "the provider's authorization endpoint is not on its issuer's origin: the pages' form-action will stop browsers going there",
			"provider", p.ID, "authorization_endpoint", p.endpoint.AuthURL)
	}
	p.endpoint.AuthStyle = p.AuthStyle
	// go-oidc checks the signature (only the algorithms the provider
	// announces, never "none"), the issuer, the audience and the expiry.
	p.verifier = op.Verifier(&oidc.Config{ClientID: p.ClientID, Now: s.now})
	return p.endpoint, p.verifier, nil
}

func (s *Service) oauthConfig(p *provider, endpoint oauth2.Endpoint) *oauth2.Config {
	scopes := p.Scopes
	if scopes == nil && p.Issuer != "" {
		scopes = []string{oidc.ScopeOpenID, "email", "profile"}
	}
	return &oauth2.Config{ClientID: p.ClientID, ClientSecret: p.ClientSecret, Endpoint: endpoint,
		RedirectURL: s.BaseURL + providerCallbackPath(p.ID), Scopes: scopes}
}

// ProviderFlow is what one browser keeps in its session between sending
// the user to the provider and the provider sending them back: all of it
// secret, and good for one callback.
type ProviderFlow struct {
	Provider string `json:"provider"`
	State    string `json:"state"`
	Verifier string `json:"verifier"`
	Nonce    string `json:"nonce"`
}

// StateMatches reports whether state is this flow's.
func (f ProviderFlow) StateMatches(state string) bool {
	return f.State != "" && subtle.ConstantTimeCompare([]byte(f.State), []byte(state)) == 1
}

// StartProviderFlow begins a sign-in with provider id: it returns the
// provider's authorization URL (with a fresh state, a PKCE S256 challenge
// and, for OpenID Connect, a nonce) and the flow the caller keeps in this
// browser's session for the callback.
func (s *Service) StartProviderFlow(ctx context.Context, id string) (string, ProviderFlow, error) {
	p, ok := s.providers[id]
	if !ok {
		return "", ProviderFlow{}, ErrUnknownProvider
	}
	ctx, cancel := context.WithTimeout(ctx, ProviderTimeout)
	defer cancel()
	endpoint, _, err := s.discover(ctx, p)
	if err != nil {
		return "", ProviderFlow{}, err
	}
	f := ProviderFlow{Provider: id, State: rand.Text(), Verifier: oauth2.GenerateVerifier()}
	opts := []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(f.Verifier)}
	if p.Issuer != "" {
		f.Nonce = rand.Text()
		opts = append(opts, oidc.Nonce(f.Nonce))
	}
	return s.oauthConfig(p, endpoint).AuthCodeURL(f.State, opts...), f, nil
}

// maxCodeLength bounds the authorization code we pass on: real ones are
// a few dozen characters.
const maxCodeLength = 2048

// FinishProviderFlow completes flow f with the state and code the provider
// sent back: the state must be this flow's, the code is exchanged with the
// PKCE verifier, and the user is read from the verified ID token (its
// nonce must be this flow's) or from the provider's API. Every failure is
// ErrProviderFlow.
func (s *Service) FinishProviderFlow(ctx context.Context, f ProviderFlow, state, code string) (ProviderUser, error) {
	p, ok := s.providers[f.Provider]
	if !ok {
		return ProviderUser{}, ErrUnknownProvider
	}
	if !f.StateMatches(state) {
		return ProviderUser{}, fmt.Errorf("%w: state does not match this browser's", ErrProviderFlow)
	}
	if code == "" || len(code) > maxCodeLength {
		return ProviderUser{}, fmt.Errorf("%w: no usable code (%d bytes)", ErrProviderFlow, len(code))
	}
	ctx, cancel := context.WithTimeout(ctx, ProviderTimeout)
	defer cancel()
	endpoint, verifier, err := s.discover(ctx, p)
	if err != nil {
		return ProviderUser{}, err
	}
	ctx = s.clientContext(ctx)
	tok, err := s.oauthConfig(p, endpoint).Exchange(ctx, code, oauth2.VerifierOption(f.Verifier))
	if err != nil {
		return ProviderUser{}, fmt.Errorf("%w: exchange code at %s: %v", ErrProviderFlow, p.ID, safeErr(err))
	}
	if verifier == nil {
		u, err := p.ReadUser(ctx, s.ProviderClient, tok)
		if err != nil {
			return ProviderUser{}, fmt.Errorf("%w: read user at %s: %v", ErrProviderFlow, p.ID, safeErr(err))
		}
		if u.Subject == "" {
			return ProviderUser{}, fmt.Errorf("%w: %s named no user", ErrProviderFlow, p.ID)
		}
		return u, nil
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return ProviderUser{}, fmt.Errorf("%w: %s sent no ID token", ErrProviderFlow, p.ID)
	}
	idt, err := verifier.Verify(ctx, raw)
	if err != nil {
		return ProviderUser{}, fmt.Errorf("%w: ID token from %s: %v", ErrProviderFlow, p.ID, safeErr(err))
	}
	// A token minted for another flow (an old one replayed, or one the
	// attacker got for their own browser) carries another nonce.
	if f.Nonce == "" || subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(f.Nonce)) != 1 {
		return ProviderUser{}, fmt.Errorf("%w: ID token from %s has another flow's nonce", ErrProviderFlow, p.ID)
	}
	var claims struct {
		Email         string `json:"email"`
		EmailVerified any    `json:"email_verified"`
		Name          string `json:"name"`
	}
	if err := idt.Claims(&claims); err != nil {
		return ProviderUser{}, fmt.Errorf("%w: ID token claims from %s: %v", ErrProviderFlow, p.ID, safeErr(err))
	}
	// Some providers send the boolean as a string.
	verified := claims.EmailVerified == true || claims.EmailVerified == "true"
	return ProviderUser{Subject: idt.Subject, Email: claims.Email, EmailVerified: verified, Name: claims.Name}, nil
}

// safeErr is an error's text without what a provider sent back: an
// oauth2.RetrieveError's body may repeat the code, so only its status and
// error code are kept.
func safeErr(err error) string {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		status := 0
		if re.Response != nil {
			status = re.Response.StatusCode
		}
		return fmt.Sprintf("provider answered %d %q", status, truncate(re.ErrorCode, 64))
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "timed out"
	}
	return truncate(err.Error(), 300)
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// GitHub is GitHub's OAuth app (or GitHub Enterprise's, at webURL with its
// API at apiURL). GitHub has no ID token: the user and the address come
// from its API, and only the verified primary address counts.
func GitHub(clientID, clientSecret, webURL, apiURL string) Provider {
	webURL, apiURL = strings.TrimRight(webURL, "/"), strings.TrimRight(apiURL, "/")
	return Provider{ID: "github", Name: "GitHub", ClientID: clientID, ClientSecret: clientSecret,
		AuthURL: webURL + "/login/oauth/authorize", TokenURL: webURL + "/login/oauth/access_token",
		AuthStyle: oauth2.AuthStyleInParams, Scopes: []string{"read:user", "user:email"},
		ReadUser: func(ctx context.Context, client *http.Client, tok *oauth2.Token) (ProviderUser, error) {
			var u struct {
				ID    int64  `json:"id"`
				Login string `json:"login"`
				Name  string `json:"name"`
			}
			if err := getJSON(ctx, client, tok, apiURL+"/user", &u); err != nil {
				return ProviderUser{}, err
			}
			if u.ID <= 0 {
				return ProviderUser{}, errors.New("GitHub user has no id")
			}
			var emails []struct {
				Email    string `json:"email"`
				Primary  bool   `json:"primary"`
				Verified bool   `json:"verified"`
			}
			if err := getJSON(ctx, client, tok, apiURL+"/user/emails", &emails); err != nil {
				return ProviderUser{}, err
			}
			pu := ProviderUser{Subject: strconv.FormatInt(u.ID, 10), Name: u.Name}
			if pu.Name == "" {
				pu.Name = u.Login
			}
			for _, e := range emails {
				if e.Primary && e.Verified {
					pu.Email, pu.EmailVerified = e.Email, true
				}
			}
			return pu, nil
		}}
}

// Google signs in with a Google account (OpenID Connect).
func Google(clientID, clientSecret string) Provider {
	return Provider{ID: "google", Name: "Google", ClientID: clientID, ClientSecret: clientSecret,
		Issuer: "https://accounts.google.com"}
}

// OIDC is any OpenID provider found by discovery at issuer, labelled name.
func OIDC(name, issuer, clientID, clientSecret string) Provider {
	return Provider{ID: "oidc", Name: name, ClientID: clientID, ClientSecret: clientSecret, Issuer: issuer}
}

// maxAPIBody bounds what we read of one provider API answer.
const maxAPIBody = 1 << 20

// getJSON GETs url with the access token and decodes its JSON into v.
func getJSON(ctx context.Context, client *http.Client, tok *oauth2.Token, url string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("GET %s: %w", url, err)
	}
	tok.SetAuthHeader(req)
	req.Header.Set("Accept", "application/json")
	res, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("GET %s: %s", url, safeErr(err))
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: status %d", url, res.StatusCode)
	}
	if err := json.NewDecoder(io.LimitReader(res.Body, maxAPIBody)).Decode(v); err != nil {
		return fmt.Errorf("GET %s: unreadable answer: %w", url, err)
	}
	return nil
}
