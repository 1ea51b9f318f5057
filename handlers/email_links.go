package handlers

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"latchkey/accounts"
	"latchkey/auth"
	"latchkey/mail"
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
	h.sessions.Remove(ctx, sessionKeyReset)
	if next != "" {
		h.sessions.Put(ctx, sessionKeyNext, next)
	}
	return redirect(c, "/verify-request")
}

// verifyRequest is "check your email". It names the address only right
// after the request that sent the link.
func (h *Handlers) verifyRequest(c echo.Context) error {
	var email string
	var reset bool
	if _, err := c.Cookie(h.sessions.Cookie.Name); err == nil {
		email = h.sessions.PopString(c.Request().Context(), sessionKeyEmail)
		reset = h.sessions.PopBool(c.Request().Context(), sessionKeyReset)
	}
	lasts, what := mail.Lasts(h.cfg.TokenTTLLogin), "a sign-in link"
	if reset {
		lasts, what = mail.Lasts(h.cfg.TokenTTLReset), "a link to reset your password"
	}
	return render(c, http.StatusOK, views.VerifyRequest(h.page(c, "Check your email"), email, lasts, what))
}

// verificationFailed sends a bad, used or expired link to the error page
// that explains it and offers a new one.
func verificationFailed(c echo.Context) error {
	return redirect(c, "/auth/error?error=Verification")
}

// confirmLoginPage is where the emailed link lands: a page with a button,
// and nothing used up. Mail scanners that fetch links cannot sign anyone in.
func (h *Handlers) confirmLoginPage(c echo.Context) error {
	token := c.QueryParam("token")
	if _, err := h.accounts.PeekToken(c.Request().Context(), token, auth.PurposeLogin); err != nil {
		if errors.Is(err, accounts.ErrInvalidToken) {
			return verificationFailed(c)
		}
		return err
	}
	return render(c, http.StatusOK, views.ConfirmLogin(h.page(c, "Sign in"), token))
}

type tokenForm struct {
	Token string `form:"token" label:"token" validate:"required,max=128"`
}

// confirmLogin uses the sign-in link: only this POST signs in.
func (h *Handlers) confirmLogin(c echo.Context) error {
	var f tokenForm
	if errs := bind(c, &f); errs != nil {
		if refused(errs) {
			return errFormRefused
		}
		return verificationFailed(c)
	}
	user, err := h.accounts.ConsumeLoginLink(c.Request().Context(), f.Token)
	switch {
	case errors.Is(err, accounts.ErrInvalidToken):
		return verificationFailed(c)
	case errors.Is(err, accounts.ErrDisabled):
		return redirect(c, "/auth/error?error=AccessDenied")
	case err != nil:
		return err
	}
	if err := h.signIn(c, user, false); err != nil {
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

// verifyEmail marks an address verified. A GET is enough here: using the
// link up early (a mail scanner) only verifies the address, which the
// scanner could only reach through that inbox anyway.
func (h *Handlers) verifyEmail(c echo.Context) error {
	_, err := h.accounts.VerifyEmail(c.Request().Context(), c.QueryParam("token"))
	switch {
	case errors.Is(err, accounts.ErrInvalidToken), errors.Is(err, accounts.ErrDisabled):
		return verificationFailed(c)
	case err != nil:
		return err
	}
	h.flash(c, "Thanks! Your email address is confirmed.")
	if h.sessions.GetString(c.Request().Context(), sessionKeyID) != "" {
		return redirect(c, "/dashboard")
	}
	return redirect(c, "/login")
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
	h.sessions.Put(c.Request().Context(), sessionKeyReset, true)
	return redirect(c, "/verify-request")
}

func (h *Handlers) resetPasswordPage(c echo.Context) error {
	token := c.QueryParam("token")
	if _, err := h.accounts.PeekToken(c.Request().Context(), token, auth.PurposeResetPassword); err != nil {
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
	if err := h.signIn(c, user, false); err != nil {
		return err
	}
	h.flash(c, "Your password has been changed, and you've been signed out everywhere else.")
	return redirect(c, "/dashboard")
}
