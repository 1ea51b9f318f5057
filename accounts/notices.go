package accounts

import (
	"context"
	"fmt"

	"latchkey/db"
	"latchkey/device"
	"latchkey/mail"
)

// Origin is where a request came from, for the security notices: the
// browser's User-Agent and the client's IP address.
type Origin struct {
	UserAgent string
	IP        string
}

// Device names the origin's device in plain words ("Chrome on macOS").
func (o Origin) Device() string { return device.Describe(o.UserAgent) }

// noticeLimit bounds notices per address per MailWindow. Every notice
// follows something only the owner can do (a password, a recent sign-in, a
// link from their inbox), so the bound only stops a runaway; it is counted
// apart from links so notices never use up the allowance of links.
func (s *Service) noticeLimit() int { return max(10, s.MailLimit) }

// notify queues a security notice to addr inside q's transaction: what
// happened, when, from which device and IP, and what to do if it wasn't
// them. name greets the reader: pass greeting(user, to), or the account's
// name only where the address has just been proven (a link sign-in).
func (s *Service) notify(ctx context.Context, q *db.Queries, to, name, subject, what string, o Origin) error {
	return s.notifyEmail(ctx, q, func(e mail.Email) mail.Email { return e }, to, name, subject, what, o)
}

// notifyEmail is notify with a last change to the message (the notice of a
// deleted account has no account to review).
func (s *Service) notifyEmail(ctx context.Context, q *db.Queries, edit func(mail.Email) mail.Email, to, name, subject, what string, o Origin) error {
	if ok, err := s.mailAllowed(ctx, q, to, true); err != nil || !ok {
		return err
	}
	ip := o.IP
	if ip == "" {
		ip = "unknown"
	}
	return s.enqueue(ctx, q, edit(s.messages().Notice(to, name, subject, what, s.now(), o.Device(), ip, s.BaseURL+"/settings")), true)
}

// NotifyLinkSignIn tells the owner that their account was just signed in
// to with an emailed link.
func (s *Service) NotifyLinkSignIn(ctx context.Context, user db.User, o Origin) error {
	err := s.DB.InTx(ctx, func(q *db.Queries) error {
		return s.notify(ctx, q, user.Email, user.Name, "New sign-in to your "+s.appName()+" account",
			"Your account was just signed in to with a link sent to this address.", o)
	})
	if err != nil {
		return fmt.Errorf("notify sign-in: %w", err)
	}
	s.mailQueued()
	return nil
}
