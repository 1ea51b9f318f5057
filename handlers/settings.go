package handlers

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"latchkey/accounts"
	"latchkey/auth"
	"latchkey/db"
	"latchkey/device"
	"latchkey/internal/timetext"
	"latchkey/views"
)

// origin is who made this request, for the security notices.
func origin(c echo.Context) accounts.Origin {
	return accounts.Origin{UserAgent: c.Request().UserAgent(), IP: c.RealIP()}
}

// settingsView gathers what /settings shows for the signed-in user.
func (h *Handlers) settingsView(c echo.Context) (views.Settings, error) {
	ctx := c.Request().Context()
	u, current := currentUser(c), currentSession(c)
	// ?sessions=N is the page of the sessions list; anything else is the first.
	page, err := strconv.Atoi(c.QueryParam("sessions"))
	if err != nil {
		page = 1
	}
	others, err := h.accounts.OtherSessions(ctx, u.ID, current.ID, page)
	if err != nil {
		return views.Settings{}, fmt.Errorf("settings: %w", err)
	}
	pending, err := h.accounts.PendingEmailChange(ctx, u.ID)
	if err != nil {
		return views.Settings{}, fmt.Errorf("settings: %w", err)
	}
	factor, err := h.accounts.SecondFactorStatus(ctx, u.ID)
	if err != nil {
		return views.Settings{}, fmt.Errorf("settings: %w", err)
	}
	s := views.Settings{Name: u.Name, Email: u.Email, Verified: u.Verified(), PendingEmail: pending,
		HasPassword: u.HasPassword(), NameValue: u.Name, TwoFactor: factor.Enabled, RecoveryLeft: factor.RecoveryLeft}
	if h.accounts.RecentlySignedIn(current, h.cfg.SudoWindow) {
		s.SudoUntil = timetext.Clock(current.AuthenticatedAt.Add(h.cfg.SudoWindow))
	}
	now := h.now()
	row := func(r db.UserSession) views.SessionRow {
		ip := r.IP
		if ip == "" {
			ip = "unknown"
		}
		return views.SessionRow{ID: r.ID, Device: device.Describe(r.UserAgent), IP: ip,
			Created: timetext.Moment(r.CreatedAt), LastSeen: timetext.Ago(now, r.LastSeenAt), Current: r.ID == current.ID,
			API: r.Kind == db.SessionAPI}
	}
	// This device first, on every page: it is the one people look for.
	s.Sessions = make([]views.SessionRow, 0, 1+len(others.Others))
	s.Sessions = append(s.Sessions, row(current))
	for _, r := range others.Others {
		s.Sessions = append(s.Sessions, row(r))
	}
	s.SessionsPage, s.MoreSessions = others.Page, others.More
	return s, nil
}

// renderSettings renders /settings; failed names the form whose errs these
// are, and keep puts back what that form's user typed.
func (h *Handlers) renderSettings(c echo.Context, status int, failed string, errs views.Errors, keep func(*views.Settings)) error {
	s, err := h.settingsView(c)
	if err != nil {
		return err
	}
	s.Failed, s.Errors = failed, errs
	if keep != nil {
		keep(&s)
	}
	p := h.page(c, "Account settings")
	p.Wide = true
	return render(c, status, views.SettingsPage(p, s))
}

func (h *Handlers) settingsPage(c echo.Context) error {
	return h.renderSettings(c, http.StatusOK, "", nil, nil)
}

// sudo is confirmIdentity for the forms of /settings, which it renders
// again with the error.
func (h *Handlers) sudo(c echo.Context, form, password string, keep func(*views.Settings)) (handled bool, err error) {
	return h.confirmIdentity(c, password, "/settings", func(errs views.Errors) error {
		return h.renderSettings(c, http.StatusUnprocessableEntity, form, errs, keep)
	})
}

