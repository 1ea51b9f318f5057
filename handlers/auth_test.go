package handlers

import (
	"net/http"
	"net/url"
	"testing"
)

func TestSignupDashboardLogoutLogin(t *testing.T) {
	app := newTestApp(t)
	c := app.client()
	c.signup("Ada Lovelace", "ada@example.com", strongPassword)

	res := c.get("/dashboard")
	assertStatus(t, res, http.StatusOK)
	assertContains(t, res, "Hello, Ada Lovelace")

	res = c.postForm("/logout", nil)
	assertStatus(t, res, http.StatusSeeOther)
	assertLocation(t, res, "/login")
	res = c.get("/dashboard")
	assertStatus(t, res, http.StatusSeeOther)
	assertLocation(t, res, "/login?next=%2Fdashboard")

	res = c.postForm("/login", url.Values{"email": {"ADA@example.com"}, "password": {strongPassword}, "next": {"/dashboard?tab=1"}})
	assertStatus(t, res, http.StatusSeeOther)
	assertLocation(t, res, "/dashboard?tab=1")
	assertStatus(t, c.get("/dashboard"), http.StatusOK)
}
