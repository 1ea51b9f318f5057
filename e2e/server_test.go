package e2e

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/http"
	"net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// binary is the latchkey binary that TestMain builds from the module root,
// so the tests exercise exactly what `make build` ships.
var binary string

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	dir, err := os.MkdirTemp("", "latchkey-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e: temp dir:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	binary = filepath.Join(dir, "latchkey")
	build := exec.Command("go", "build", "-o", binary, "..")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: build latchkey:", err)
		return 1
	}
	code := m.Run()
	shutdownShared()
	if summary := auditSummary(); summary != "" {
		fmt.Println(summary)
	}
	return code
}

// server is one running latchkey process with its own database and its own
// SMTP inbox.
type server struct {
	URL   string
	inbox *inbox
	cmd   *exec.Cmd
	logs  *syncBuffer
	done  chan struct{}
}

// serverEnv is the environment of every test server; extra settings of a
// test come after it and win.
func serverEnv(dbPath, addr, smtpAddr string) []string {
	return []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + os.Getenv("HOME"),
		"APP_ENV=development",
		"DATABASE_PATH=" + dbPath,
		"LISTEN_ADDR=" + addr,
		"BASE_URL=http://" + addr,
		"SMTP_URL=smtp://" + smtpAddr,
		"MAIL_FROM=Latchkey <no-reply@latchkey.test>",
		// The journeys sign in and out many times from one IP; the 429
		// test starts its own server with the default burst lowered.
		"RATE_LIMIT_BURST=1000",
		"MAIL_LIMIT_PER_ADDRESS=50",
		"LOG_LEVEL=warn",
	}
}

// startServer runs the binary until stop is called. extra settings
// (KEY=value) override the defaults of serverEnv.
func startServer(extra ...string) (*server, error) {
	dir, err := os.MkdirTemp("", "latchkey-e2e-db-")
	if err != nil {
		return nil, fmt.Errorf("temp dir: %w", err)
	}
	in, err := startInbox()
	if err != nil {
		return nil, err
	}
	addr, err := freeAddr()
	if err != nil {
		in.close()
		return nil, err
	}
	s := &server{URL: "http://" + addr, inbox: in, logs: &syncBuffer{}, done: make(chan struct{})}
	s.cmd = exec.Command(binary, "serve")
	s.cmd.Dir = dir // no .env from the repository is read
	s.cmd.Env = append(serverEnv(filepath.Join(dir, "latchkey.db"), addr, in.addr), extra...)
	s.cmd.Stdout, s.cmd.Stderr = s.logs, s.logs
	if err := s.cmd.Start(); err != nil {
		in.close()
		return nil, fmt.Errorf("start latchkey: %w", err)
	}
	go func() {
		_ = s.cmd.Wait()
		os.RemoveAll(dir)
		close(s.done)
	}()
	if err := s.waitHealthy(15 * time.Second); err != nil {
		s.stop()
		return nil, fmt.Errorf("%w\nserver output:\n%s", err, s.logs.String())
	}
	return s, nil
}

