package handlers

import (
	"encoding/json"
	"errors"
	"net/http"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"latchkey/accounts"
	"latchkey/auth"
	"latchkey/internal/timetext"
	"latchkey/views"
)

// sessionKeyProviderFlow holds the one provider flow this browser has in
// progress (pendingFlow, as JSON): its secrets never leave the server, and
// the callback takes it out before anything else, so it serves once.
const sessionKeyProviderFlow = "provider_flow"

// providerFlowLifetime is how long a browser may stay at the provider.
const providerFlowLifetime = 10 * time.Minute

// pendingFlow is a provider flow and what to do when it comes back.
type pendingFlow struct {
	accounts.ProviderFlow
	Next    string `json:"next,omitempty"`
	Started int64  `json:"started"`
	// ConnectUser and ConnectSession are set when a signed-in user is
	// connecting the provider from /settings/connections: the callback
	// then connects instead of signing in, and only for that same session.
	ConnectUser    int64  `json:"connect_user,omitempty"`
	ConnectSession string `json:"connect_session,omitempty"`
}

// Codes of /auth/error that a provider flow ends on.
const (
	codeCallback  = "OAuthCallbackError"
	codeDenied    = "AccessDenied"
	codeNotLinked = "OAuthAccountNotLinked"
)

func authErrorURL(code string) string { return "/auth/error?error=" + code }

type providerStartForm struct {
	Next string `form:"next" validate:"max=2048"`
}

// startProviderSignIn is POST /login/oauth/:provider: it keeps a new flow
// in this browser's session and sends the browser to the provider.
func (h *Handlers) startProviderSignIn(c echo.Context) error {
	if h.accounts.ProviderName(c.Param("provider")) == "" {
		return echo.ErrNotFound
	}
	var f providerStartForm
	if errs := bind(c, &f); errs != nil {
		return errFormRefused
	}
	return h.beginProviderFlow(c, pendingFlow{Next: auth.SafeNext(f.Next, "")})
}

// beginProviderFlow starts the flow of c's provider and redirects to it.
func (h *Handlers) beginProviderFlow(c echo.Context, pf pendingFlow) error {
	ctx := c.Request().Context()
	id := c.Param("provider")
	authURL, flow, err := h.accounts.StartProviderFlow(ctx, id)
	switch {
	case errors.Is(err, accounts.ErrUnknownProvider):
		return echo.ErrNotFound
	case errors.Is(err, accounts.ErrProviderFlow):
		h.log.WarnContext(ctx, "identity provider unavailable", "provider", id, "err", err)
		return redirect(c, authErrorURL(codeCallback))
	case err != nil:
		return err
	}
	pf.ProviderFlow, pf.Started = flow, h.now().Unix()
	b, err := json.Marshal(pf)
	if err != nil {
		return err
	}
	h.sessions.Put(ctx, sessionKeyProviderFlow, string(b))
	return redirect(c, authURL)
}

// providerCallback is GET /login/oauth/:provider/callback: the provider
// sends the browser back with a code (or an error). The flow must be this
// browser's and its state the one sent; then the user is read, and either
// signed in by DESIGN.md's linking rules or, for a flow started from
// /settings/connections, connected to the signed-in account.
func (h *Handlers) providerCallback(c echo.Context) error {
	ctx := c.Request().Context()
	id := c.Param("provider")
	if h.accounts.ProviderName(id) == "" {
		return echo.ErrNotFound
	}
	// Taken out first, whatever happens next: a state serves once.
	var pf pendingFlow
	raw := h.sessions.PopString(ctx, sessionKeyProviderFlow)
	if raw == "" || json.Unmarshal([]byte(raw), &pf) != nil || pf.Provider != id ||
		h.now().Sub(time.Unix(pf.Started, 0)) > providerFlowLifetime {
		h.log.InfoContext(ctx, "identity provider callback without a flow of this browser", "provider", id)
		return redirect(c, authErrorURL(codeCallback))
	}
	q := c.QueryParams()
	if e := q.Get("error"); e != "" {
		// The provider's own words are for the log, never the page; they
		// are cut short and hold no code or token.
		h.log.InfoContext(ctx, "identity provider answered an error", "provider", id,
			"error", printable(e, 64), "description", printable(q.Get("error_description"), 200))
		if e == "access_denied" && pf.StateMatches(q.Get("state")) {
			return redirect(c, authErrorURL(codeDenied))
		}
		return redirect(c, authErrorURL(codeCallback))
	}
	pu, err := h.accounts.FinishProviderFlow(ctx, pf.ProviderFlow, q.Get("state"), q.Get("code"))
	if errors.Is(err, accounts.ErrProviderFlow) {
		h.log.WarnContext(ctx, "identity provider sign-in refused", "provider", id, "err", err)
		return redirect(c, authErrorURL(codeCallback))
	}
	if err != nil {
		return err
	}
	if pf.ConnectUser != 0 {
		return h.finishConnect(c, pf, pu)
	}
	user, err := h.accounts.SignInWithProvider(ctx, id, pu)
	switch {
	case errors.Is(err, accounts.ErrNotLinked):
		return redirect(c, authErrorURL(codeNotLinked))
	case errors.Is(err, accounts.ErrDisabled):
		return redirect(c, authErrorURL(codeDenied))
	case err != nil:
		return err
	}
	asked, err := h.finishFirstFactor(c, user, accounts.MethodProvider+id, false, pf.Next, "")
	if err != nil {
		return err
	}
	if asked {
		return redirect(c, "/login/2fa")
	}
	return redirect(c, auth.SafeNext(pf.Next, "/dashboard"))
}

