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
	Name     string `form:"name" label:"name" validate:"required,max=100,personname" trim:"true"`
	Email    string `form:"email" label:"email address" validate:"required,max=254,email" trim:"true"`
	Password string `form:"password" label:"password" validate:"required,min=8,max=128"`
}

// alreadySignedIn sends a visitor who is already signed in on to their
// dashboard instead of showing a form they have no use for.
func (h *Handlers) alreadySignedIn(c echo.Context) (bool, error) {
	live, err := h.liveSession(c)
	if err != nil || !live {
		return false, err
	}
	return true, c.Redirect(http.StatusSeeOther, "/dashboard")
}

func (h *Handlers) signupPage(c echo.Context) error {
	if done, err := h.alreadySignedIn(c); done || err != nil {
		return err
	}
	return render(c, http.StatusOK, views.Signup(h.page(c, "Create your account"), views.SignupForm{}, nil))
}

// signup registers an account that is usable once its address is
// confirmed, and signs nobody in. A valid form always answers 303 to
// /verify-request: an address that already has an account gets the same
// answer, the same cookies, and its owner an email, so the page does not
// tell a stranger who is registered. This browser is remembered as the one
// that signed up, so its confirmation needs no password.
func (h *Handlers) signup(c echo.Context) error {
	var f signupForm
	errs := bind(c, &f)
	if errs == nil {
		_, _, err := h.accounts.Register(c.Request().Context(), f.Name, f.Email, f.Password)
		var policy *accounts.PolicyError
		switch {
		case errors.As(err, &policy):
			errs = views.Errors{"password": policy.Reason}
		case err != nil:
			return err
		default:
			ctx := c.Request().Context()
			h.sessions.Put(ctx, sessionKeySignedUp, auth.NormalizeEmail(f.Email))
			h.sessions.Put(ctx, sessionKeyEmail, f.Email)
			h.sessions.Put(ctx, sessionKeySent, sentConfirmation)
			return redirect(c, "/verify-request")
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
	// With a next, a signed-in visitor was sent here to sign in again
	// (the sudo window of /settings): the form is what they need.
	if c.QueryParam("next") == "" {
		if done, err := h.alreadySignedIn(c); done || err != nil {
			return err
		}
	}
	next := auth.SafeNext(c.QueryParam("next"), "")
	return render(c, http.StatusOK, views.Login(h.page(c, "Sign in"), views.LoginForm{Next: next}, nil, nil))
}

// credentialsMismatch is the one message for a wrong password and an unknown
// address: telling them apart would tell a stranger who has an account.
const credentialsMismatch = "That email and password don't match. Check them and try again, or reset your password."

// msgConfirmFirst answers the right password for an account whose address
// is not confirmed yet (only someone who knows the password sees it).
const msgConfirmFirst = "Confirm your email address first: we've sent you a new link."

// login signs in with a password. Failed attempts are limited per (IP,
// email), and per account from every IP together (accounts' guessing
// defence); a refusal is decided before hashing, so it costs no hash.
func (h *Handlers) login(c echo.Context) error {
	var f loginForm
	errs := bind(c, &f)
	if f.Next == "" {
		// next may come as a field or in the query string (the route table
		// of docs/ARCHITECTURE.md).
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
	user, secondFactor, err := h.accounts.SignInWithPasswordFrom(ctx, f.Email, f.Password, origin(c))
	var slow *accounts.SlowDownError
	switch {
	case errors.As(err, &slow):
		// The account is being guessed at from everywhere: 429 with the
		// wait, for the owner as for anyone, and no hash spent.
		return tooManyRequests(slow.Wait)
	case errors.Is(err, accounts.ErrInvalidCredentials):
		h.limits.passwordFailed(ip, key)
		errs = views.Errors{"password": credentialsMismatch}
	case errors.Is(err, accounts.ErrUnconfirmed):
		errs = views.Errors{"": msgConfirmFirst}
	case errors.Is(err, accounts.ErrDisabled):
		errs = views.Errors{"": "This account has been disabled. Please contact support if you think this is a mistake."}
	case err != nil:
		return err
	}
	if errs != nil {
		return render(c, http.StatusUnprocessableEntity, views.Login(h.page(c, "Sign in"), form, errs, nil))
	}
	asked, err := h.finishFirstFactorKnowing(c, user, secondFactor, methodPassword, remember, f.Next, "")
	if err != nil {
		return err
	}
	if asked {
		return redirect(c, "/login/2fa")
	}
	return redirect(c, auth.SafeNext(f.Next, "/dashboard"))
}

// logout ends the session on the server and starts a new, empty one that
// carries only the goodbye message. A visitor who was not signed in gets
// no message, so an anonymous POST writes nothing.
func (h *Handlers) logout(c echo.Context) error {
	signedIn := h.sessions.GetString(c.Request().Context(), sessionKeyID) != ""
	if err := h.signOut(c); err != nil {
		return err
	}
	if signedIn {
		h.flash(c, "You've been signed out.")
	}
	return redirect(c, "/login")
}