func (s *server) waitHealthy(limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		select {
		case <-s.done:
			return errors.New("latchkey exited before it was ready")
		default:
		}
		res, err := http.Get(s.URL + "/healthz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("latchkey did not answer /healthz within %s", limit)
}

// stop asks the server to shut down as an operator would (SIGTERM) and
// waits for it.
func (s *server) stop() {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
	s.inbox.close()
}

var (
	sharedOnce   sync.Once
	sharedServer *server
	sharedErr    error
)

// shared is the server most tests use; it starts on first use. Tests keep
// out of each other's way by using their own email addresses.
func shared(t *testing.T) *server {
	t.Helper()
	sharedOnce.Do(func() { sharedServer, sharedErr = startServer() })
	if sharedErr != nil {
		t.Fatalf("start latchkey: %v", sharedErr)
	}
	return sharedServer
}

func shutdownShared() {
	if sharedServer != nil {
		sharedServer.stop()
	}
	if browserCancel != nil {
		browserCancel()
	}
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// syncBuffer collects the server's log output for failure messages.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// inbox is a real SMTP server in this process: the app delivers to it over
// TCP exactly as it would to a mail provider, and tests read what arrived.
type inbox struct {
	addr string
	srv  *smtp.Server

	mu     sync.Mutex
	cond   *sync.Cond
	mails  []email
	taken  map[int]bool
	closed bool
}

// email is one delivered message, its text part decoded.
type email struct {
	To, Subject, Text string
}

func startInbox() (*inbox, error) {
	in := &inbox{taken: map[int]bool{}}
	in.cond = sync.NewCond(&in.mu)
	in.srv = smtp.NewServer(in)
	in.srv.Domain = "mail.latchkey.test"
	in.srv.ReadTimeout, in.srv.WriteTimeout = 10*time.Second, 10*time.Second
	in.srv.MaxMessageBytes = 1 << 20
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("smtp listen: %w", err)
	}
	in.addr = l.Addr().String()
	go func() { _ = in.srv.Serve(l) }()
	return in, nil
}

func (in *inbox) close() {
	in.mu.Lock()
	in.closed = true
	in.cond.Broadcast()
	in.mu.Unlock()
	_ = in.srv.Close()
}

// NewSession implements smtp.Backend.
func (in *inbox) NewSession(*smtp.Conn) (smtp.Session, error) { return &smtpSession{in: in}, nil }

type smtpSession struct {
	in *inbox
	to []string
}

func (s *smtpSession) Reset()        { s.to = nil }
func (s *smtpSession) Logout() error { return nil }
func (s *smtpSession) Mail(string, *smtp.MailOptions) error {
	return nil
}
func (s *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = append(s.to, to)
	return nil
}

func (s *smtpSession) Data(r io.Reader) error {
	m, err := mail.ReadMessage(r)
	if err != nil {
		return fmt.Errorf("read message: %w", err)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	if err != nil {
		return fmt.Errorf("decode subject: %w", err)
	}
	text, err := plainText(m.Header, m.Body)
	if err != nil {
		return err
	}
	s.in.mu.Lock()
	defer s.in.mu.Unlock()
	for _, to := range s.to {
		s.in.mails = append(s.in.mails, email{To: strings.ToLower(to), Subject: subject, Text: text})
	}
	s.in.cond.Broadcast()
	return nil
}

// plainText returns the text/plain part of a message, decoded.
func plainText(h interface{ Get(string) string }, body io.Reader) (string, error) {
	mediaType, params, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil {
		return "", fmt.Errorf("content type: %w", err)
	}
	if strings.HasPrefix(mediaType, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			p, err := mr.NextRawPart()
			if err != nil {
				return "", fmt.Errorf("no text/plain part: %w", err)
			}
			if text, err := plainText(p.Header, p); err == nil && text != "" {
				return text, nil
			}
		}
	}
	if mediaType != "text/plain" {
		return "", nil
	}
	if strings.EqualFold(h.Get("Content-Transfer-Encoding"), "quoted-printable") {
		body = quotedprintable.NewReader(body)
	}
	b, err := io.ReadAll(body)
	if err != nil {
		return "", fmt.Errorf("read text part: %w", err)
	}
	return string(b), nil
}

// next waits for the next message to `to` whose subject contains subject
// and that no earlier call returned.
func (in *inbox) next(t *testing.T, to, subject string) email {
	t.Helper()
	to = strings.ToLower(to)
	deadline := time.Now().Add(10 * time.Second)
	timer := time.AfterFunc(10*time.Second, func() { in.mu.Lock(); in.cond.Broadcast(); in.mu.Unlock() })
	defer timer.Stop()
	in.mu.Lock()
	defer in.mu.Unlock()
	for {
		for i, m := range in.mails {
			if !in.taken[i] && m.To == to && strings.Contains(m.Subject, subject) {
				in.taken[i] = true
				return m
			}
		}
		if in.closed || time.Now().After(deadline) {
			var got []string
			for _, m := range in.mails {
				got = append(got, m.To+": "+m.Subject)
			}
			t.Fatalf("no email %q to %s within 10s; delivered: %q", subject, to, got)
		}
		in.cond.Wait()
	}
}

var linkPattern = regexp.MustCompile(`https?://[^\s"<>]+`)

// link is the link in the message that goes to path.
func (m email) link(t *testing.T, base, path string) string {
	t.Helper()
	for _, l := range linkPattern.FindAllString(m.Text, -1) {
		if strings.HasPrefix(l, base+path+"?") {
			return l
		}
	}
	t.Fatalf("email %q to %s has no link to %s:\n%s", m.Subject, m.To, path, m.Text)
	return ""
}
