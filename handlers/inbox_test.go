package handlers

import (
	"context"
	"log/slog"
	"net/url"
	"regexp"
	"strings"

	"latchkey/internal/smtptest"
	"latchkey/mail"
)

// inbox is the app's outbox delivered over real SMTP: a mail.Worker with
// mail.NewSMTP pointed at an in-process server on 127.0.0.1. Tests call
// read/last, which run one delivery round first, so nothing depends on
// timing.
type inbox struct {
	app    *testApp
	srv    *smtptest.Server
	worker *mail.Worker
	// tokens seen in delivered links: none may ever reach a log line.
	tokens map[string]bool
}

func (a *testApp) smtpInbox() *inbox {
	a.t.Helper()
	srv := smtptest.Start(a.t)
	s, err := mail.NewSMTP(srv.URL, "Latchkey <no-reply@latchkey.test>")
	if err != nil {
		a.t.Fatal(err)
	}
	w := mail.NewWorker(a.db, s, slog.New(slog.NewTextHandler(a.logs, nil)), true)
	w.Now = a.clock.Now
	in := &inbox{app: a, srv: srv, worker: w, tokens: map[string]bool{}}
	a.t.Cleanup(in.assertNoTokenLogged)
	return in
}

// flush delivers everything due, as the background worker would.
func (in *inbox) flush() {
	in.worker.DeliverDue(context.Background())
}

// read delivers due mail and returns every message received for addr.
func (in *inbox) read(addr string) []smtptest.Message {
	in.flush()
	return in.srv.To(addr)
}

// last returns the newest message to addr, which must have subject.
func (in *inbox) last(addr, subject string) smtptest.Message {
	in.app.t.Helper()
	msgs := in.read(addr)
	if len(msgs) == 0 {
		in.app.t.Fatalf("no mail for %s", addr)
	}
	m := msgs[len(msgs)-1]
	if m.Subject != subject {
		in.app.t.Fatalf("newest mail for %s is %q, want %q", addr, m.Subject, subject)
	}
	return m
}

// link returns the path and query of the link to path in m, checking that
// the text and the HTML part carry the same link, the HTML one clickable.
func (in *inbox) link(m smtptest.Message, path string) string {
	in.app.t.Helper()
	base := in.app.h.cfg.BaseURL
	re := regexp.MustCompile(regexp.QuoteMeta(base+path) + `\?token=[A-Za-z0-9_-]+`)
	full := re.FindString(m.Text)
	if full == "" {
		in.app.t.Fatalf("%q: no link to %s in the text part:\n%s", m.Subject, path, m.Text)
	}
	if !strings.Contains(m.HTML, `href="`+full+`"`) {
		in.app.t.Fatalf("%q: the HTML part has no clickable %s", m.Subject, full)
	}
	u, err := url.Parse(full)
	if err != nil {
		in.app.t.Fatal(err)
	}
	in.tokens[u.Query().Get("token")] = true
	return u.RequestURI()
}

func (in *inbox) assertNoTokenLogged() {
	logs := in.app.logs.String()
	if strings.Contains(logs, "token=") {
		in.app.t.Errorf("a link reached the log:\n%s", logs)
	}
	for tok := range in.tokens {
		if strings.Contains(logs, tok) {
			in.app.t.Errorf("token %s… reached the log", tok[:6])
		}
	}
}

// userCount counts the rows of users.
func (a *testApp) userCount() int {
	a.t.Helper()
	var n int
	if err := a.db.Read.QueryRow(`SELECT count(*) FROM users`).Scan(&n); err != nil {
		a.t.Fatal(err)
	}
	return n
}

var csrfValue = regexp.MustCompile(`name="_csrf" value="[^"]*"`)

// withoutCSRF blanks the CSRF token, the one part of a page that differs
// between two browsers.
func withoutCSRF(body string) string {
	return csrfValue.ReplaceAllString(body, `name="_csrf" value=""`)
}