// confirmIdentity is the one sudo check behind every form that asks for the
// current password (settings, the Security page, the admin area): the
// password, or a sign-in of this session within SUDO_WINDOW. When it
// returns handled it has answered: refuse renders the form again with the
// field's error (422), a 429 when wrong passwords are over their limit, or,
// for an account without a password whose sign-in is not recent, a redirect
// to sign in again by link and come back to back.
//
// Wrong passwords are limited per (IP, account), as at sign-in, so a
// stolen session cannot be used to guess the password.
func (h *Handlers) confirmIdentity(c echo.Context, password, back string, refuse func(views.Errors) error) (handled bool, err error) {
	u, sess := currentUser(c), currentSession(c)
	ip, key := c.RealIP(), u.Email
	if password != "" {
		if wait, ok := h.limits.passwordAttemptAllowed(ip, key); !ok {
			return true, tooManyRequests(wait)
		}
	}
	err = h.accounts.ConfirmIdentity(c.Request().Context(), u, sess, password, h.cfg.SudoWindow)
	switch {
	case err == nil:
		return false, nil
	case errors.Is(err, accounts.ErrWrongPassword):
		h.limits.passwordFailed(ip, key)
		return true, refuse(views.Errors{"current_password": "That isn't your current password. Check it and try again."})
	case errors.Is(err, accounts.ErrPasswordRequired):
		return true, refuse(views.Errors{"current_password": "Enter your current password."})
	case errors.Is(err, accounts.ErrSignInAgain):
		// The account has no password to type, so the way to prove who
		// it is is an emailed link.
		h.flash(c, "For your security, please sign in again with a link sent to your email address to make that change. We'll bring you back here.")
		return true, redirect(c, loginURL(back))
	}
	return true, err
}

type nameForm struct {
	Name string `form:"name" label:"name" validate:"required,max=100,personname" trim:"true"`
}

func (h *Handlers) changeName(c echo.Context) error {
	var f nameForm
	errs := bind(c, &f)
	keep := func(s *views.Settings) { s.NameValue = f.Name }
	if errs != nil {
		return h.renderSettings(c, http.StatusUnprocessableEntity, "name", errs, keep)
	}
	if err := h.accounts.ChangeName(c.Request().Context(), currentUser(c).ID, f.Name); err != nil {
		return err
	}
	h.flash(c, "Your name has been saved.")
	return redirect(c, "/settings")
}

type changeEmailForm struct {
	Email           string `form:"email" label:"new email address" validate:"required,max=254,email" trim:"true"`
	CurrentPassword string `form:"current_password" label:"current password" validate:"max=1024"`
}

// msgSameEmail refuses a "change" to the address the account already has.
const msgSameEmail = "That's already your email address."

// requestEmailChange sends a link to the new address. The answer, and the
// /settings page after it with the pending address, are the same whether
// or not that address is free, so the page does not tell who has an
// account; a taken address is refused only when its link is used.
func (h *Handlers) requestEmailChange(c echo.Context) error {
	var f changeEmailForm
	errs := bind(c, &f)
	keep := func(s *views.Settings) { s.NewEmail = f.Email }
	if errs == nil && auth.SameEmail(f.Email, currentUser(c).Email) {
		errs = views.Errors{"email": msgSameEmail}
	}
	if errs != nil {
		return h.renderSettings(c, http.StatusUnprocessableEntity, "email", errs, keep)
	}
	if handled, err := h.sudo(c, "email", f.CurrentPassword, keep); handled {
		return err
	}
	err := h.accounts.RequestEmailChange(c.Request().Context(), currentUser(c), f.Email, origin(c))
	if errors.Is(err, accounts.ErrSameEmail) {
		return h.renderSettings(c, http.StatusUnprocessableEntity, "email", views.Errors{"email": msgSameEmail}, keep)
	}
	if err != nil {
		return err
	}
	h.flash(c, "We've sent a link to "+f.Email+". Your address changes when you use it.")
	return redirect(c, "/settings")
}

// emailChangeLinkFailed is the answer to a bad, used or expired link, or
// one meant for another account.
func (h *Handlers) emailChangeLinkFailed(c echo.Context) error {
	h.flash(c, "That link can't be used: it may have been used already, have expired, or belong to another account. Your email address has not changed.")
	return redirect(c, "/settings")
}

// confirmEmailChangePage is where the link sent to the new address lands:
// a page with a button, and nothing used up.
func (h *Handlers) confirmEmailChangePage(c echo.Context) error {
	token := c.QueryParam("token")
	newEmail, err := h.accounts.PeekEmailChange(c.Request().Context(), currentUser(c), token)
	if errors.Is(err, accounts.ErrInvalidToken) {
		return h.emailChangeLinkFailed(c)
	}
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.ConfirmEmailChange(h.page(c, "Confirm your new email address"), token, newEmail))
}

