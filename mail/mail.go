// Package mail sends Latchkey's email: the Mailer interface, an SMTP sender
// on go-mail, a development sender that only logs, the outbox worker that
// delivers queued messages with retries, and the bodies of every message.
//
// It may import db (to read the outbox) and internal/timetext (how long a
// link lasts and when a notice's event happened, in words) and nothing else
// of Latchkey; never echo, handlers or accounts. Requests do not call a
// Mailer: they queue a message in the database in the same transaction as
// the token it carries, and the Worker delivers it.
package mail

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// Message is one email, ready to send.
type Message struct {
	To      string
	Subject string
	Text    string
	HTML    string
}

// Mailer delivers a message or says why not.
type Mailer interface {
	Send(ctx context.Context, m Message) error
}

// SMTP sends through an SMTP server described by a URL:
// smtp://user:pass@host:587 (STARTTLS when the server offers it) or
// smtps://user:pass@host:465 (TLS from the start).
type SMTP struct {
	from    string
	host    string
	options []gomail.Option
}

// NewSMTP parses rawURL and returns a sender using from as the From address.
func NewSMTP(rawURL, from string) (*SMTP, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("parse SMTP_URL: %w", err)
	}
	host := u.Hostname()
	if host == "" {
		return nil, fmt.Errorf("SMTP_URL has no host")
	}
	opts := []gomail.Option{gomail.WithTimeout(20 * time.Second), gomail.WithTLSConfig(&tls.Config{ServerName: host, MinVersion: tls.VersionTLS12})}
	port := u.Port()
	switch u.Scheme {
	case "smtp":
		if port == "" {
			port = "587"
		}
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	case "smtps":
		if port == "" {
			port = "465"
		}
		opts = append(opts, gomail.WithSSL())
	default:
		return nil, fmt.Errorf("SMTP_URL scheme must be smtp or smtps, not %q", u.Scheme)
	}
	p, err := strconv.Atoi(port)
	if err != nil {
		return nil, fmt.Errorf("SMTP_URL port: %w", err)
	}
	opts = append(opts, gomail.WithPort(p))
	if u.User != nil && u.User.Username() != "" {
		pass, _ := u.User.Password()
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(u.User.Username()), gomail.WithPassword(pass))
	}
	return &SMTP{from: from, host: host, options: opts}, nil
}

// Send delivers m over one SMTP connection.
func (s *SMTP) Send(ctx context.Context, m Message) error {
	msg := gomail.NewMsg()
	if err := msg.From(s.from); err != nil {
		return fmt.Errorf("set from: %w", err)
	}
	if err := msg.To(m.To); err != nil {
		return fmt.Errorf("set to: %w", err)
	}
	msg.Subject(m.Subject)
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	}
	c, err := gomail.NewClient(s.host, s.options...)
	if err != nil {
		return fmt.Errorf("smtp client: %w", err)
	}
	if err := c.DialAndSendWithContext(ctx, msg); err != nil {
		return fmt.Errorf("smtp send: %w", err)
	}
	return nil
}

// LogOnly is the development transport: it delivers nothing, and logs only
// the recipient and subject (never the body, which holds a working link).
// The messages themselves are read at /dev/mailbox.
type LogOnly struct{ Log *slog.Logger }

// Send logs that m would have been sent.
func (l LogOnly) Send(ctx context.Context, m Message) error {
	l.Log.InfoContext(ctx, "mail delivered to development outbox; read it at /dev/mailbox", "to", m.To, "subject", m.Subject)
	return nil
}
