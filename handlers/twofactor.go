package handlers

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"latchkey/accounts"
	"latchkey/auth"
	"latchkey/db"
	"latchkey/internal/timetext"
	"latchkey/views"
)

// The second factor's pages: the Security page (/settings/2fa) with its
// enrolment, and the sign-in step (/login/2fa) between the first factor
// and a signed-in session.

const (
	// sessionKeySecondFactor holds the first-factor proof of a sign-in
	// waiting for its code (pendingSignIn, as JSON) in the session of a
	// browser that is not signed in yet.
	sessionKeySecondFactor = "second_factor"
	// secondFactorWait is how long a first factor stays good for its code.
	secondFactorWait = 5 * time.Minute
	// deviceCookieMaxAge is the life of a remembered browser's cookie.
	deviceCookieMaxAge = accounts.DeviceMarkLifetime
)

// pendingSignIn is what a first factor proved, kept until the code: who,
// how, whether to remember the session, where to go, since when, the wrong
// codes of this attempt, and the message to show once signed in.
type pendingSignIn struct {
	UserID   int64  `json:"u"`
	Method   string `json:"m"`
	Remember bool   `json:"r,omitempty"`
	Next     string `json:"n,omitempty"`
	At       int64  `json:"t"`
	Wrong    int    `json:"w,omitempty"`
	Flash    string `json:"f,omitempty"`
}

// How a first factor was given, for pendingSignIn.Method: the activity
// log's methods (accounts.MethodPassword, accounts.MethodLink,
// accounts.MethodProvider+id), and two kinds of emailed link that are not
// a plain sign-in link, recorded as one.
const (
	methodPassword = accounts.MethodPassword
	methodLink     = accounts.MethodLink
	methodSignup   = "signup"
	methodReset    = "reset"
)

// activityMethod is how the activity log names a sign-in whose first
// factor was method: a signup confirmation and a reset are emailed links.
func activityMethod(method string) string {
	if method == methodSignup || method == methodReset {
		return accounts.MethodLink
	}
	return method
}

// deviceCookieName is the remembered-browser cookie; under https it is
// __Host- prefixed, like the CSRF cookie, so no subdomain can plant one.
func (h *Handlers) deviceCookieName() string {
	if h.cfg.Secure {
		return "__Host-latchkey_device"
	}
	return "latchkey_device"
}

// finishFirstFactor is what every sign-in calls once the first factor is
// proven (a password, an emailed link, a signup confirmation, a reset, an
// identity provider): without a second factor, or from a browser
// remembered for this account, it signs in (signIn) and returns false.
// Otherwise nobody is signed in: the proof waits in this browser's session
// for at most secondFactorWait, and it returns true: the caller answers
// 303 to /login/2fa. flash is the message to show once signed in.
func (h *Handlers) finishFirstFactor(c echo.Context, user db.User, method string, remember bool, next, flash string) (asked bool, err error) {
	on, err := h.accounts.SecondFactorEnabled(c.Request().Context(), user.ID)
	if err != nil {
		return false, err
	}
	return h.finishFirstFactorKnowing(c, user, on, method, remember, next, flash)
}

// finishFirstFactorKnowing is finishFirstFactor for a sign-in that read
// whether the second factor is on together with the account (a password's).
func (h *Handlers) finishFirstFactorKnowing(c echo.Context, user db.User, on bool, method string, remember bool, next, flash string) (asked bool, err error) {
	ctx := c.Request().Context()
	if on {
		if ck, err := c.Cookie(h.deviceCookieName()); err == nil {
			if on, err = h.accounts.DeviceRemembered(ctx, user, ck.Value, origin(c)); err != nil {
				return false, err
			}
			on = !on
		}
	}
	if !on {
		return false, h.signIn(c, user, remember, activityMethod(method))
	}
	p := pendingSignIn{UserID: user.ID, Method: method, Remember: remember, Next: auth.SafeNext(next, ""),
		At: h.now().Unix(), Flash: flash}
	b, err := json.Marshal(p)
	if err != nil {
		return false, fmt.Errorf("second factor: %w", err)
	}
	h.sessions.Put(ctx, sessionKeySecondFactor, string(b))
	return true, nil
}

// pendingSignIn is this browser's sign-in waiting for its code, if any is
// still good: one older than secondFactorWait is dropped.
func (h *Handlers) pendingSignIn(c echo.Context) (pendingSignIn, bool) {
	ctx := c.Request().Context()
	raw := h.sessions.GetString(ctx, sessionKeySecondFactor)
	if raw == "" {
		return pendingSignIn{}, false
	}
	var p pendingSignIn
	if json.Unmarshal([]byte(raw), &p) != nil || p.UserID == 0 || h.now().Sub(time.Unix(p.At, 0)) > secondFactorWait {
		h.sessions.Remove(ctx, sessionKeySecondFactor)
		return pendingSignIn{}, false
	}
	return p, true
}

