package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/labstack/echo/v4"

	"latchkey/accounts"
	"latchkey/db"
	"latchkey/views"
)

// The JSON API (DESIGN.md, "API"): the session for scripts on our own
// pages (cookie + X-CSRF-Token) and bearer tokens for other programs. Its
// errors go through the one error handler, whose JSON branch (apiError in
// errors.go) answers every /api/ path: no HTML page ever answers here.

// apiPrefix is where the JSON API lives.
const apiPrefix = "/api/"

// isAPIPath reports whether path is under the JSON API.
func isAPIPath(path string) bool { return strings.HasPrefix(path, apiPrefix) || path == "/api" }

// apiError is an answer of the JSON API other than success: the status, the
// "error" code of DESIGN.md, and for a 422 the fields and why each was
// refused.
type apiError struct {
	status int
	code   string
	fields map[string]string
}

func (e *apiError) Error() string { return "api: " + e.code }

func apiFail(status int, code string) error { return &apiError{status: status, code: code} }

var (
	errAPIUnauthorized = apiFail(http.StatusUnauthorized, "unauthorized")
	errAPIBadRequest   = apiFail(http.StatusBadRequest, "invalid_request")
	errAPIInvalidGrant = apiFail(http.StatusUnauthorized, "invalid_grant")
)

// fieldErrors is a 422 naming what is wrong with each field.
func fieldErrors(fields map[string]string) error {
	return &apiError{status: http.StatusUnprocessableEntity, code: "invalid_request", fields: fields}
}

// Context keys of the API.
const (
	// ctxBearer is the accounts.Bearer of a request signed with a token.
	ctxBearer = "api_bearer"
)

// bearerToken is the token of an Authorization: Bearer header; present is
// false when the request has no Authorization header at all. A header of
// another scheme, or an empty token, is present but "".
func bearerToken(r *http.Request) (token string, present bool) {
	v, present := r.Header["Authorization"]
	if !present || len(v) == 0 {
		return "", false
	}
	if len(v) > 1 {
		return "", true
	}
	scheme, tok, ok := strings.Cut(v[0], " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", true
	}
	return strings.TrimSpace(tok), true
}

// apiSignIn finds who an API request speaks for: a bearer token when the
// request has an Authorization header (and then only it: a bad token is
// never rescued by a cookie), else the browser's session. found is false
// with no credentials at all or a cookie session that has ended; a bad
// bearer is errAPIUnauthorized.
func (h *Handlers) apiSignIn(c echo.Context) (found bool, err error) {
	r := c.Request()
	ctx := r.Context()
	if tok, present := bearerToken(r); present {
		if tok == "" {
			return false, errAPIUnauthorized
		}
		b, err := h.accounts.BearerUser(ctx, tok)
		if errors.Is(err, accounts.ErrBadToken) {
			return false, errAPIUnauthorized
		}
		if err != nil {
			return false, err
		}
		c.Set(ctxUser, b.User)
		c.Set(ctxBearer, b)
		return true, nil
	}
	sid := h.sessions.GetString(ctx, sessionKeyID)
	if sid == "" {
		return false, nil
	}
	sess, user, err := h.accounts.SessionUser(ctx, sid)
	if errors.Is(err, accounts.ErrSessionEnded) {
		return false, h.sessions.Destroy(ctx)
	}
	if err != nil {
		return false, err
	}
	c.Set(ctxUser, user)
	c.Set(ctxSession, sess)
	h.slideSession(ctx, sess)
	return true, nil
}

// RequireAPIUser is RequireUser for the JSON API: a bearer token or the
// browser's session, else 401 with WWW-Authenticate: Bearer (never a
// redirect to a page).
func (h *Handlers) RequireAPIUser(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		// Echo's router lets a route's last parameter take the rest of the
		// path, slashes and all (/api/notes/1/extra has id "1/extra"): such
		// a path is not one of ours, and is 404 before any credential.
		for _, v := range c.ParamValues() {
			if strings.Contains(v, "/") {
				return apiFail(http.StatusNotFound, "not_found")
			}
		}
		found, err := h.apiSignIn(c)
		if err != nil {
			return err
		}
		if !found {
			return errAPIUnauthorized
		}
		return next(c)
	}
}

// apiSignedIn loads the credentials of /api/auth/session, where having none
// is an answer ({}), not an error; a bad bearer is still a 401.
func (h *Handlers) apiSignedIn(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if _, err := h.apiSignIn(c); err != nil {
			return err
		}
		return next(c)
	}
}

