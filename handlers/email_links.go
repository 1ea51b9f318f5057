package handlers

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"latchkey/accounts"
	"latchkey/auth"
	"latchkey/internal/timetext"
	"latchkey/views"
)

type emailForm struct {
	Email string `form:"email" label:"email address" validate:"required,max=254,email" trim:"true"`
}

type loginLinkForm struct {
	Email string `form:"email" label:"email address" validate:"required,max=254,email" trim:"true"`
	Next  string `form:"next" validate:"max=2048"`
}

// requestLoginLink emails a sign-in link. The answer is the same whether or
// not the address has an account: 303 to /verify-request. Where to go after
// signing in (next) is kept in this browser's session, not in the link.
func (h *Handlers) requestLoginLink(c echo.Context) error {
	var f loginLinkForm
	errs := bind(c, &f)
	next := auth.SafeNext(f.Next, "")
	if errs != nil {
		return render(c, http.StatusUnprocessableEntity,
			views.Login(h.page(c, "Sign in"), views.LoginForm{Email: f.Email, Next: next}, nil, errs))
	}
	ctx := c.Request().Context()
	if err := h.accounts.DeliverLoginLink(ctx, f.Email); err != nil {
		return err
	}
	h.sessions.Put(ctx, sessionKeyEmail, f.Email)
	h.sessions.Put(ctx, sessionKeySent, sentLogin)
	if next != "" {
		h.sessions.Put(ctx, sessionKeyNext, next)
	}
	return redirect(c, "/verify-request")
}

// The kinds of link /verify-request can speak of.
const (
	sentLogin        = "login"
	sentReset        = "reset"
	sentConfirmation = "confirm"
)

// verifyRequest is "check your email". It names the address and the kind of
// link only right after the request that sent it.
func (h *Handlers) verifyRequest(c echo.Context) error {
	var email, kind string
	if _, err := c.Cookie(h.sessions.Cookie.Name); err == nil {
		email = h.sessions.PopString(c.Request().Context(), sessionKeyEmail)
		kind = h.sessions.PopString(c.Request().Context(), sessionKeySent)
	}
	sent := views.Sent{Email: email, What: "a sign-in link", Lasts: timetext.Duration(h.accounts.TTL.For(auth.PurposeLogin))}
	switch kind {
	case sentReset:
		sent.What, sent.Lasts = "a link to reset your password", timetext.Duration(h.accounts.TTL.For(auth.PurposeResetPassword))
	case sentConfirmation:
		sent.What, sent.Lasts, sent.Signup = "a link to confirm your address", timetext.Duration(h.accounts.TTL.For(auth.PurposeVerifyEmail)), true
	}
	return render(c, http.StatusOK, views.VerifyRequest(h.page(c, "Check your email"), sent))
}

// verificationFailed sends a bad, used or expired link to the error page
// that explains it and offers a new one.
func verificationFailed(c echo.Context) error {
	return redirect(c, "/auth/error?error=Verification")
}

// confirmLoginPage is where the emailed link lands: a page with a button
// that names the account, and nothing used up. Mail scanners that fetch
// links cannot sign anyone in. A link that makes a new account asks for a
// name.
func (h *Handlers) confirmLoginPage(c echo.Context) error {
	token := c.QueryParam("token")
	link, err := h.accounts.PeekLoginLink(c.Request().Context(), token)
	if errors.Is(err, accounts.ErrInvalidToken) {
		return verificationFailed(c)
	}
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.ConfirmLogin(h.page(c, "Sign in"), confirmLoginView(token, link, ""), nil))
}

func confirmLoginView(token string, link accounts.LoginLink, name string) views.ConfirmLoginForm {
	return views.ConfirmLoginForm{Token: token, Email: link.Email, AskName: link.NewAccount, Name: name}
}

type tokenForm struct {
	Token string `form:"token" label:"token" validate:"required,max=128"`
}

type confirmLoginForm struct {
	Token string `form:"token" label:"token" validate:"required,max=128"`
	Name  string `form:"name" label:"name" validate:"max=100,personname" trim:"true"`
}

