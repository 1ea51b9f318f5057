package handlers

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"latchkey/accounts"
	"latchkey/db"
	"latchkey/device"
	"latchkey/internal/timetext"
	"latchkey/views"
)

// forbidden is a 403 with a message of its own: a signed-in user without
// the role a page needs, or an administrator acting on themself.
type forbidden struct{ message string }

func (f *forbidden) Error() string { return "forbidden: " + f.message }

// conflict is a 409 with a message of its own: an admin action that
// cannot be done to the account as it is (a confirmation link for an
// address already confirmed).
type conflict struct{ message string }

func (c *conflict) Error() string { return "conflict: " + c.message }

// errNoRole is the answer of RequireRole to a user without the role.
var errNoRole = &forbidden{message: "This page is for administrators. If you think you should have access, ask one."}

// RequireRole is RequireUser for one role: a signed-out visitor is sent to
// sign in (303 to /login?next=…), a signed-in user without the role gets
// the 403 page (403 JSON under /api/). The role is read with the session
// record on every request, so a promotion or demotion counts at the next
// request of every session.
func (h *Handlers) RequireRole(role string) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return h.RequireUser(func(c echo.Context) error {
			if currentUser(c).Role != role {
				return errNoRole
			}
			return next(c)
		})
	}
}

// searchForm is the admin search's query string. Any q is accepted (the
// search makes its own key of it); a page that is not a number from 1 on
// is the first.
type searchForm struct {
	Q    string
	Page int
}

// parseSearch reads q and page; it never fails.
func parseSearch(values url.Values) searchForm {
	return searchForm{Q: values.Get("q"), Page: parsePage(values.Get("page"))}
}

// parsePage is page=N as a number from 1 on: anything else, or a number
// too large for an int, is 1; a huge one stays huge, and shows an empty
// page.
func parsePage(s string) int {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < 1 {
		var ne *strconv.NumError
		if errors.As(err, &ne) && errors.Is(ne.Err, strconv.ErrRange) && !strings.HasPrefix(strings.TrimSpace(s), "-") {
			return accounts.MaxListPage + 1
		}
		return 1
	}
	return n
}

// pageURL is path with the query q (when not empty) and page n.
func pageURL(path, q string, n int) string {
	v := url.Values{}
	if q != "" {
		v.Set("q", q)
	}
	v.Set("page", strconv.Itoa(n))
	return path + "?" + v.Encode()
}

// shownQuery is q as the search box shows it again: valid text, no longer
// than the box takes.
func shownQuery(q string) string {
	q = strings.ToValidUTF8(q, "")
	if !validText(q) {
		q = strings.Map(func(r rune) rune {
			if r < 0x20 || r == 0x7f {
				return -1
			}
			return r
		}, q)
	}
	if r := []rune(q); len(r) > 254 {
		q = string(r[:254])
	}
	return q
}

func (h *Handlers) adminUsers(c echo.Context) error {
	f := parseSearch(c.QueryParams())
	users, more, err := h.accounts.SearchUsers(c.Request().Context(), f.Q, f.Page)
	if err != nil {
		return err
	}
	q := shownQuery(f.Q)
	v := views.AdminUsers{Query: q, Page: f.Page, Rows: make([]views.AdminUserRow, 0, len(users))}
	for _, u := range users {
		v.Rows = append(v.Rows, views.AdminUserRow{URL: "/admin/users/" + strconv.FormatInt(u.ID, 10), Name: u.Name, Email: u.Email,
			Status: accountStatus(u), Role: u.Role, Created: timetext.Date(u.CreatedAt)})
	}
	if f.Page > 1 && f.Page <= accounts.MaxListPage {
		v.PrevURL = pageURL("/admin/users", q, f.Page-1)
	}
	if more {
		v.NextURL = pageURL("/admin/users", q, f.Page+1)
	}
	p := h.page(c, "Users")
	p.Wide = true
	return render(c, http.StatusOK, views.AdminUsersPage(p, v))
}

func accountStatus(u db.User) string {
	switch {
	case u.Disabled():
		return "Disabled"
	case !u.Verified():
		return "Not confirmed"
	}
	return "Active"
}

// adminTarget is the :id of an /admin/users/:id route: not a number is
// the 404 of an account that does not exist.
func adminTarget(c echo.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id < 1 {
		return 0, echo.ErrNotFound
	}
	return id, nil
}

func (h *Handlers) adminUser(c echo.Context) error {
	return h.renderAdminUser(c, http.StatusOK, "", nil)
}