// currentBearer is the token a request was signed with, if it was.
func currentBearer(c echo.Context) (accounts.Bearer, bool) {
	b, ok := c.Get(ctxBearer).(accounts.Bearer)
	return b, ok
}

// userRole is the role /api/auth/session reports ("user" or "admin"),
// read with the account on every request like the pages' RequireRole.
func userRole(u db.User) string { return u.Role }

type apiUser struct {
	ID            int64  `json:"id"`
	Name          string `json:"name"`
	Email         string `json:"email"`
	EmailVerified bool   `json:"email_verified"`
	Role          string `json:"role"`
}

type apiSessionAnswer struct {
	User    *apiUser `json:"user,omitempty"`
	Expires string   `json:"expires,omitempty"`
}

// apiSession is GET /api/auth/session: the user and when these credentials
// end (the cookie session's deadline, or the token's), or {} for a caller
// with no credentials.
func (h *Handlers) apiSession(c echo.Context) error {
	u, ok := c.Get(ctxUser).(db.User)
	if !ok {
		return c.JSON(http.StatusOK, apiSessionAnswer{})
	}
	var expires time.Time
	if b, ok := currentBearer(c); ok {
		expires = b.Expires
	} else {
		expires = h.sessions.Deadline(c.Request().Context())
	}
	if _, pretty := c.QueryParams()["pretty"]; pretty || c.Echo().Debug {
		return c.JSON(http.StatusOK, apiSessionAnswer{
			User:    &apiUser{ID: u.ID, Name: u.Name, Email: u.Email, EmailVerified: u.Verified(), Role: userRole(u)},
			Expires: expires.UTC().Format(time.RFC3339),
		})
	}
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, appendSessionAnswer(make([]byte, 0, 256), u, expires))
}

// appendSessionAnswer appends the JSON c.JSON makes of a signed-in
// apiSessionAnswer, byte for byte, without reflection: a program asks this
// before its calls, and encoding/json's reflection was a tenth of the
// request's cost (docs/PERFORMANCE.md, "The bearer path").
// TestSessionAnswerIsEncodingJSON and FuzzSessionAnswer hold it to that.
func appendSessionAnswer(dst []byte, u db.User, expires time.Time) []byte {
	dst = append(dst, `{"user":{"id":`...)
	dst = strconv.AppendInt(dst, u.ID, 10)
	dst = append(dst, `,"name":`...)
	dst = appendJSONString(dst, u.Name)
	dst = append(dst, `,"email":`...)
	dst = appendJSONString(dst, u.Email)
	dst = append(dst, `,"email_verified":`...)
	dst = strconv.AppendBool(dst, u.Verified())
	dst = append(dst, `,"role":`...)
	dst = appendJSONString(dst, userRole(u))
	dst = append(dst, `},"expires":"`...)
	dst = expires.UTC().AppendFormat(dst, time.RFC3339)
	return append(dst, "\"}\n"...)
}

// appendJSONString appends s as a JSON string the way encoding/json writes
// it. jsontext quotes without reflection; what encoding/json escapes
// beyond that (<, > and & for HTML, U+2028 and U+2029 for JavaScript) and
// invalid UTF-8 are rare in a name or an address, and go to encoding/json.
func appendJSONString(dst []byte, s string) []byte {
	if strings.ContainsAny(s, "<>&\u2028\u2029") || !utf8.ValidString(s) {
		b, _ := json.Marshal(s)
		return append(dst, b...)
	}
	out, _ := jsontext.AppendQuote(dst, s)
	return out
}

// apiCSRF is GET /api/auth/csrf: this browser's CSRF token, for a script
// on our own pages to send back in X-CSRF-Token.
func (h *Handlers) apiCSRF(c echo.Context) error {
	tok, _ := c.Get(ctxCSRF).(string)
	return c.JSON(http.StatusOK, map[string]string{"csrfToken": tok})
}

type tokenRequest struct {
	Email    string `json:"email" form:"email" label:"email address" validate:"required,max=254,email" trim:"true"`
	Password string `json:"password" form:"password" label:"password" validate:"required,max=1024"`
	Code     string `json:"code" form:"code" label:"code" validate:"max=64" trim:"true"`
}

type tokenAnswer struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
	RefreshToken string `json:"refresh_token"`
}

func pairAnswer(p accounts.TokenPair) tokenAnswer {
	return tokenAnswer{AccessToken: p.AccessToken, TokenType: "Bearer", ExpiresIn: int(p.ExpiresIn / time.Second), RefreshToken: p.RefreshToken}
}

