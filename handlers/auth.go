package handlers

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"latchkey/accounts"
	"latchkey/auth"
	"latchkey/views"
)

func (h *Handlers) home(c echo.Context) error {
	return render(c, http.StatusOK, views.Home(h.page(c, "Welcome")))
}

type signupForm struct {
	Name     string `form:"name" label:"name" validate:"required,max=100" trim:"true"`
	Email    string `form:"email" label:"email address" validate:"required,max=254,email" trim:"true"`
	Password string `form:"password" label:"password" validate:"required,min=8,max=128"`
}

func (h *Handlers) signupPage(c echo.Context) error {
	return render(c, http.StatusOK, views.Signup(h.page(c, "Create your account"), views.SignupForm{}, nil))
}

// signup creates an account and signs it in. An address that already has an
// account gets the same answer (303 to /dashboard) and its owner an email,
// so the page does not tell a stranger who is registered.
func (h *Handlers) signup(c echo.Context) error {
	var f signupForm
	errs := bind(c, &f)
	if errs == nil {
		user, created, err := h.accounts.Register(c.Request().Context(), f.Name, f.Email, f.Password)
		var policy *accounts.PolicyError
		switch {
		case errors.As(err, &policy):
			errs = views.Errors{"password": policy.Reason}
		case err != nil:
			return err
		case created:
			if err := h.signIn(c, user, false); err != nil {
				return err
			}
			h.flash(c, "Welcome to "+h.cfg.AppName+"! We've sent you an email to confirm your address.")
			return redirect(c, "/dashboard")
		default:
			return redirect(c, "/dashboard")
		}
	}
	return render(c, http.StatusUnprocessableEntity,
		views.Signup(h.page(c, "Create your account"), views.SignupForm{Name: f.Name, Email: f.Email}, errs))
}

type loginForm struct {
	Email    string `form:"email" label:"email address" validate:"required,max=254,email" trim:"true"`
	Password string `form:"password" label:"password" validate:"required,max=1024"`
	Remember string `form:"remember"`
	Next     string `form:"next" validate:"max=2048"`
}

func (h *Handlers) loginPage(c echo.Context) error {
	next := auth.SafeNext(c.QueryParam("next"), "")
	return render(c, http.StatusOK, views.Login(h.page(c, "Sign in"), views.LoginForm{Next: next}, nil, nil))
}

// credentialsMismatch is the one message for a wrong password and an unknown
// address: telling them apart would tell a stranger who has an account.
const credentialsMismatch = "That email and password don't match. Check them and try again, or reset your password."

// login signs in with a password. Failed attempts are limited per (IP,
// email); a refusal is decided before hashing, so it costs no hash.
func (h *Handlers) login(c echo.Context) error {
	var f loginForm
	errs := bind(c, &f)
	if f.Next == "" {
		// DESIGN.md: next may come as a field or in the query string.
		f.Next = c.QueryParam("next")
	}
	remember := f.Remember != "" && f.Remember != "off" && f.Remember != "false"
	form := views.LoginForm{Email: f.Email, Next: auth.SafeNext(f.Next, ""), Remember: remember}
	if errs != nil {
		return render(c, http.StatusUnprocessableEntity, views.Login(h.page(c, "Sign in"), form, errs, nil))
	}
	ctx := c.Request().Context()
	ip, key := c.RealIP(), f.Email
	if wait, ok := h.limits.passwordAttemptAllowed(ip, key); !ok {
		return tooManyRequests(wait)
	}
	user, err := h.accounts.SignInWithPassword(ctx, f.Email, f.Password)
	switch {
	case errors.Is(err, accounts.ErrInvalidCredentials):
		h.limits.passwordFailed(ip, key)
		errs = views.Errors{"password": credentialsMismatch}
	case errors.Is(err, accounts.ErrDisabled):
		errs = views.Errors{"": "This account has been disabled. Please contact support if you think this is a mistake."}
	case err != nil:
		return err
	}
	if errs != nil {
		return render(c, http.StatusUnprocessableEntity, views.Login(h.page(c, "Sign in"), form, errs, nil))
	}
	if err := h.signIn(c, user, remember); err != nil {
		return err
	}
	return redirect(c, auth.SafeNext(f.Next, "/dashboard"))
}

// logout ends the session on the server and starts a new, empty one that
// carries only the goodbye message.
func (h *Handlers) logout(c echo.Context) error {
	if err := h.signOut(c); err != nil {
		return err
	}
	h.flash(c, "You've been signed out.")
	return redirect(c, "/login")
}
