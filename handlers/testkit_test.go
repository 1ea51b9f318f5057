package handlers

import (
	"context"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"latchkey/db"
)

// Helpers for the foundation's handler tests: reading forms back out of a
// page, looking at Set-Cookie headers, and posting from many goroutines.

// setCookie returns the Set-Cookie for name in res, or nil.
func setCookie(res *response, name string) *http.Cookie {
	for _, ck := range res.Cookies() {
		if ck.Name == name {
			return ck
		}
	}
	return nil
}

// setCookieLine returns the raw Set-Cookie header line for name, or "".
func setCookieLine(res *response, name string) string {
	for _, line := range res.Header.Values("Set-Cookie") {
		if strings.HasPrefix(line, name+"=") {
			return line
		}
	}
	return ""
}

// session returns the value of this browser's session cookie.
func (c *client) session() string { return c.cookie("latchkey_session") }

// plantCookie puts a cookie in this browser's jar, as an attacker who can
// set cookies for the site (a sibling subdomain, a shared computer) would.
func (c *client) plantCookie(name, value string) {
	u, _ := url.Parse(c.app.srv.URL)
	c.http.Jar.SetCookies(u, []*http.Cookie{{Name: name, Value: value, Path: "/"}})
}

// tryPostForm is postForm for goroutines other than the test's: it returns
// an error instead of failing the test. The CSRF token must already be known
// (call c.csrf() first, from the test goroutine).
func (c *client) tryPostForm(path string, form url.Values) (*response, error) {
	tok := c.cookie("_csrf")
	if tok == "" {
		return nil, fmt.Errorf("no CSRF cookie yet")
	}
	form.Set("_csrf", tok)
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, c.app.srv.URL+path,
		strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, err
	}
	return &response{Response: res, body: string(b)}, nil
}

// postWith posts form (CSRF token added unless set) with extra headers.
func (c *client) postWith(path string, form url.Values, hdr map[string]string) *response {
	c.t.Helper()
	if _, set := form["_csrf"]; !set {
		form.Set("_csrf", c.csrf())
	}
	req, err := http.NewRequest(http.MethodPost, c.app.srv.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	return c.do(req)
}

var (
	summaryRe = regexp.MustCompile(`(?s)<div class="summary"[^>]*>(.*?)</div>`)
	tagRe     = regexp.MustCompile(`<[^>]*>`)
	inputRe   = regexp.MustCompile(`<input[^>]*>`)
	valueRe   = regexp.MustCompile(`\svalue="([^"]*)"`)
)

// fieldError is the text shown next to the field named name, or "".
func fieldError(body, name string) string {
	re := regexp.MustCompile(`<span class="error-text" id="f-` + regexp.QuoteMeta(name) + `-error">([^<]*)</span>`)
	m := re.FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return html.UnescapeString(m[1])
}

// errorSummary is the text of the "There's a problem" box, tags removed.
func errorSummary(body string) string {
	m := summaryRe.FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return html.UnescapeString(tagRe.ReplaceAllString(m[1], " "))
}

// fieldValue is the value attribute of the input named name; ok is false
// when there is no such input.
func fieldValue(body, name string) (value string, ok bool) {
	for _, in := range inputRe.FindAllString(body, -1) {
		if !strings.Contains(in, ` name="`+name+`"`) {
			continue
		}
		if m := valueRe.FindStringSubmatch(in); m != nil {
			return html.UnescapeString(m[1]), true
		}
		return "", true
	}
	return "", false
}

func staysOnSite(location string) error {
	if location == "" {
		return fmt.Errorf("no Location")
	}
	if !strings.HasPrefix(location, "/") {
		return fmt.Errorf("not a local path")
	}
	base, _ := url.Parse("http://latchkey.test/login")
	browser := strings.NewReplacer("\t", "", "\n", "", "\r", "", `\`, "/").Replace(location)
	for _, l := range []string{location, browser} {
		if strings.HasPrefix(l, "//") {
			return fmt.Errorf("protocol-relative URL")
		}
		u, err := base.Parse(l)
		if err != nil {
			return fmt.Errorf("unparsable: %v", err)
		}
		if u.Scheme != "http" || u.Host != "latchkey.test" {
			return fmt.Errorf("leaves the site for %s://%s", u.Scheme, u.Host)
		}
	}
	return nil
}

// countUsers counts rows in users, straight from the database file.
func (a *testApp) countUsers(t *testing.T, where string, args ...any) int {
	t.Helper()
	var n int
	q := "SELECT COUNT(*) FROM users"
	if where != "" {
		q += " WHERE " + where
	}
	if err := a.db.Read.QueryRow(a.db.Rebind(q), args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// createUser makes a confirmed account through the domain layer (one
// hash), for tests that are about signing in, not signing up.
func (a *testApp) createUser(t *testing.T, name, email, password string) {
	t.Helper()
	u := a.createUnconfirmedUser(t, name, email, password)
	if err := a.db.MarkEmailVerified(context.Background(), u.ID, a.clock.Now()); err != nil {
		t.Fatal(err)
	}
}

// createUnconfirmedUser registers an account whose address is not
// confirmed yet, as a signup leaves it.
func (a *testApp) createUnconfirmedUser(t *testing.T, name, email, password string) db.User {
	t.Helper()
	u, created, err := a.acc.Register(context.Background(), name, email, password)
	if err != nil || !created {
		t.Fatalf("register %s: created=%v err=%v", email, created, err)
	}
	return u
}
