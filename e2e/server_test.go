package e2e

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"latchkey/internal/apptest"
	"latchkey/internal/smtptest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	shutdownShared()
	apptest.RemoveBinaries()
	if summary := auditSummary(); summary != "" {
		fmt.Println(summary)
	}
	os.Exit(code)
}

// server is one running latchkey binary (internal/apptest) with its own
// database and its own SMTP inbox.
type server struct {
	*apptest.App
	inbox inbox
}

// serverSettings are the settings of every test server; extra settings of
// a test come after them and win.
func serverSettings(smtpURL string) []string {
	return []string{
		"SMTP_URL=" + smtpURL,
		"MAIL_FROM=Latchkey <no-reply@latchkey.test>",
		// The journeys sign in and out many times from one IP; the 429
		// test starts its own server with the default burst lowered.
		"RATE_LIMIT_BURST=1000",
		"MAIL_LIMIT_PER_ADDRESS=50",
		"LOG_LEVEL=warn",
	}
}

// startServer runs the binary until stop is called. extra settings
// (KEY=value) override those of serverSettings.
func startServer(extra ...string) (*server, error) {
	mail, err := smtptest.Listen()
	if err != nil {
		return nil, err
	}
	app, err := apptest.Start(context.Background(), apptest.Options{Settings: append(serverSettings(mail.URL), extra...)})
	if err != nil {
		mail.Close()
		return nil, err
	}
	return &server{App: app, inbox: inbox{mail}}, nil
}

// ownServer is a server for one test alone, stopped when it ends.
func ownServer(t *testing.T, extra ...string) *server {
	t.Helper()
	s, err := startServer(extra...)
	if err != nil {
		t.Fatalf("start latchkey: %v", err)
	}
	t.Cleanup(func() {
		if err := s.stop(); err != nil {
			t.Error(err)
		}
	})
	s.LogOnFailure(t)
	return s
}

// stop asks the server to shut down as an operator would (SIGTERM) and
// waits for it.
func (s *server) stop() error {
	err := s.Stop()
	s.inbox.Close()
	return err
}

var (
	sharedOnce   sync.Once
	sharedServer *server
	sharedErr    error
)

// shared is the server most tests use; it starts on first use. Tests keep
// out of each other's way by using their own email addresses. A test that
// fails is shown what the server logged while it ran.
func shared(t *testing.T) *server {
	t.Helper()
	apptest.SkipShort(t)
	sharedOnce.Do(func() { sharedServer, sharedErr = startServer() })
	if sharedErr != nil {
		t.Fatalf("start latchkey: %v", sharedErr)
	}
	sharedServer.LogOnFailure(t)
	return sharedServer
}

func shutdownShared() {
	if sharedServer != nil {
		if err := sharedServer.stop(); err != nil {
			fmt.Fprintln(os.Stderr, "e2e: shared server:", err)
		}
	}
	if browserCancel != nil {
		browserCancel()
	}
}

// inbox is what the app delivered over SMTP to internal/smtptest.
type inbox struct{ *smtptest.Server }

// email is one delivered message.
type email struct{ smtptest.Message }

// next waits for the next message to `to` whose subject contains subject
// and that no earlier call returned.
func (in inbox) next(t *testing.T, to, subject string) email {
	t.Helper()
	return email{in.Next(t, to, subject, 10*time.Second)}
}

var linkPattern = regexp.MustCompile(`https?://[^\s"<>]+`)

// link is the link in the message's text that goes to path.
func (m email) link(t *testing.T, base, path string) string {
	t.Helper()
	for _, l := range linkPattern.FindAllString(m.Text, -1) {
		if strings.HasPrefix(l, base+path+"?") {
			return l
		}
	}
	t.Fatalf("email %q to %s has no link to %s:\n%s", m.Subject, strings.Join(m.To, ", "), path, m.Text)
	return ""
}