// finishConnect connects the identity to the account that started the
// flow, which must still be the one signed in to this browser.
func (h *Handlers) finishConnect(c echo.Context, pf pendingFlow, pu accounts.ProviderUser) error {
	ctx := c.Request().Context()
	sid := h.sessions.GetString(ctx, sessionKeyID)
	if sid == "" || sid != pf.ConnectSession {
		return redirect(c, authErrorURL(codeCallback))
	}
	_, user, err := h.accounts.SessionUser(ctx, sid)
	if errors.Is(err, accounts.ErrSessionEnded) || (err == nil && user.ID != pf.ConnectUser) {
		return redirect(c, authErrorURL(codeCallback))
	}
	if err != nil {
		return err
	}
	name := h.accounts.ProviderName(pf.Provider)
	err = h.accounts.ConnectIdentity(ctx, user, pf.Provider, pu, origin(c))
	switch {
	case errors.Is(err, accounts.ErrIdentityElsewhere):
		h.flash(c, "That "+name+" account is already connected to another account here, so it wasn't connected. Sign in with it to use that account, or disconnect it there first.")
	case errors.Is(err, accounts.ErrProviderConnected):
		h.flash(c, "Another "+name+" account is already connected. Disconnect it first to connect this one.")
	case err != nil:
		return err
	default:
		h.flash(c, name+" is now connected: you can use it to sign in.")
	}
	return redirect(c, "/settings/connections")
}

// printable is s cut to n bytes with control characters dropped, for a log
// line that must not be forged by what a provider (or a forged link) sent.
func printable(s string, n int) string {
	out := make([]rune, 0, min(len(s), n))
	size := 0
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r == utf8.RuneError {
			continue
		}
		if size += utf8.RuneLen(r); size > n {
			break
		}
		out = append(out, r)
	}
	return string(out)
}

// connectionsView gathers what /settings/connections shows.
func (h *Handlers) connectionsView(c echo.Context) (views.Connections, error) {
	u, sess := currentUser(c), currentSession(c)
	conns, err := h.accounts.ListConnections(c.Request().Context(), u.ID)
	if err != nil {
		return views.Connections{}, err
	}
	v := views.Connections{HasPassword: u.HasPassword()}
	if h.accounts.RecentlySignedIn(sess, h.cfg.SudoWindow) {
		v.SudoUntil = timetext.Clock(sess.AuthenticatedAt.Add(h.cfg.SudoWindow))
	}
	connected := map[string]bool{}
	now := h.now()
	for _, cn := range conns {
		connected[cn.Provider] = true
		v.Rows = append(v.Rows, views.ConnectionRow{ID: cn.Provider, Name: cn.ProviderName, Email: cn.Email,
			Connected: timetext.Moment(cn.CreatedAt), LastUsed: timetext.Ago(now, cn.LastUsedAt)})
	}
	for _, p := range h.providerButtons {
		if !connected[p.ID] {
			v.Available = append(v.Available, p)
		}
	}
	return v, nil
}

func (h *Handlers) renderConnections(c echo.Context, status int, failed string, errs views.Errors) error {
	v, err := h.connectionsView(c)
	if err != nil {
		return err
	}
	v.Failed, v.Errors = failed, errs
	p := h.page(c, "Connected accounts")
	p.Wide = true
	return render(c, status, views.ConnectionsPage(p, v))
}

func (h *Handlers) connectionsPage(c echo.Context) error {
	return h.renderConnections(c, http.StatusOK, "", nil)
}

type connectForm struct {
	CurrentPassword string `form:"current_password" validate:"max=1024"`
}

// connectProvider is POST /settings/connections/:provider: after the sudo
// check (the password, or a sign-in within the sudo window), the same flow
// as a sign-in, marked as this session's connect.
func (h *Handlers) connectProvider(c echo.Context) error {
	id := c.Param("provider")
	if h.accounts.ProviderName(id) == "" {
		return echo.ErrNotFound
	}
	var f connectForm
	if errs := bind(c, &f); errs != nil {
		return h.renderConnections(c, http.StatusUnprocessableEntity, id, errs)
	}
	u, sess := currentUser(c), currentSession(c)
	ip, key := c.RealIP(), u.Email
	if f.CurrentPassword != "" {
		if wait, ok := h.limits.passwordAttemptAllowed(ip, key); !ok {
			return tooManyRequests(wait)
		}
	}
	err := h.accounts.ConfirmIdentity(c.Request().Context(), u, sess, f.CurrentPassword, h.cfg.SudoWindow)
	switch {
	case errors.Is(err, accounts.ErrWrongPassword):
		h.limits.passwordFailed(ip, key)
		return h.renderConnections(c, http.StatusUnprocessableEntity, id,
			views.Errors{"current_password": "That isn't your current password. Check it and try again."})
	case errors.Is(err, accounts.ErrPasswordRequired):
		return h.renderConnections(c, http.StatusUnprocessableEntity, id,
			views.Errors{"current_password": "Enter your current password."})
	case errors.Is(err, accounts.ErrSignInAgain):
		h.flash(c, "For your security, please sign in again with a link sent to your email address to connect an account. We'll bring you back here.")
		return redirect(c, loginURL("/settings/connections"))
	case err != nil:
		return err
	}
	return h.beginProviderFlow(c, pendingFlow{ConnectUser: u.ID, ConnectSession: sess.ID})
}

// disconnectProvider is POST /settings/connections/:provider/delete.
func (h *Handlers) disconnectProvider(c echo.Context) error {
	id := c.Param("provider")
	name := h.accounts.ProviderName(id)
	if name == "" {
		return echo.ErrNotFound
	}
	if err := h.accounts.DisconnectIdentity(c.Request().Context(), currentUser(c), id, origin(c)); err != nil {
		return err
	}
	h.flash(c, name+" is disconnected.")
	return redirect(c, "/settings/connections")
}
