package handlers

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"latchkey/accounts"
	"latchkey/internal/timetext"
	"latchkey/views"
)

// activityRows turns lines of the log into the view's rows. live, when not
// nil, holds the ids of the user's sessions that still live (and are not
// this one): their sign-ins get "this wasn't me".
// activityRows are the lines as the pages show them. On the user's own
// page (notMe) "this wasn't me" is offered for sign-ins whose session
// still lives, but not for the one the user is reading the page in.
func activityRows(lines []accounts.ActivityLine, now time.Time, notMe bool, current string) []views.ActivityRow {
	out := make([]views.ActivityRow, len(lines))
	for i, l := range lines {
		out[i] = views.ActivityRow{ID: l.ID, Words: l.Words(), Ago: timetext.Since(now, l.At), At: l.At.UTC().Format(time.RFC3339),
			NotMe: notMe && l.SignIn && l.Live && l.SessionID != current}
	}
	return out
}

// activityPage is /settings/activity?page=N: the user's own log, newest
// first, accounts.ActivityPageSize a page.
func (h *Handlers) activityPage(c echo.Context) error {
	ctx := c.Request().Context()
	u, current := currentUser(c), currentSession(c)
	page := parsePage(c.QueryParam("page"))
	lines, more, err := h.accounts.UserActivity(ctx, u.ID, page)
	if err != nil {
		return err
	}
	v := views.Activity{Rows: activityRows(lines, h.now(), true, current.ID), Page: page}
	if page > 1 && page <= accounts.MaxListPage {
		v.PrevURL = pageURL("/settings/activity", "", page-1)
	}
	if more {
		v.NextURL = pageURL("/settings/activity", "", page+1)
	}
	p := h.page(c, "Activity")
	p.Wide = true
	return render(c, http.StatusOK, views.ActivityPage(p, v))
}

type notMeForm struct {
	Activity string `form:"activity" label:"sign-in" validate:"required,max=20,numeric"`
}

// disownSignIn is "this wasn't me": it ends the session of that sign-in
// and sends the user to change their password.
func (h *Handlers) disownSignIn(c echo.Context) error {
	var f notMeForm
	if errs := bind(c, &f); errs != nil {
		return echo.ErrNotFound
	}
	id, err := strconv.ParseInt(f.Activity, 10, 64)
	if err != nil {
		return echo.ErrNotFound
	}
	err = h.accounts.DisownSignIn(c.Request().Context(), currentUser(c).ID, id)
	if errors.Is(err, accounts.ErrNotYours) {
		return echo.ErrNotFound
	}
	if err != nil {
		return err
	}
	h.flash(c, "That sign-in has been signed out. Change your password now, so whoever it was can't sign in again.")
	return redirect(c, "/settings#password-title")
}
