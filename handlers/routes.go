package handlers

import (
	"github.com/labstack/echo/v4"

	"latchkey/db"
)

// Routes is every route of the application, its handler and its guards:
// one table to read.
//
// Middleware order, outermost first: the door of the routes marked gate
// (before routing; admission.go), request id, request log (sees the
// final status), panic recovery (which also renders every error page, so
// a panic in the error handler is caught too), security headers, body
// limit, session load/save, CSRF. Routes marked h.limits.perIP are rate
// limited per client IP before the handler runs, and those marked perUser
// per signed-in user; /login, /verify-email and the settings forms also
// limit failed passwords per (IP, email) inside the handler.
func (h *Handlers) Routes(e *echo.Echo) {
	// The public routes that hash a password wait at a door before
	// everything else once a few of them per hashing slot are inside
	// (admission.go); gate marks them below.
	door := newAdmission(h.accounts.Hasher.Slots())
	gate := door.hashes
	e.Pre(door.door)
	e.Use(requestID, h.logRequests, h.recoverPanics, securityHeaders(h.cfg.HSTS, h.accounts.ProviderOrigins()),
		limitBody(maxBodyBytes), h.loadSession(), h.csrf(), withOrigin)

	e.GET("/static/:file", serveStatic)
	e.GET("/healthz", h.healthz)
	e.GET("/", h.home)

	// Password accounts (auth.go).
	e.GET("/signup", h.signupPage)
	gate(e.POST("/signup", h.signup, h.limits.perIP))
	e.GET("/login", h.loginPage)
	gate(e.POST("/login", h.login, h.limits.perIP))
	e.POST("/logout", h.logout)
	// The second step of a sign-in when the account has a second factor
	// (twofactor.go): not signed in until its code is given.
	e.GET("/login/2fa", h.loginCodePage)
	e.POST("/login/2fa", h.loginCode, h.limits.perIP)

	// Everything that goes through an inbox (email_links.go).
	e.POST("/login/email", h.requestLoginLink, h.limits.perIP)
	e.GET("/verify-request", h.verifyRequest)
	e.GET("/login/email/confirm", h.confirmLoginPage)
	e.POST("/login/email/confirm", h.confirmLogin, h.limits.perIP)
	e.GET("/verify-email", h.verifyEmailPage)
	gate(e.POST("/verify-email", h.verifyEmail, h.limits.perIP))
	e.GET("/forgot-password", h.forgotPasswordPage)
	e.POST("/forgot-password", h.forgotPassword, h.limits.perIP)
	e.GET("/reset-password", h.resetPasswordPage)
	gate(e.POST("/reset-password", h.resetPassword, h.limits.perIP))
	e.GET("/auth/error", h.authError)

	// Identity providers (oauth.go): GitHub, Google, a generic OpenID
	// provider, each only when configured. Connecting from settings uses
	// the same callback; the session's flow says which it is.
	e.POST("/login/oauth/:provider", h.startProviderSignIn, h.limits.perIP)
	e.GET("/login/oauth/:provider/callback", h.providerCallback, h.limits.perIP)

	// Signed-in pages (account.go). RequireUser is given route by route,
	// not through e.Group("", h.RequireUser): such a group also claims
	// every unknown path, so a signed-out visitor would be sent to sign in
	// instead of getting the 404 page, and a wrong method would not be 405.
	me := h.RequireUser
	e.GET("/dashboard", h.dashboard, me)
	e.POST("/verify-email/resend", h.resendVerification, h.limits.perIP, me, h.limits.perUser)

	// Account settings (settings.go). Changes of email, password and the
	// deletion also need the current password or a recent sign-in. Every
	// POST here that checks a password or sends mail is limited per IP and
	// per user (perUser needs the user, so it comes after me).
	perIP, perUser := h.limits.perIP, h.limits.perUser
	e.GET("/settings", h.settingsPage, me)
	e.POST("/settings/name", h.changeName, me)
	e.POST("/settings/email", h.requestEmailChange, perIP, me, perUser)
	e.GET("/settings/email/confirm", h.confirmEmailChangePage, me)
	e.POST("/settings/email/confirm", h.confirmEmailChange, perIP, me, perUser)
	e.POST("/settings/password", h.changePassword, perIP, me, perUser)
	e.POST("/settings/sessions/revoke", h.revokeSession, me)
	e.POST("/settings/delete", h.deleteAccount, perIP, me, perUser)
	// The second factor (twofactor.go): the Security page with the
	// authenticator's enrolment, turning it off, new recovery codes.
	e.GET("/settings/2fa", h.twoFactorPage, me)
	e.POST("/settings/2fa", h.enrol, perIP, me, perUser)
	e.POST("/settings/2fa/delete", h.disableTwoFactor, perIP, me, perUser)
	e.POST("/settings/2fa/recovery-codes", h.newRecoveryCodes, perIP, me, perUser)
	e.GET("/settings/connections", h.connectionsPage, me)
	e.POST("/settings/connections/:provider", h.connectProvider, perIP, me, perUser)
	e.POST("/settings/connections/:provider/delete", h.disconnectProvider, me)
	e.GET("/settings/tokens", h.tokensPage, me)
	e.POST("/settings/tokens", h.createToken, perIP, me, perUser)
	e.POST("/settings/tokens/:id/delete", h.deleteToken, me)

	// Passkeys (passkeys.go). The options and the ceremonies' answers are
	// JSON for static/passkeys.js; adding one needs the sudo window.
	e.GET("/settings/passkeys", h.passkeysPage, me)
	e.POST("/settings/passkeys/options", h.passkeyRegistrationOptions, perIP, me, perUser)
	e.POST("/settings/passkeys", h.addPasskey, perIP, me, perUser)
	e.POST("/settings/passkeys/:id/delete", h.deletePasskey, me)
	e.POST("/login/passkey/options", h.passkeySignInOptions, perIP)
	e.POST("/login/passkey", h.signInWithPasskey, perIP)

	// The admin area (admin.go): administrators only. Every action is a
	// POST that needs the sudo window, and is written to the activity log.
	admin := h.RequireRole(db.RoleAdmin)
	e.GET("/admin/users", h.adminUsers, admin)
	e.GET("/admin/users/:id", h.adminUser, admin)
	e.POST("/admin/users/:id/disable", h.adminDisable, perIP, admin, perUser)
	e.POST("/admin/users/:id/enable", h.adminEnable, perIP, admin, perUser)
	e.POST("/admin/users/:id/signout", h.adminSignOut, perIP, admin, perUser)
	e.POST("/admin/users/:id/reset-2fa", h.adminReset2FA, perIP, admin, perUser)
	e.POST("/admin/users/:id/resend-confirmation", h.adminResendConfirmation, perIP, admin, perUser)
	e.POST("/admin/users/:id/delete", h.adminDelete, perIP, admin, perUser)

	// The user's own security activity (activity.go).
	e.GET("/settings/activity", h.activityPage, me)
	e.POST("/settings/activity/not-me", h.disownSignIn, me)

	// The worked example of README.md's "Add a page of your own" (notes.go).
	e.GET("/notes", h.notes, me)
	e.POST("/notes", h.createNote, me)
	e.GET("/notes/:id/edit", h.editNotePage, me)
	e.POST("/notes/:id", h.updateNote, me)
	e.POST("/notes/:id/delete", h.deleteNote, me)

	// The JSON API (api.go, api_notes.go): a bearer token or the browser's
	// session (RequireAPIUser, never a redirect), JSON errors from the one
	// error handler for every path under /api/, known or not. A request
	// with no cookie needs no CSRF token (csrf); the token endpoints are
	// limited like /login.
	api := h.RequireAPIUser
	e.GET("/api/openapi.json", serveOpenAPI)
	e.GET("/api/auth/session", h.apiSession, h.apiSignedIn)
	e.GET("/api/auth/csrf", h.apiCSRF)
	gate(e.POST("/api/auth/token", h.apiToken, perIP))
	e.POST("/api/auth/refresh", h.apiRefresh, perIP)
	e.POST("/api/auth/revoke", h.apiRevoke, api)
	e.GET("/api/notes", h.apiNotes, api)
	e.POST("/api/notes", h.apiCreateNote, api)
	e.GET("/api/notes/:id", h.apiNote, api)
	e.PATCH("/api/notes/:id", h.apiUpdateNote, api)
	e.DELETE("/api/notes/:id", h.apiDeleteNote, api)

	// Development only, and only to a browser on this machine.
	if h.cfg.Dev {
		e.GET("/dev/mailbox", h.mailbox, loopbackOnly)
	}
}
