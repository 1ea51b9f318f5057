package mail

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"time"

	"latchkey/internal/timetext"
)

// DefaultAppName is the product's name when no APP_NAME is given.
const DefaultAppName = "Latchkey"

// Messages builds every email the app sends. App is the product's name
// (APP_NAME, "" is DefaultAppName): each message names it in its subject
// or text, in the header of the HTML part and in the signature, so a fork
// rebrands its mail with one setting.
type Messages struct {
	App string
}

func (m Messages) app() string {
	if m.App == "" {
		return DefaultAppName
	}
	return m.App
}

// AppName is the product's name the messages use.
func (m Messages) AppName() string { return m.app() }

// Email is the content of one message before it is rendered to text and HTML.
type Email struct {
	App     string // the product's name, set by Messages
	To      string
	Name    string
	Subject string
	Heading string
	Lines   []string
	Button  string
	Link    string
	Footer  string
}

const ignoreIfNotYou = "If this wasn't you, you can ignore this email: nothing changes until the link is used."

// Render returns the message with its plain-text and HTML parts.
func (e Email) Render() (Message, error) {
	if e.App == "" {
		e.App = DefaultAppName
	}
	var html bytes.Buffer
	if err := emailHTML(e).Render(context.Background(), &html); err != nil {
		return Message{}, fmt.Errorf("render %q: %w", e.Subject, err)
	}
	var text strings.Builder
	text.WriteString(e.hello() + "\n\n")
	for _, l := range e.Lines {
		text.WriteString(l + "\n\n")
	}
	if e.Link != "" {
		fmt.Fprintf(&text, "%s:\n%s\n\n", e.Button, e.Link)
	}
	if e.Footer != "" {
		text.WriteString(e.Footer + "\n")
	}
	text.WriteString("\n— " + e.App + "\n")
	return Message{To: e.To, Subject: e.Subject, Text: text.String(), HTML: html.String()}, nil
}

// hello is the greeting line: by name when the message may carry one.
func (e Email) hello() string {
	if e.Name == "" {
		return "Hello,"
	}
	return "Hello " + e.Name + ","
}

// LoginLink is the magic sign-in link.
func (m Messages) LoginLink(to, name, link string, ttl time.Duration) Email {
	return Email{App: m.app(), To: to, Name: name, Subject: "Your " + m.app() + " sign-in link", Heading: "Sign in to " + m.app(),
		Lines:  []string{"Use the button below to sign in. The link works once and for " + timetext.Duration(ttl) + "."},
		Button: "Sign in", Link: link, Footer: "If you didn't ask to sign in, you can ignore this email: nobody can sign in without this link."}
}

// VerifyEmail asks a new user to confirm their address. Until it is
// confirmed, the address may be a stranger's, so the message carries
// nothing the person who signed up chose: no name, only our own text.
func (m Messages) VerifyEmail(to, link string, ttl time.Duration) Email {
	return Email{App: m.app(), To: to, Subject: "Confirm your email address", Heading: "Confirm your email address",
		Lines:  []string{"Someone used this email address to sign up for " + m.app() + ". If it was you, please confirm that this is your address. The link works for " + timetext.Duration(ttl) + "."},
		Button: "Confirm my address", Link: link, Footer: "If you didn't sign up for " + m.app() + ", you can ignore this email."}
}

// ResetPassword carries a password reset link.
func (m Messages) ResetPassword(to, name, link string, ttl time.Duration) Email {
	return Email{App: m.app(), To: to, Name: name, Subject: "Reset your " + m.app() + " password", Heading: "Reset your password",
		Lines:  []string{"Someone (hopefully you) asked to reset the password for this account. The link works once and for " + timetext.Duration(ttl) + "."},
		Button: "Choose a new password", Link: link, Footer: ignoreIfNotYou}
}

// SignupAttempt tells the owner of an address that someone tried to sign up
// with it. The signup page says the same thing either way, so only the
// owner learns that the address already has an account.
func (m Messages) SignupAttempt(to, name, loginURL, resetURL string) Email {
	return Email{App: m.app(), To: to, Name: name, Subject: "Someone tried to sign up with your address", Heading: "You already have an account",
		Lines: []string{"Someone just tried to sign up for " + m.app() + " with this email address, which already has an account.",
			"If it was you, sign in instead, or reset your password at " + resetURL + "."},
		Button: "Sign in", Link: loginURL, Footer: "If it wasn't you, you can ignore this email: your account has not changed."}
}

// Notice tells the account's owner that something security-relevant
// happened, when and from where, and what to do if it wasn't them.
func (m Messages) Notice(to, name, subject, what string, at time.Time, device, ip, settingsURL string) Email {
	return Email{App: m.app(), To: to, Name: name, Subject: subject, Heading: subject,
		Lines:  []string{what, fmt.Sprintf("When: %s. Device: %s. IP address: %s.", timetext.MailMoment(at), device, ip)},
		Button: "Review your account", Link: settingsURL,
		Footer: "If this wasn't you, reset your password now and sign out your other sessions from your account settings."}
}

// ConfirmEmailChange is sent to the new address of an email change. Like
// VerifyEmail, it goes to an address nobody has confirmed yet, so it
// carries no name or other text the requester chose. It is sent whether or
// not the address already has an account (the request must not tell), and
// says nothing about that either.
func (m Messages) ConfirmEmailChange(to, link string, ttl time.Duration) Email {
	return Email{App: m.app(), To: to, Subject: "Confirm your new email address", Heading: "Confirm your new email address",
		Lines:  []string{"Someone asked to change the email address of their account at " + m.app() + " to this one. If it was you, use the link while signed in to that account: the change happens then. The link works once and for " + timetext.Duration(ttl) + "."},
		Button: "Confirm the change", Link: link, Footer: "If you didn't ask for this, ignore this email: nothing changes."}
}