// confirmLogin uses the sign-in link: only this POST signs in, and a link
// to an address without an account creates it here.
func (h *Handlers) confirmLogin(c echo.Context) error {
	var f confirmLoginForm
	if errs := bind(c, &f); errs != nil {
		if _, bad := errs["token"]; bad || refused(errs) {
			if refused(errs) {
				return errFormRefused
			}
			return verificationFailed(c)
		}
		link, err := h.accounts.PeekLoginLink(c.Request().Context(), f.Token)
		if errors.Is(err, accounts.ErrInvalidToken) {
			return verificationFailed(c)
		}
		if err != nil {
			return err
		}
		return render(c, http.StatusUnprocessableEntity, views.ConfirmLogin(h.page(c, "Sign in"), confirmLoginView(f.Token, link, f.Name), errs))
	}
	user, err := h.accounts.ConsumeLoginLink(c.Request().Context(), f.Token, f.Name)
	switch {
	case errors.Is(err, accounts.ErrInvalidToken):
		return verificationFailed(c)
	case errors.Is(err, accounts.ErrDisabled):
		return redirect(c, "/auth/error?error=AccessDenied")
	case err != nil:
		return err
	}
	if err := h.signIn(c, user, false, accounts.MethodLink); err != nil {
		return err
	}
	// The owner hears of every sign-in by link; a failure to queue the
	// notice must not undo the sign-in.
	if err := h.accounts.NotifyLinkSignIn(c.Request().Context(), user, origin(c)); err != nil {
		h.log.WarnContext(c.Request().Context(), "notify sign-in", "err", err)
	}
	h.flash(c, "You're signed in.")
	return redirect(c, auth.SafeNext(h.sessions.PopString(c.Request().Context(), sessionKeyNext), "/dashboard"))
}

// signedUpHere reports whether this browser signed up with the address a
// confirmation link was sent to.
func (h *Handlers) signedUpHere(c echo.Context, email string) bool {
	if _, err := c.Cookie(h.sessions.Cookie.Name); err != nil {
		return false
	}
	mine := h.sessions.GetString(c.Request().Context(), sessionKeySignedUp)
	return mine != "" && strings.EqualFold(mine, auth.NormalizeEmail(email))
}

// verifyEmailPage is where the signup confirmation link lands: a button,
// and the password field when this is not the browser that signed up.
// Nothing is used up, so a mail scanner that fetches the link does nothing.
func (h *Handlers) verifyEmailPage(c echo.Context) error {
	token := c.QueryParam("token")
	link, err := h.accounts.PeekSignupLink(c.Request().Context(), token)
	if errors.Is(err, accounts.ErrInvalidToken) {
		return verificationFailed(c)
	}
	if err != nil {
		return err
	}
	form := views.ConfirmSignupForm{Token: token, Email: link.Email, AskPassword: !h.signedUpHere(c, link.Email)}
	return render(c, http.StatusOK, views.ConfirmSignup(h.page(c, "Confirm your email address"), form, nil))
}

type verifyEmailForm struct {
	Token    string `form:"token" label:"token" validate:"required,max=128"`
	Password string `form:"password" label:"password" validate:"max=1024"`
}

