package handlers

import "github.com/labstack/echo/v4"

// Routes is every route of the application, its handler and its guards:
// one table to read.
//
// Middleware order, outermost first: request id, request log (sees the
// final status), panic recovery, security headers, body limit, session
// load/save, CSRF. Routes marked h.limits.perIP are rate limited per client
// IP before the handler runs; /login also limits failed passwords per
// (IP, email) inside the handler.
func (h *Handlers) Routes(e *echo.Echo) {
	e.Use(requestID, h.logRequests, h.recoverPanics, securityHeaders(h.cfg.Secure),
		limitBody(h.cfg.BodyLimit), h.loadSession(), h.csrf())

	e.GET("/static/:file", serveStatic)
	e.GET("/healthz", h.healthz)
	e.GET("/", h.home)

	// Password accounts (auth.go).
	e.GET("/signup", h.signupPage)
	e.POST("/signup", h.signup, h.limits.perIP)
	e.GET("/login", h.loginPage)
	e.POST("/login", h.login, h.limits.perIP)
	e.POST("/logout", h.logout)

	// Everything that goes through an inbox (email_links.go).
	e.POST("/login/email", h.requestLoginLink, h.limits.perIP)
	e.GET("/verify-request", h.verifyRequest)
	e.GET("/login/email/confirm", h.confirmLoginPage)
	e.POST("/login/email/confirm", h.confirmLogin, h.limits.perIP)
	e.GET("/verify-email", h.verifyEmail, h.limits.perIP)
	e.GET("/forgot-password", h.forgotPasswordPage)
	e.POST("/forgot-password", h.forgotPassword, h.limits.perIP)
	e.GET("/reset-password", h.resetPasswordPage)
	e.POST("/reset-password", h.resetPassword, h.limits.perIP)
	e.GET("/auth/error", h.authError)

	// Signed-in pages (account.go). RequireUser is a route middleware, not
	// a group's: an Echo group with middleware also catches every unknown
	// path, which would send a stranger's 404 to the sign-in page.
	e.GET("/dashboard", h.dashboard, h.RequireUser)
	e.POST("/verify-email/resend", h.resendVerification, h.RequireUser)

	if h.cfg.Dev {
		e.GET("/dev/mailbox", h.mailbox)
	}
}