// apiToken is POST /api/auth/token: a token sign-in with email, password
// and, when the account has one, the second factor's code. It is limited
// like /login: per IP before it runs, and failed passwords per (IP, email)
// before any hash is spent.
func (h *Handlers) apiToken(c echo.Context) error {
	var f tokenRequest
	if err := bindAPI(c, &f, true); err != nil {
		return err
	}
	ip := c.RealIP()
	if wait, ok := h.limits.passwordAttemptAllowed(ip, f.Email); !ok {
		return tooManyRequests(wait)
	}
	r := c.Request()
	user, pair, err := h.accounts.SignInForTokens(r.Context(), f.Email, f.Password, f.Code,
		accounts.Origin{UserAgent: r.UserAgent(), IP: ip})
	var slow *accounts.SlowDownError
	var codes *accounts.CodeLimitError
	switch {
	case errors.As(err, &slow):
		return tooManyRequests(slow.Wait)
	case errors.Is(err, accounts.ErrInvalidCredentials):
		h.limits.passwordFailed(ip, f.Email)
		return errAPIInvalidGrant
	case errors.Is(err, accounts.ErrDisabled):
		return errAPIInvalidGrant
	case errors.Is(err, accounts.ErrUnconfirmed):
		return apiFail(http.StatusUnauthorized, "unconfirmed")
	case errors.Is(err, accounts.ErrMFARequired):
		return apiFail(http.StatusUnauthorized, "mfa_required")
	case errors.Is(err, accounts.ErrWrongCode):
		return apiFail(http.StatusUnauthorized, "invalid_code")
	case errors.As(err, &codes):
		return tooManyRequests(codes.Wait)
	case errors.Is(err, accounts.ErrTooManyCodes):
		return tooManyRequests(15 * time.Minute)
	case err != nil:
		return err
	}
	c.Set(ctxSignedIn, user.ID)
	return c.JSON(http.StatusOK, pairAnswer(pair))
}

type refreshRequest struct {
	RefreshToken string `json:"refresh_token" form:"refresh_token" label:"refresh token" validate:"required,max=128" trim:"true"`
}

// apiRefresh is POST /api/auth/refresh: a new pair for a refresh token,
// which is used up; presenting it again ends its whole sign-in.
func (h *Handlers) apiRefresh(c echo.Context) error {
	var f refreshRequest
	if err := bindAPI(c, &f, true); err != nil {
		return err
	}
	pair, err := h.accounts.RefreshTokens(c.Request().Context(), f.RefreshToken)
	if errors.Is(err, accounts.ErrInvalidGrant) {
		return errAPIInvalidGrant
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, pairAnswer(pair))
}

// apiRevoke is POST /api/auth/revoke: ends the bearer token's sign-in (a
// personal access token is deleted). Only a bearer can be revoked here; a
// browser signs out with POST /logout.
func (h *Handlers) apiRevoke(c echo.Context) error {
	b, ok := currentBearer(c)
	if !ok {
		return errAPIUnauthorized
	}
	if err := h.accounts.RevokeBearer(c.Request().Context(), b); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// bindAPI reads the request body into dst (a struct with json, form,
// validate and label tags) and validates it as the pages' forms are:
// the same length and text checks, trimming and rules. A body that is JSON
// is decoded strictly: a field dst does not have, or a value of the wrong
// type, is a 422 naming the field; malformed JSON is a 400. form allows
// application/x-www-form-urlencoded and multipart/form-data too (the token
// endpoints, as OAuth clients send them). Any other Content-Type is a 400.
func bindAPI(c echo.Context, dst any, form bool) error {
	mt, _, err := mime.ParseMediaType(c.Request().Header.Get(echo.HeaderContentType))
	if err != nil {
		return errAPIBadRequest
	}
	switch {
	case mt == echo.MIMEApplicationJSON:
		if err := decodeJSON(c.Request().Body, dst); err != nil {
			return err
		}
		if fields := refuseText(dst); fields != nil {
			return fieldErrors(fields)
		}
		trimFields(dst)
		return apiCheck(check(dst))
	case form && (mt == echo.MIMEApplicationForm || mt == echo.MIMEMultipartForm):
		errs := bind(c, dst)
		if errs != nil && errs[""] == msgFormUnreadable {
			return errAPIBadRequest
		}
		return apiCheck(errs)
	}
	return errAPIBadRequest
}

// apiCheck turns the form errors of bind and check into a 422, or nil.
func apiCheck(errs views.Errors) error {
	if errs == nil {
		return nil
	}
	fields := map[string]string{}
	for k, v := range errs {
		if k != "" {
			fields[k] = v
		}
	}
	if len(fields) == 0 {
		return errAPIBadRequest
	}
	return fieldErrors(fields)
}

// decodeJSON decodes one JSON object into dst and nothing after it.
func decodeJSON(body io.Reader, dst any) error {
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	err := dec.Decode(dst)
	var typeErr *json.UnmarshalTypeError
	switch {
	case err == nil:
	case errors.As(err, &typeErr) && typeErr.Field != "":
		return fieldErrors(map[string]string{typeErr.Field: "Must be " + jsonKind(typeErr.Type) + "."})
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return fieldErrors(map[string]string{name: "Not a field of this request."})
	default:
		return errAPIBadRequest
	}
	if _, err := dec.Token(); err != io.EOF {
		return errAPIBadRequest // more after the object
	}
	return nil
}

func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int64, reflect.Int32, reflect.Float64:
		return "a number"
	}
	return "of another type"
}

