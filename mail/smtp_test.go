package mail_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"latchkey/internal/smtptest"
	"latchkey/mail"
)

const from = "Latchkey <no-reply@latchkey.test>"

// send delivers one rendered email through mail.NewSMTP to url.
func send(t *testing.T, url string, e mail.Email) error {
	t.Helper()
	s, err := mail.NewSMTP(url, from)
	if err != nil {
		t.Fatal(err)
	}
	m, err := e.Render()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return s.Send(ctx, m)
}

// A plain smtp:// URL to a server that offers no STARTTLS still delivers
// (opportunistic TLS falls back to clear text), with both parts readable.
func TestMailSMTPDeliversTextAndHTML(t *testing.T) {
	srv := smtptest.Start(t)
	link := "http://latchkey.test/login/email/confirm?token=" + strings.Repeat("A", 43)
	if err := send(t, srv.URL, mail.Messages{}.LoginLink("ada@example.com", "Ada", link, 15*time.Minute)); err != nil {
		t.Fatalf("send: %v", err)
	}
	msgs := srv.Messages()
	if len(msgs) != 1 {
		t.Fatalf("received %d messages, want 1", len(msgs))
	}
	m := msgs[0]
	if len(m.To) != 1 || m.To[0] != "ada@example.com" {
		t.Errorf("envelope to = %v", m.To)
	}
	if m.From != "no-reply@latchkey.test" {
		t.Errorf("envelope from = %q", m.From)
	}
	if m.Subject != "Your Latchkey sign-in link" {
		t.Errorf("subject = %q", m.Subject)
	}
	if !strings.Contains(m.Header.Get("Content-Type"), "multipart/alternative") {
		t.Errorf("Content-Type = %q, want multipart/alternative", m.Header.Get("Content-Type"))
	}
	for part, body := range map[string]string{"text": m.Text, "html": m.HTML} {
		for _, want := range []string{link, "15 minutes", "ignore this email", "Hello Ada"} {
			if !strings.Contains(body, want) {
				t.Errorf("%s part lacks %q:\n%s", part, want, body)
			}
		}
	}
	if !strings.Contains(m.HTML, `href="`+link+`"`) {
		t.Errorf("html part has no clickable link:\n%s", m.HTML)
	}
}

// Credentials in the URL are never sent in clear text: on a connection
// without TLS, go-mail's auto-discovery refuses PLAIN and LOGIN, so a
// server that offers only those gets no password and no mail.
func TestMailSMTPNoPasswordInClearText(t *testing.T) {
	srv := smtptest.StartAuth(t, "mailer", "s3cret")
	err := send(t, srv.URL, mail.Messages{}.VerifyEmail("ada@example.com", "http://x.test/verify-email?token=t", 24*time.Hour))
	if err == nil {
		t.Fatal("sent a password over an unencrypted connection")
	}
	if got := srv.Messages(); len(got) != 0 {
		t.Fatalf("%d messages delivered", len(got))
	}
}

// When the server offers STARTTLS the sender upgrades: with a certificate it
// cannot verify it refuses to send rather than fall back to clear text.
func TestMailSMTPUsesSTARTTLSWhenOffered(t *testing.T) {
	srv := smtptest.StartTLS(t)
	err := send(t, srv.URL, mail.Messages{}.LoginLink("ada@example.com", "Ada", "http://x.test/l?token=t", time.Minute))
	if err == nil {
		t.Fatal("sent through a server with an untrusted certificate")
	}
	if !strings.Contains(err.Error(), "certificate") {
		t.Errorf("error = %v, want a certificate error", err)
	}
	if n := len(srv.Messages()); n != 0 {
		t.Fatalf("%d messages reached the server in clear text", n)
	}
}

// Every message a user can receive has both parts, a clear subject, and
// says what to do if it wasn't them; those carrying a token say how long
// the link lasts.
func TestMailBodies(t *testing.T) {
	srv := smtptest.Start(t)
	link := "http://latchkey.test/x?token=abc"
	cases := []struct {
		e       mail.Email
		subject string
		lasts   string
	}{
		{mail.Messages{}.LoginLink("a@example.com", "Ada", link, 15*time.Minute), "Your Latchkey sign-in link", "15 minutes"},
		{mail.Messages{}.VerifyEmail("a@example.com", link, 24*time.Hour), "Confirm your email address", "24 hours"},
		{mail.Messages{}.ResetPassword("a@example.com", "Ada", link, time.Hour), "Reset your Latchkey password", "1 hour"},
		{mail.Messages{}.ConfirmEmailChange("a@example.com", link, 24*time.Hour), "Confirm your new email address", "24 hours"},
		{mail.Messages{}.SignupAttempt("a@example.com", "Ada", "http://latchkey.test/login", "http://latchkey.test/forgot-password"),
			"Someone tried to sign up with your address", ""},
	}
	for i, tc := range cases {
		if err := send(t, srv.URL, tc.e); err != nil {
			t.Fatalf("send %q: %v", tc.subject, err)
		}
		m := srv.Messages()[i]
		if m.Subject != tc.subject {
			t.Errorf("subject = %q, want %q", m.Subject, tc.subject)
		}
		for part, body := range map[string]string{"text": m.Text, "html": m.HTML} {
			if body == "" {
				t.Errorf("%q: empty %s part", tc.subject, part)
			}
			if !strings.Contains(body, "ignore this email") {
				t.Errorf("%q: %s part does not say to ignore it if it wasn't them", tc.subject, part)
			}
			if tc.lasts != "" && (!strings.Contains(body, link) || !strings.Contains(body, tc.lasts)) {
				t.Errorf("%q: %s part lacks the link or %q", tc.subject, part, tc.lasts)
			}
		}
	}
}

func TestMailSMTPURLs(t *testing.T) {
	for _, bad := range []string{"http://mail.example.com", "smtp://", "smtp://host:notaport", "::"} {
		if _, err := mail.NewSMTP(bad, from); err == nil {
			t.Errorf("NewSMTP(%q) accepted", bad)
		}
	}
	for _, good := range []string{"smtp://u:p@mail.example.com:587", "smtps://mail.example.com", "smtp://127.0.0.1:2525"} {
		if _, err := mail.NewSMTP(good, from); err != nil {
			t.Errorf("NewSMTP(%q): %v", good, err)
		}
	}
}

// A message without a name greets without one, in both parts, instead of
// "Hello ,".
func TestMailGreetingWithoutName(t *testing.T) {
	m, err := mail.Messages{}.ConfirmEmailChange("a@example.com", "http://latchkey.test/x?token=abc", time.Hour).Render()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(m.Text, "Hello,\n\n") {
		t.Errorf("text part starts %q", m.Text[:min(20, len(m.Text))])
	}
	if !strings.Contains(m.HTML, ">Hello,</p>") || strings.Contains(m.HTML, "Hello ,") {
		t.Error("HTML part does not greet with a plain \"Hello,\"")
	}
	m, err = mail.Messages{}.LoginLink("a@example.com", "Ada", "http://latchkey.test/x?token=abc", time.Hour).Render()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(m.Text, "Hello Ada,\n\n") || !strings.Contains(m.HTML, ">Hello Ada,</p>") {
		t.Error("a message with a name does not greet by it")
	}
}