// signInAgain ends a sign-in that can no longer finish and sends the
// browser back to the start.
func (h *Handlers) signInAgain(c echo.Context, msg string) error {
	h.sessions.Remove(c.Request().Context(), sessionKeySecondFactor)
	h.flash(c, msg)
	return redirect(c, "/login")
}

const (
	msgSignInExpired = "That sign-in took more than 5 minutes, so for your security please sign in again."
	msgEnterCode     = "Enter the code from your authenticator app, or a recovery code."
	msgCodeShape     = "A code is the 6 digits your authenticator app shows, or a recovery code like abcde-12345. Check it and try again."
	msgWrongCode     = "That code didn't work. Check the code your authenticator app shows now, and try again."
	msgEnrolShape    = "The code is the 6 digits your authenticator app shows. Check it and try again."
	msgEnrolWrong    = "That code didn't work. Check that the app shows the code for this account, and enter the one it shows now."
)

func (h *Handlers) loginCodePage(c echo.Context) error {
	if _, ok := h.pendingSignIn(c); !ok {
		return redirect(c, "/login")
	}
	return render(c, http.StatusOK, views.LoginCode(h.page(c, "Two-step verification"), nil, false))
}

type loginCodeForm struct {
	Code           string `form:"code" label:"code" validate:"max=64"`
	RememberDevice string `form:"remember_device"`
}

