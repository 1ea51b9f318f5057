package handlers

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"latchkey/accounts"
	"latchkey/auth"
	"latchkey/device"
	"latchkey/internal/timetext"
	"latchkey/views"
)

// Passkeys: the settings page (/settings/passkeys, forms that work without
// script) and the JSON endpoints that static/passkeys.js calls. Each
// ceremony's state is kept in this browser's server-side session and taken
// out (used once) when the browser answers, so an answer to a challenge
// from another session, or the same answer twice, finds nothing to match.
// Every refusal is JSON, {"error": "…"}, with 400 or 422, and stores
// nothing.

const (
	// sessionKeyPasskeyAdd is the registration ceremony in progress.
	sessionKeyPasskeyAdd = "passkey_add"
	// sessionKeyPasskeySignIn is the sign-in ceremony in progress.
	sessionKeyPasskeySignIn = "passkey_sign_in"
)

// passkeyBodyLimit bounds a passkey request's JSON: an attestation without
// certificates is under 2 KiB, a packed one with its chain a few KiB.
const passkeyBodyLimit = 16 << 10

// Messages of the passkey endpoints that accounts does not give.
const (
	msgPasskeyTooLarge = "That request was larger than any browser sends for a passkey."
	msgPasskeyNotJSON  = "That request wasn't the JSON your browser sends for a passkey. Reload the page and try again."
	msgPasskeySudo     = "For your security, sign in again to add a passkey. We'll bring you back here."
	msgPasskeyOff      = "Passkeys aren't available on this site."
)

// jsonError is every refusal of a passkey endpoint.
func jsonError(c echo.Context, status int, msg string) error {
	return c.JSON(status, map[string]string{"error": msg})
}

// readPasskeyJSON reads the request's JSON object, at most
// passkeyBodyLimit bytes; ok false means it has answered already.
func readPasskeyJSON(c echo.Context) (body []byte, ok bool, err error) {
	body, err = io.ReadAll(io.LimitReader(c.Request().Body, passkeyBodyLimit+1))
	if err != nil {
		return nil, false, echo.NewHTTPError(http.StatusBadRequest, "read body").SetInternal(err)
	}
	if len(body) > passkeyBodyLimit {
		return nil, false, jsonError(c, http.StatusBadRequest, msgPasskeyTooLarge)
	}
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		body = []byte("{}")
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(body, &obj) != nil {
		return nil, false, jsonError(c, http.StatusBadRequest, msgPasskeyNotJSON)
	}
	return body, true, nil
}

// passkeyRefused answers an error of accounts' passkey functions, or
// returns err when it is none of theirs. The library's own words go to the
// log (at debug: any visitor can cause one), for whoever has to find out
// why a browser's passkey is refused.
func (h *Handlers) passkeyRefused(c echo.Context, err error) error {
	var pe *accounts.PasskeyError
	switch {
	case errors.As(err, &pe):
		h.log.DebugContext(c.Request().Context(), "passkey refused", "reason", pe.Reason, "err", pe.Err,
			"request_id", c.Response().Header().Get(echo.HeaderXRequestID))
		status := http.StatusBadRequest
		if pe.Reason == accounts.MsgPasskeyTaken {
			status = http.StatusUnprocessableEntity
		}
		return jsonError(c, status, pe.Reason)
	case errors.Is(err, accounts.ErrPasskeysUnavailable):
		return jsonError(c, http.StatusNotFound, msgPasskeyOff)
	}
	return err
}

// passkeysView gathers what the passkeys card shows.
func (h *Handlers) passkeysView(c echo.Context, csrf string) (views.Passkeys, error) {
	u, sess := currentUser(c), currentSession(c)
	keys, err := h.accounts.ListPasskeys(c.Request().Context(), u.ID)
	if err != nil {
		return views.Passkeys{}, fmt.Errorf("passkeys page: %w", err)
	}
	v := views.Passkeys{CSRF: csrf, Enabled: h.accounts.PasskeysEnabled(),
		DefaultName: device.Describe(c.Request().UserAgent())}
	if h.accounts.RecentlySignedIn(sess, h.cfg.SudoWindow) {
		v.SudoUntil = timetext.Clock(sess.AuthenticatedAt.Add(h.cfg.SudoWindow))
	} else {
		v.SignInAgain = loginURL("/settings/passkeys")
	}
	for _, k := range keys {
		row := views.PasskeyRow{ID: strconv.FormatInt(k.ID, 10), Name: k.Name, Created: timetext.Moment(k.CreatedAt), LastUsed: "Never"}
		if !k.LastUsedAt.IsZero() {
			row.LastUsed = timetext.Moment(k.LastUsedAt)
		}
		v.Rows = append(v.Rows, row)
	}
	return v, nil
}

func (h *Handlers) passkeysPage(c echo.Context) error {
	p := h.page(c, "Passkeys")
	p.Wide = true
	v, err := h.passkeysView(c, p.CSRF)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.PasskeysPage(p, v))
}

