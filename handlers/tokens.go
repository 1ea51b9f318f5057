package handlers

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"latchkey/accounts"
	"latchkey/internal/timetext"
	"latchkey/views"
)

// Personal access tokens on /settings/tokens (DESIGN.md, "API"): a
// signed-in user makes a token for a script of their own, sees it once,
// and revokes it here. Every route is given RequireUser.

type personalTokenForm struct {
	Name      string `form:"name" label:"name" validate:"required,max=100,personname" trim:"true"`
	ExpiresIn string `form:"expires_in" label:"expiry" validate:"required,oneof=7 30 90 365"`
}

// tokensPage is GET /settings/tokens.
func (h *Handlers) tokensPage(c echo.Context) error {
	return h.renderTokens(c, http.StatusOK, views.Tokens{})
}

// createToken is POST /settings/tokens: the new token is shown on this
// answer (200, not a redirect: it must not be kept anywhere to show it
// after one), and the owner is sent a notice.
func (h *Handlers) createToken(c echo.Context) error {
	var f personalTokenForm
	days, _ := strconv.Atoi(c.FormValue("expires_in"))
	if errs := bind(c, &f); errs != nil {
		if _, bad := errs["expires_in"]; bad {
			errs["expires_in"] = "Choose when the token expires: after 7, 30, 90 or 365 days."
		}
		return h.renderTokens(c, http.StatusUnprocessableEntity, views.Tokens{Name: f.Name, Days: days, Errors: errs})
	}
	text, p, err := h.accounts.CreatePersonalToken(c.Request().Context(), currentUser(c), f.Name, days, origin(c))
	if errors.Is(err, accounts.ErrTokenName) {
		return h.renderTokens(c, http.StatusUnprocessableEntity, views.Tokens{Name: f.Name, Days: days,
			Errors: views.Errors{"name": "Give the token a name."}})
	}
	if err != nil {
		return err
	}
	return h.renderTokens(c, http.StatusOK, views.Tokens{New: text, NewName: p.Name})
}

// deleteToken is POST /settings/tokens/:id/delete. Another user's id, or
// one already gone, changes nothing and says so.
func (h *Handlers) deleteToken(c echo.Context) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return echo.ErrNotFound
	}
	ok, err := h.accounts.DeletePersonalToken(c.Request().Context(), currentUser(c).ID, id)
	if err != nil {
		return err
	}
	if ok {
		h.flash(c, "Token revoked: it no longer works.")
	} else {
		h.flash(c, "That token was already revoked.")
	}
	return redirect(c, "/settings/tokens")
}

func (h *Handlers) renderTokens(c echo.Context, status int, t views.Tokens) error {
	list, err := h.accounts.ListPersonalTokens(c.Request().Context(), currentUser(c).ID)
	if err != nil {
		return err
	}
	now := h.now()
	for _, p := range list {
		used := "Never"
		if !p.LastUsedAt.IsZero() {
			used = timetext.Ago(now, p.LastUsedAt)
		}
		t.Rows = append(t.Rows, views.TokenRow{ID: p.ID, Name: p.Name, Created: timetext.Moment(p.CreatedAt),
			Expires: timetext.Date(p.ExpiresAt), LastUsed: used})
	}
	return render(c, status, views.TokensPage(h.page(c, "Tokens"), t))
}