// loginCode is POST /login/2fa: the code (or a recovery code) of the
// sign-in waiting in this session. A right one signs in, with a new
// session token; five wrong ones end the attempt, and the account's limit
// (5 in 15 minutes, whichever browser) is a 429 too.
func (h *Handlers) loginCode(c echo.Context) error {
	var f loginCodeForm
	errs := bind(c, &f)
	remember := f.RememberDevice != "" && f.RememberDevice != "off" && f.RememberDevice != "false"
	p, ok := h.pendingSignIn(c)
	if !ok {
		return h.signInAgain(c, msgSignInExpired)
	}
	switch {
	case errs != nil && refused(errs):
		return errFormRefused
	case errs != nil:
		errs = views.Errors{"code": msgCodeShape}
	case strings.TrimSpace(f.Code) == "":
		errs = views.Errors{"code": msgEnterCode}
	}
	if errs != nil {
		return render(c, http.StatusUnprocessableEntity, views.LoginCode(h.page(c, "Two-step verification"), errs, remember))
	}
	ctx := c.Request().Context()
	// The code is used up, and the session record written, in one
	// transaction (accounts.CompleteSecondStep).
	in, recovery, err := h.accounts.CompleteSecondStep(ctx, accounts.SecondStep{UserID: p.UserID,
		Method: activityMethod(p.Method), Code: f.Code, Replaces: h.currentSessionID(c)}, origin(c))
	var limit *accounts.CodeLimitError
	switch {
	case errors.Is(err, accounts.ErrMalformedCode):
		return render(c, http.StatusUnprocessableEntity, views.LoginCode(h.page(c, "Two-step verification"),
			views.Errors{"code": msgCodeShape}, remember))
	case errors.As(err, &limit):
		h.sessions.Remove(ctx, sessionKeySecondFactor)
		return tooManyRequests(limit.Wait)
	case errors.Is(err, accounts.ErrWrongCode):
		p.Wrong++
		if p.Wrong >= accounts.CodeLimit {
			h.sessions.Remove(ctx, sessionKeySecondFactor)
			return tooManyRequests(time.Minute)
		}
		b, _ := json.Marshal(p)
		h.sessions.Put(ctx, sessionKeySecondFactor, string(b))
		return render(c, http.StatusUnprocessableEntity, views.LoginCode(h.page(c, "Two-step verification"),
			views.Errors{"code": msgWrongCode}, remember))
	case errors.Is(err, accounts.ErrDisabled), errors.Is(err, accounts.ErrNoAccount):
		h.sessions.Remove(ctx, sessionKeySecondFactor)
		return redirect(c, authErrorURL(codeDenied))
	case err != nil:
		return err
	}
	user := in.User
	h.sessions.Remove(ctx, sessionKeySecondFactor)
	if err := h.signInRecorded(c, in, p.Remember); err != nil {
		return err
	}
	if remember {
		mark, err := h.accounts.RememberDevice(ctx, user.ID, c.RealIP())
		if err != nil {
			return err
		}
		http.SetCookie(c.Response(), &http.Cookie{Name: h.deviceCookieName(), Value: mark, Path: "/",
			Expires: h.now().Add(deviceCookieMaxAge), MaxAge: int(deviceCookieMaxAge / time.Second),
			Secure: h.cfg.Secure, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	}
	if p.Method == methodLink {
		if err := h.accounts.NotifyLinkSignIn(ctx, user, origin(c)); err != nil {
			h.log.WarnContext(ctx, "notify sign-in", "err", err)
		}
	}
	switch {
	case recovery:
		h.flash(c, "You're signed in with a recovery code, which can't be used again. You can make new codes on your Security page.")
	case p.Flash != "":
		h.flash(c, p.Flash)
	}
	return redirect(c, auth.SafeNext(p.Next, "/dashboard"))
}

// twoFactorView gathers what the Security page shows; with enrol, and
// inside the sudo window, it starts (or shows again) the enrolment.
func (h *Handlers) twoFactorView(c echo.Context, enrol bool) (views.TwoFactor, error) {
	ctx := c.Request().Context()
	u, sess := currentUser(c), currentSession(c)
	st, err := h.accounts.SecondFactorStatus(ctx, u.ID)
	if err != nil {
		return views.TwoFactor{}, err
	}
	v := views.TwoFactor{Enabled: st.Enabled, RecoveryLeft: st.RecoveryLeft, HasPassword: u.HasPassword()}
	recent := h.accounts.RecentlySignedIn(sess, h.cfg.SudoWindow)
	if recent {
		v.SudoUntil = timetext.Clock(sess.AuthenticatedAt.Add(h.cfg.SudoWindow))
	}
	if !st.Enabled && enrol && recent {
		e, err := h.accounts.BeginEnrolment(ctx, u)
		if err != nil {
			return views.TwoFactor{}, err
		}
		v.Secret = groupSecret(e.Secret)
		v.QRCode = "data:image/png;base64," + base64.StdEncoding.EncodeToString(e.QRCode)
	}
	return v, nil
}

// groupSecret writes a base32 secret in groups of four, easier to type;
// apps ignore the spaces.
func groupSecret(s string) string {
	var b strings.Builder
	for i, r := range s {
		if i > 0 && i%4 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	return b.String()
}

func (h *Handlers) renderTwoFactor(c echo.Context, status int, v views.TwoFactor) error {
	p := h.page(c, "Security")
	p.Wide = true
	return render(c, status, views.TwoFactorPage(p, v))
}

// renderTwoFactorFailed renders the page with the errors of one form.
func (h *Handlers) renderTwoFactorFailed(c echo.Context, form string, errs views.Errors) error {
	v, err := h.twoFactorView(c, true)
	if err != nil {
		return err
	}
	v.Failed, v.Errors = form, errs
	return h.renderTwoFactor(c, http.StatusUnprocessableEntity, v)
}

func (h *Handlers) twoFactorPage(c echo.Context) error {
	v, err := h.twoFactorView(c, true)
	if err != nil {
		return err
	}
	return h.renderTwoFactor(c, http.StatusOK, v)
}

type enrolForm struct {
	Code            string `form:"code" label:"code" validate:"max=64"`
	CurrentPassword string `form:"current_password" label:"current password" validate:"max=1024"`
}

// enrol is POST /settings/2fa. With a code, it turns the factor on when
// the code checks and answers with the recovery codes, shown this once.
// Without one, current_password opens the sudo window that the
// enrolment needs (the form the page shows outside it).
func (h *Handlers) enrol(c echo.Context) error {
	var f enrolForm
	if errs := bind(c, &f); errs != nil {
		if refused(errs) {
			return errFormRefused
		}
		return h.renderTwoFactorFailed(c, "enrol", views.Errors{"code": msgEnrolShape})
	}
	ctx := c.Request().Context()
	u, sess := currentUser(c), currentSession(c)
	if strings.TrimSpace(f.Code) == "" {
		if f.CurrentPassword == "" && !h.accounts.RecentlySignedIn(sess, h.cfg.SudoWindow) {
			return h.renderTwoFactorFailed(c, "sudo", views.Errors{"current_password": "Enter your current password."})
		}
		if handled, err := h.twoFactorSudo(c, "sudo", f.CurrentPassword); handled {
			return err
		}
		if f.CurrentPassword == "" {
			return h.renderTwoFactorFailed(c, "enrol", views.Errors{"code": "Enter the 6-digit code your authenticator app shows."})
		}
		return redirect(c, "/settings/2fa")
	}
	if !h.accounts.RecentlySignedIn(sess, h.cfg.SudoWindow) {
		// The window closed while the page was open: ask again.
		if u.HasPassword() {
			return h.renderTwoFactorFailed(c, "sudo", views.Errors{"current_password": "For your security, enter your password again to finish."})
		}
		h.flash(c, "For your security, please sign in again with a link sent to your email address to set up two-step verification. We'll bring you back here.")
		return redirect(c, loginURL("/settings/2fa"))
	}
	codes, err := h.accounts.ConfirmEnrolment(ctx, u, f.Code, origin(c))
	var limit *accounts.CodeLimitError
	switch {
	case errors.Is(err, accounts.ErrMalformedCode):
		return h.renderTwoFactorFailed(c, "enrol", views.Errors{"code": msgEnrolShape})
	case errors.As(err, &limit):
		return tooManyRequests(limit.Wait)
	case errors.Is(err, accounts.ErrWrongCode):
		return h.renderTwoFactorFailed(c, "enrol", views.Errors{"code": msgEnrolWrong})
	case errors.Is(err, accounts.ErrFactorOn):
		h.flash(c, "Two-step verification is already on.")
		return redirect(c, "/settings/2fa")
	case errors.Is(err, accounts.ErrNoSecondFactor):
		h.flash(c, "That set-up had expired. Scan the new QR code and try again.")
		return redirect(c, "/settings/2fa")
	case err != nil:
		return err
	}
	return h.showRecoveryCodes(c, codes, "Two-step verification is on. Save your recovery codes now.")
}

// showRecoveryCodes answers with the page that shows new codes, once: they
// are not kept anywhere in clear, so a reload cannot show them again.
func (h *Handlers) showRecoveryCodes(c echo.Context, codes []string, msg string) error {
	v, err := h.twoFactorView(c, false)
	if err != nil {
		return err
	}
	v.Codes = codes
	v.CodesFile = "data:text/plain;charset=utf-8," + url.PathEscape(recoveryCodesFile(h.cfg.AppName, currentUser(c).Email, codes))
	p := h.page(c, "Security")
	p.Wide, p.Flash = true, msg
	return render(c, http.StatusOK, views.TwoFactorPage(p, v))
}

// recoveryCodesFile is the text of the downloaded codes.
func recoveryCodesFile(app, email string, codes []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s recovery codes for %s\r\n\r\nEach code signs you in once. Keep them somewhere safe.\r\n\r\n", app, email)
	for _, c := range codes {
		b.WriteString(c + "\r\n")
	}
	return b.String()
}

type twoFactorSudoForm struct {
	CurrentPassword string `form:"current_password" label:"current password" validate:"max=1024"`
}

// twoFactorSudo is sudo for this page's forms: the current password, or a
// sign-in within the sudo window (the second factor's included). When it
// returns handled, it has answered.
func (h *Handlers) twoFactorSudo(c echo.Context, form, password string) (handled bool, err error) {
	return h.confirmIdentity(c, password, "/settings/2fa", func(errs views.Errors) error {
		return h.renderTwoFactorFailed(c, form, errs)
	})
}

// disableTwoFactor is POST /settings/2fa/delete: the password or the sudo
// window, then the factor, its recovery codes and every remembered
// browser are gone.
func (h *Handlers) disableTwoFactor(c echo.Context) error {
	var f twoFactorSudoForm
	if errs := bind(c, &f); errs != nil {
		if refused(errs) {
			return errFormRefused
		}
		return h.renderTwoFactorFailed(c, "delete", errs)
	}
	if handled, err := h.twoFactorSudo(c, "delete", f.CurrentPassword); handled {
		return err
	}
	err := h.accounts.DisableSecondFactor(c.Request().Context(), currentUser(c), origin(c))
	switch {
	case errors.Is(err, accounts.ErrNoSecondFactor):
		h.flash(c, "Two-step verification was already off.")
	case err != nil:
		return err
	default:
		h.flash(c, "Two-step verification is off. Signing in no longer asks for a code.")
	}
	return redirect(c, "/settings/2fa")
}

// newRecoveryCodes is POST /settings/2fa/recovery-codes: ten new codes,
// shown once; the old ones stop working.
func (h *Handlers) newRecoveryCodes(c echo.Context) error {
	var f twoFactorSudoForm
	if errs := bind(c, &f); errs != nil {
		if refused(errs) {
			return errFormRefused
		}
		return h.renderTwoFactorFailed(c, "recovery", errs)
	}
	if handled, err := h.twoFactorSudo(c, "recovery", f.CurrentPassword); handled {
		return err
	}
	codes, err := h.accounts.RegenerateRecoveryCodes(c.Request().Context(), currentUser(c).ID)
	if errors.Is(err, accounts.ErrNoSecondFactor) {
		h.flash(c, "Turn on two-step verification first.")
		return redirect(c, "/settings/2fa")
	}
	if err != nil {
		return err
	}
	return h.showRecoveryCodes(c, codes, "Here are your new recovery codes. The old ones no longer work.")
}