// refuseText applies bind's checks before validation to the string fields
// of a decoded JSON body: not over maxFieldBytes, valid UTF-8 text without
// control characters. It returns the refused fields, or nil.
func refuseText(dst any) map[string]string {
	v := reflect.ValueOf(dst).Elem()
	t := v.Type()
	var out map[string]string
	for i := range t.NumField() {
		f := v.Field(i)
		if f.Kind() != reflect.String {
			continue
		}
		msg := ""
		switch s := f.String(); {
		case len(s) > maxFieldBytes:
			msg = msgTooLong
		case !validText(s):
			msg = msgBadText
		}
		if msg != "" {
			if out == nil {
				out = map[string]string{}
			}
			name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
			out[name] = msg
			f.SetString("")
		}
	}
	return out
}

// writeAPIError answers err as the JSON API does (DESIGN.md, "API"): the
// status and {"error": code}, with the fields of a 422, Retry-After on a
// 429, WWW-Authenticate on a 401 and the request id on a 500.
func (h *Handlers) writeAPIError(err error, c echo.Context) {
	status, code := http.StatusInternalServerError, "internal"
	var fields map[string]string
	hd := c.Response().Header()
	var ae *apiError
	var he *echo.HTTPError
	var tooMany *errTooMany
	var denied *forbidden
	switch {
	case errors.As(err, &ae):
		status, code, fields = ae.status, ae.code, ae.fields
	case errors.As(err, &denied): // RequireRole's refusal, among others
		status, code = http.StatusForbidden, "forbidden"
	case errors.As(err, &tooMany):
		status, code = http.StatusTooManyRequests, "rate_limited"
		hd.Set("Retry-After", tooMany.retryAfter())
	case errors.Is(err, errCSRF):
		status, code = http.StatusForbidden, "forbidden"
	case errors.Is(err, errRequestTooLarge):
		status, code = http.StatusRequestEntityTooLarge, "too_large"
	case errors.Is(err, errFormRefused):
		status, code = http.StatusUnprocessableEntity, "invalid_request"
	case errors.As(err, &he):
		switch he.Code {
		case http.StatusBadRequest, http.StatusUnsupportedMediaType:
			status, code = http.StatusBadRequest, "invalid_request"
		case http.StatusUnauthorized:
			status, code = http.StatusUnauthorized, "unauthorized"
		case http.StatusForbidden:
			status, code = http.StatusForbidden, "forbidden"
		case http.StatusNotFound:
			status, code = http.StatusNotFound, "not_found"
		case http.StatusMethodNotAllowed:
			status, code = http.StatusMethodNotAllowed, "method_not_allowed"
		case http.StatusRequestEntityTooLarge:
			status, code = http.StatusRequestEntityTooLarge, "too_large"
		case http.StatusTooManyRequests:
			status, code = http.StatusTooManyRequests, "rate_limited"
			hd.Set("Retry-After", "1")
		default:
			if he.Code < 500 {
				status, code = http.StatusBadRequest, "invalid_request"
			}
		}
	}
	body := map[string]any{"error": code}
	if fields != nil {
		body["fields"] = fields
	}
	if status == http.StatusUnauthorized && code == "unauthorized" {
		hd.Set("WWW-Authenticate", "Bearer")
	}
	if status >= 500 {
		rid := hd.Get(echo.HeaderXRequestID)
		body["request_id"] = rid
		if errors.Is(err, context.Canceled) {
			return
		}
		h.log.ErrorContext(c.Request().Context(), "request failed", "request_id", rid, "err", err)
	}
	hd.Del("Content-Encoding")
	if c.Request().Method == http.MethodHead {
		_ = c.NoContent(status)
		return
	}
	if err := c.JSON(status, body); err != nil {
		h.log.ErrorContext(c.Request().Context(), "write api error", "err", err)
	}
}