// verifyEmail confirms the address of a new account and signs this browser
// in. From another browser than the one that signed up it needs the
// password chosen at signup; a wrong one is 422, leaves the link usable and
// counts against the (IP, email) bucket like a wrong password at /login.
func (h *Handlers) verifyEmail(c echo.Context) error {
	var f verifyEmailForm
	errs := bind(c, &f)
	if _, bad := errs["token"]; bad || refused(errs) {
		if refused(errs) {
			return errFormRefused
		}
		return verificationFailed(c)
	}
	ctx := c.Request().Context()
	link, err := h.accounts.PeekSignupLink(ctx, f.Token)
	if errors.Is(err, accounts.ErrInvalidToken) {
		return verificationFailed(c)
	}
	if err != nil {
		return err
	}
	form := views.ConfirmSignupForm{Token: f.Token, Email: link.Email, AskPassword: !h.signedUpHere(c, link.Email)}
	if errs == nil && form.AskPassword && f.Password == "" {
		errs = views.Errors{"password": "Enter the password you chose when you signed up."}
	}
	if errs != nil {
		return render(c, http.StatusUnprocessableEntity, views.ConfirmSignup(h.page(c, "Confirm your email address"), form, errs))
	}
	ip := c.RealIP()
	if form.AskPassword {
		if wait, ok := h.limits.passwordAttemptAllowed(ip, link.Email); !ok {
			return tooManyRequests(wait)
		}
	}
	user, err := h.accounts.ConfirmSignup(ctx, f.Token, f.Password, !form.AskPassword)
	switch {
	case errors.Is(err, accounts.ErrWrongPassword):
		h.limits.passwordFailed(ip, link.Email)
		errs = views.Errors{"password": "That isn't the password this account was created with."}
		return render(c, http.StatusUnprocessableEntity, views.ConfirmSignup(h.page(c, "Confirm your email address"), form, errs))
	case errors.Is(err, accounts.ErrInvalidToken), errors.Is(err, accounts.ErrDisabled):
		return verificationFailed(c)
	case err != nil:
		return err
	}
	if err := h.signIn(c, user, false, accounts.MethodLink); err != nil {
		return err
	}
	h.flash(c, "Thanks! Your email address is confirmed, and your account is ready.")
	return redirect(c, "/dashboard")
}

func (h *Handlers) forgotPasswordPage(c echo.Context) error {
	return render(c, http.StatusOK, views.ForgotPassword(h.page(c, "Reset your password"), "", nil))
}

// forgotPassword emails a reset link; the answer is the same for any address.
func (h *Handlers) forgotPassword(c echo.Context) error {
	var f emailForm
	errs := bind(c, &f)
	if errs != nil {
		return render(c, http.StatusUnprocessableEntity, views.ForgotPassword(h.page(c, "Reset your password"), f.Email, errs))
	}
	if err := h.accounts.RequestPasswordReset(c.Request().Context(), f.Email); err != nil {
		return err
	}
	h.sessions.Put(c.Request().Context(), sessionKeyEmail, f.Email)
	h.sessions.Put(c.Request().Context(), sessionKeySent, sentReset)
	return redirect(c, "/verify-request")
}

func (h *Handlers) resetPasswordPage(c echo.Context) error {
	token := c.QueryParam("token")
	if err := h.accounts.PeekResetLink(c.Request().Context(), token); err != nil {
		if errors.Is(err, accounts.ErrInvalidToken) {
			return verificationFailed(c)
		}
		return err
	}
	return render(c, http.StatusOK, views.ResetPassword(h.page(c, "Choose a new password"), token, nil))
}

type resetForm struct {
	Token    string `form:"token" label:"token" validate:"required,max=128"`
	Password string `form:"password" label:"password" validate:"required,min=8,max=128"`
}

// resetPassword sets the new password, ends every session of the user, and
// signs this browser in.
func (h *Handlers) resetPassword(c echo.Context) error {
	var f resetForm
	errs := bind(c, &f)
	if errs != nil {
		if _, bad := errs["token"]; bad {
			if refused(errs) {
				return errFormRefused
			}
			return verificationFailed(c)
		}
		return render(c, http.StatusUnprocessableEntity, views.ResetPassword(h.page(c, "Choose a new password"), f.Token, errs))
	}
	user, err := h.accounts.ResetPassword(c.Request().Context(), f.Token, f.Password)
	var policy *accounts.PolicyError
	switch {
	case errors.As(err, &policy):
		return render(c, http.StatusUnprocessableEntity, views.ResetPassword(h.page(c, "Choose a new password"), f.Token,
			views.Errors{"password": policy.Reason}))
	case errors.Is(err, accounts.ErrInvalidToken), errors.Is(err, accounts.ErrDisabled):
		return verificationFailed(c)
	case err != nil:
		return err
	}
	if err := h.signIn(c, user, false, accounts.MethodLink); err != nil {
		return err
	}
	h.flash(c, "Your password has been changed, and you've been signed out everywhere else.")
	return redirect(c, "/dashboard")
}