// passkeyRegistrationOptions is POST /settings/passkeys/options: inside
// the sudo window, the options for navigator.credentials.create.
func (h *Handlers) passkeyRegistrationOptions(c echo.Context) error {
	if _, ok, err := readPasskeyJSON(c); !ok {
		return err
	}
	if !h.accounts.RecentlySignedIn(currentSession(c), h.cfg.SudoWindow) {
		return c.JSON(http.StatusForbidden, map[string]string{"error": msgPasskeySudo, "redirect": loginURL("/settings/passkeys")})
	}
	opts, ceremony, err := h.accounts.BeginPasskeyRegistration(c.Request().Context(), currentUser(c))
	if err != nil {
		return h.passkeyRefused(c, err)
	}
	h.sessions.Put(c.Request().Context(), sessionKeyPasskeyAdd, string(ceremony))
	return c.JSONBlob(http.StatusOK, opts)
}

// addPasskey is POST /settings/passkeys: the attestation the browser made
// (the PublicKeyCredential as JSON) with the field name.
func (h *Handlers) addPasskey(c echo.Context) error {
	body, ok, err := readPasskeyJSON(c)
	if !ok {
		return err
	}
	var f struct {
		Name *string `json:"name"`
	}
	if json.Unmarshal(body, &f) != nil {
		return jsonError(c, http.StatusBadRequest, accounts.MsgPasskeyMalformed)
	}
	name := ""
	if f.Name != nil {
		name = strings.TrimSpace(*f.Name)
	}
	if name == "" {
		name = device.Describe(c.Request().UserAgent())
	}
	if err := auth.CheckName(name); err != nil {
		msg := "Give the passkey a name without control characters or direction marks."
		if errors.Is(err, auth.ErrNameTooLong) {
			msg = "Give the passkey a name of at most 100 characters."
		}
		return c.JSON(http.StatusUnprocessableEntity, map[string]string{"error": msg, "field": "name"})
	}
	if !h.accounts.RecentlySignedIn(currentSession(c), h.cfg.SudoWindow) {
		return c.JSON(http.StatusForbidden, map[string]string{"error": msgPasskeySudo, "redirect": loginURL("/settings/passkeys")})
	}
	ctx := c.Request().Context()
	ceremony := accounts.PasskeyCeremony(h.sessions.PopString(ctx, sessionKeyPasskeyAdd))
	if _, err := h.accounts.FinishPasskeyRegistration(ctx, currentUser(c), ceremony, body, name, origin(c)); err != nil {
		return h.passkeyRefused(c, err)
	}
	h.flash(c, "Your passkey “"+name+"” has been added. You can now sign in with it.")
	return c.JSON(http.StatusOK, map[string]string{"redirect": "/settings/passkeys"})
}

// deletePasskey is POST /settings/passkeys/:id/delete, a plain form.
func (h *Handlers) deletePasskey(c echo.Context) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return echo.ErrNotFound
	}
	err = h.accounts.DeletePasskey(c.Request().Context(), currentUser(c), id, origin(c))
	switch {
	case errors.Is(err, accounts.ErrPasskeyNotFound):
		h.flash(c, "That passkey had already been removed.")
	case err != nil:
		return err
	default:
		h.flash(c, "The passkey has been removed. It can no longer be used to sign in.")
	}
	return redirect(c, "/settings/passkeys")
}

// passkeySignInOptions is POST /login/passkey/options: the options for a
// discoverable sign-in (the button, or the browser's autofill).
func (h *Handlers) passkeySignInOptions(c echo.Context) error {
	if _, ok, err := readPasskeyJSON(c); !ok {
		return err
	}
	opts, ceremony, err := h.accounts.BeginPasskeySignIn()
	if err != nil {
		return h.passkeyRefused(c, err)
	}
	h.sessions.Put(c.Request().Context(), sessionKeyPasskeySignIn, string(ceremony))
	return c.JSONBlob(http.StatusOK, opts)
}

// signInWithPasskey is POST /login/passkey: the assertion (the
// PublicKeyCredential as JSON) with the fields remember and next. A
// passkey with user verification is both factors: this is a full sign-in,
// and the sudo window counts from it.
func (h *Handlers) signInWithPasskey(c echo.Context) error {
	body, ok, err := readPasskeyJSON(c)
	if !ok {
		return err
	}
	var f struct {
		Remember bool   `json:"remember"`
		Next     string `json:"next"`
	}
	if json.Unmarshal(body, &f) != nil {
		return jsonError(c, http.StatusBadRequest, accounts.MsgPasskeyMalformed)
	}
	ctx := c.Request().Context()
	ceremony := accounts.PasskeyCeremony(h.sessions.PopString(ctx, sessionKeyPasskeySignIn))
	in, err := h.accounts.CompletePasskeySignIn(ctx, ceremony, body, h.currentSessionID(c), origin(c))
	switch {
	case errors.Is(err, accounts.ErrDisabled):
		return jsonError(c, http.StatusUnprocessableEntity, "This account has been disabled. Please contact support if you think this is a mistake.")
	case errors.Is(err, accounts.ErrUnconfirmed):
		return jsonError(c, http.StatusUnprocessableEntity, "Confirm your email address first, with the link we sent you.")
	case err != nil:
		return h.passkeyRefused(c, err)
	}
	if err := h.signInRecorded(c, in, f.Remember); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]string{"redirect": auth.SafeNext(f.Next, "/dashboard")})
}