// renderAdminUser renders /admin/users/:id; failed names the action whose
// errs these are.
func (h *Handlers) renderAdminUser(c echo.Context, status int, failed string, errs views.Errors) error {
	id, err := adminTarget(c)
	if err != nil {
		return err
	}
	a, err := h.accounts.AdminAccountByID(c.Request().Context(), id)
	if errors.Is(err, accounts.ErrNoAccount) {
		return echo.ErrNotFound
	}
	if err != nil {
		return err
	}
	u := a.User
	now := h.now()
	v := views.AdminUser{ID: u.ID, Name: u.Name, Email: u.Email, Role: u.Role, Confirmed: u.Verified(), Disabled: u.Disabled(),
		Created: timetext.Moment(u.CreatedAt), LastSignIn: "Never", SecondFactor: a.SecondFactor, Passkeys: a.Passkeys,
		Self: u.ID == currentUser(c).ID, Failed: failed, Errors: errs}
	if !a.LastSignIn.IsZero() {
		v.LastSignIn = timetext.Since(now, a.LastSignIn)
	}
	for _, s := range a.Sessions {
		ip := s.IP
		if ip == "" {
			ip = "unknown"
		}
		v.Sessions = append(v.Sessions, views.SessionRow{ID: s.ID, Device: device.Describe(s.UserAgent), IP: ip,
			Created: timetext.Moment(s.CreatedAt), LastSeen: timetext.Ago(now, s.LastSeenAt)})
	}
	for _, cn := range a.Connections {
		v.Connections = append(v.Connections, cn.ProviderName)
	}
	v.Activity = activityRows(a.Activity, now, false, "")
	if sess := currentSession(c); h.accounts.RecentlySignedIn(sess, h.cfg.SudoWindow) {
		v.SudoUntil = timetext.Clock(sess.AuthenticatedAt.Add(h.cfg.SudoWindow))
	}
	p := h.page(c, u.Email)
	p.Wide = true
	return render(c, status, views.AdminUserPage(p, v))
}

type adminActionForm struct {
	CurrentPassword string `form:"current_password" label:"current password" validate:"max=1024"`
}

// adminAct is every POST /admin/users/:id/ACTION: the sudo window (or the
// administrator's current password), then the action, written to the
// activity log with the administrator as actor and told to the user.
func (h *Handlers) adminAct(c echo.Context, action accounts.AdminAction) error {
	id, err := adminTarget(c)
	if err != nil {
		return err
	}
	admin := currentUser(c)
	if id == admin.ID {
		return &forbidden{message: "You can't do that to your own account from the admin area. Use your settings, or ask another administrator."}
	}
	var f adminActionForm
	if errs := bind(c, &f); errs != nil {
		return h.renderAdminUser(c, http.StatusUnprocessableEntity, string(action), errs)
	}
	if handled, err := h.adminSudo(c, string(action), f.CurrentPassword); handled {
		return err
	}
	err = h.accounts.Act(c.Request().Context(), admin, id, action)
	switch {
	case errors.Is(err, accounts.ErrNoAccount):
		return echo.ErrNotFound
	case errors.Is(err, accounts.ErrSelf), errors.Is(err, accounts.ErrNotAdmin):
		return &forbidden{message: "You can't do that."}
	case errors.Is(err, accounts.ErrAlreadyConfirmed):
		return &conflict{message: "This account's address is already confirmed: no link was sent."}
	case errors.Is(err, accounts.ErrDisabled):
		return &conflict{message: "This account is disabled: enable it first, then send a new confirmation link."}
	case errors.Is(err, accounts.ErrMailLimit):
		return &conflict{message: "This address has had as many emails as we send in a short time: no link was sent. Try again in a few minutes."}
	case err != nil:
		return err
	}
	if action == accounts.ActionDelete {
		h.flash(c, "The account has been deleted, and its owner told.")
		return redirect(c, "/admin/users")
	}
	h.flash(c, adminDone[action])
	return redirect(c, "/admin/users/"+strconv.FormatInt(id, 10))
}

func (h *Handlers) adminDisable(c echo.Context) error  { return h.adminAct(c, accounts.ActionDisable) }
func (h *Handlers) adminEnable(c echo.Context) error   { return h.adminAct(c, accounts.ActionEnable) }
func (h *Handlers) adminSignOut(c echo.Context) error  { return h.adminAct(c, accounts.ActionSignOut) }
func (h *Handlers) adminReset2FA(c echo.Context) error { return h.adminAct(c, accounts.ActionReset2FA) }
func (h *Handlers) adminDelete(c echo.Context) error   { return h.adminAct(c, accounts.ActionDelete) }
func (h *Handlers) adminResendConfirmation(c echo.Context) error {
	return h.adminAct(c, accounts.ActionResendConfirmation)
}

var adminDone = map[accounts.AdminAction]string{
	accounts.ActionDisable:            "The account has been disabled and every session signed out.",
	accounts.ActionEnable:             "The account has been enabled.",
	accounts.ActionSignOut:            "Every session of the account has been signed out.",
	accounts.ActionReset2FA:           "The second factor has been reset.",
	accounts.ActionResendConfirmation: "A new confirmation link has been sent. The one sent before no longer works.",
}

// adminSudo is sudo for the admin area's actions: the administrator's own
// current password, or a sign-in of this session within the sudo window.
func (h *Handlers) adminSudo(c echo.Context, action, password string) (handled bool, err error) {
	back := strings.TrimSuffix(c.Request().URL.Path, "/"+action)
	return h.confirmIdentity(c, password, back, func(errs views.Errors) error {
		return h.renderAdminUser(c, http.StatusUnprocessableEntity, action, errs)
	})
}
