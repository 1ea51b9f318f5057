package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"latchkey/internal/timetext"
	"latchkey/views"
)

// dashboard is the example protected page.
func (h *Handlers) dashboard(c echo.Context) error {
	u := currentUser(c)
	return render(c, http.StatusOK, views.Dashboard(h.page(c, "Dashboard"), views.Account{
		Name: u.Name, Email: u.Email, Verified: u.Verified(), Since: timetext.Date(u.CreatedAt),
	}))
}

// resendVerification sends a new confirmation link to an unverified address.
func (h *Handlers) resendVerification(c echo.Context) error {
	if err := h.accounts.ResendVerification(c.Request().Context(), currentUser(c)); err != nil {
		return err
	}
	h.flash(c, "We've sent a new confirmation link. It can take a minute to arrive.")
	return redirect(c, "/dashboard")
}