// confirmEmailChange uses the link: only this POST changes the address.
func (h *Handlers) confirmEmailChange(c echo.Context) error {
	var f tokenForm
	if errs := bind(c, &f); errs != nil {
		return h.emailChangeLinkFailed(c)
	}
	email, err := h.accounts.ConfirmEmailChange(c.Request().Context(), currentUser(c), f.Token, origin(c))
	switch {
	case errors.Is(err, accounts.ErrInvalidToken), errors.Is(err, accounts.ErrDisabled):
		return h.emailChangeLinkFailed(c)
	case errors.Is(err, accounts.ErrEmailUnavailable):
		// Only someone who has this link, sent to that inbox, learns it.
		h.flash(c, "That address now belongs to another account, so your email address has not changed, and that link can't be used again. "+
			"To move this account there, delete the other account first, then ask for a new link.")
		return redirect(c, "/settings")
	case err != nil:
		return err
	}
	h.flash(c, "Your email address is now "+email+".")
	return redirect(c, "/settings")
}

type changePasswordForm struct {
	CurrentPassword string `form:"current_password" label:"current password" validate:"max=1024"`
	Password        string `form:"password" label:"new password" validate:"required,min=8,max=128"`
}

// changePassword sets a new password, ends every other session of the user
// and renews this session's token.
func (h *Handlers) changePassword(c echo.Context) error {
	var f changePasswordForm
	if errs := bind(c, &f); errs != nil {
		return h.renderSettings(c, http.StatusUnprocessableEntity, "password", errs, nil)
	}
	if handled, err := h.sudo(c, "password", f.CurrentPassword, nil); handled {
		return err
	}
	ctx := c.Request().Context()
	err := h.accounts.ChangePassword(ctx, currentUser(c), currentSession(c).ID, f.Password, origin(c))
	var policy *accounts.PolicyError
	if errors.As(err, &policy) {
		return h.renderSettings(c, http.StatusUnprocessableEntity, "password", views.Errors{"password": policy.Reason}, nil)
	}
	if err != nil {
		return err
	}
	if err := h.sessions.RenewToken(ctx); err != nil {
		return fmt.Errorf("change password: renew session: %w", err)
	}
	h.flash(c, "Your password has been changed, and you've been signed out everywhere else.")
	return redirect(c, "/settings")
}

type revokeForm struct {
	Session string `form:"session" label:"session" validate:"required,max=64"`
}

// revokeSession ends one of the user's sessions, or with "all" every other
// one. An id that is not one of theirs matches nothing.
func (h *Handlers) revokeSession(c echo.Context) error {
	var f revokeForm
	if errs := bind(c, &f); errs != nil {
		return h.renderSettings(c, http.StatusUnprocessableEntity, "sessions",
			views.Errors{"": "Choose a session to sign out."}, nil)
	}
	current := currentSession(c)
	if f.Session == current.ID {
		return h.logout(c)
	}
	n, err := h.accounts.RevokeSession(c.Request().Context(), currentUser(c).ID, current.ID, f.Session)
	if err != nil {
		return err
	}
	switch {
	case f.Session == "all" && n == 0:
		h.flash(c, "You weren't signed in anywhere else.")
	case f.Session == "all" && n == 1:
		h.flash(c, "Signed out 1 other session.")
	case f.Session == "all":
		h.flash(c, "Signed out "+strconv.FormatInt(n, 10)+" other sessions.")
	case n == 0:
		h.flash(c, "That session had already ended.")
	default:
		h.flash(c, "That session has been signed out.")
	}
	return redirect(c, "/settings")
}

type deleteAccountForm struct {
	Confirm         string `form:"confirm" label:"confirmation" validate:"omitempty,eq=yes"`
	CurrentPassword string `form:"current_password" label:"current password" validate:"max=1024"`
}

// deleteAccount deletes the account with its sessions and tokens, once the
// user has shown they mean it, then signs this browser out. Typing the
// current password is that confirmation (the contract in
// docs/ARCHITECTURE.md: the field current_password alone). Inside the sudo
// window no password is needed, so there the ticked box is what keeps a
// stray click from deleting.
func (h *Handlers) deleteAccount(c echo.Context) error {
	var f deleteAccountForm
	errs := bind(c, &f)
	if errs == nil && f.Confirm == "" && f.CurrentPassword == "" {
		errs = views.Errors{"confirm": ""}
	}
	if _, bad := errs["confirm"]; bad {
		errs["confirm"] = "Tick the box to confirm that you want to delete your account."
	}
	if errs != nil {
		return h.renderSettings(c, http.StatusUnprocessableEntity, "delete", errs, nil)
	}
	if handled, err := h.sudo(c, "delete", f.CurrentPassword, nil); handled {
		return err
	}
	if err := h.accounts.DeleteAccount(c.Request().Context(), currentUser(c), origin(c)); err != nil {
		return err
	}
	if err := h.signOut(c); err != nil {
		return err
	}
	h.flash(c, "Your account has been deleted. We've sent a note to your email address.")
	return redirect(c, "/")
}
