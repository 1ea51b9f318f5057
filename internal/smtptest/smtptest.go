// Package smtptest runs a real SMTP server on 127.0.0.1 for tests, like
// net/http/httptest does for HTTP: messages are received over the wire by
// github.com/emersion/go-smtp and parsed with net/mail and mime/multipart,
// so a test reads what a mail client would show. It imports no Latchkey
// package, only go-smtp (with its go-sasl) and the standard library.
package smtptest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log"
	"math/big"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Message is one received email.
type Message struct {
	From     string   // envelope sender (MAIL FROM)
	To       []string // envelope recipients (RCPT TO)
	AuthUser string   // the user that authenticated, if any
	Header   mail.Header
	Subject  string // decoded
	Text     string // the text/plain part, decoded
	HTML     string // the text/html part, decoded
	Raw      []byte
}

// Server is a running SMTP server. Its zero value is not usable; call Start
// (or Listen).
type Server struct {
	// URL is the SMTP_URL that reaches this server, e.g. smtp://127.0.0.1:2525
	// (with user:pass@ when it was started by StartAuth).
	URL  string
	Addr string

	t          testing.TB // nil for a server from Listen
	user, pass string
	tlsConfig  *tls.Config

	mu    sync.Mutex
	srv   *smtp.Server
	msgs  []Message
	taken map[int]bool // returned by Next
	// arrived is closed, and replaced, whenever a message arrives.
	arrived chan struct{}
	ended   bool
	hold    chan struct{} // while set, DATA is answered only once it is closed
}

// Start listens on a random port of 127.0.0.1 and serves until the test
// ends. It offers no STARTTLS and no AUTH, like a local relay.
func Start(t testing.TB) *Server {
	return start(t, "", "", nil)
}

// StartAuth is Start with AUTH PLAIN required, for user and pass.
func StartAuth(t testing.TB, user, pass string) *Server {
	return start(t, user, pass, nil)
}

// StartTLS is Start offering STARTTLS with a fresh self-signed certificate
// that no client trusts: a client that upgrades fails the handshake, one
// that ignores the offer sends in clear text.
func StartTLS(t testing.TB) *Server {
	t.Helper()
	return start(t, "", "", selfSigned(t))
}

func start(t testing.TB, user, pass string, tlsConfig *tls.Config) *Server {
	t.Helper()
	s, err := listen(t, user, pass, tlsConfig)
	if err != nil {
		t.Fatalf("smtptest: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

// Listen is Start for a server that outlives one test, such as one that a
// whole package shares: it returns an error instead of failing a test, and
// serves until Close. Its connection errors go to stderr.
func Listen() (*Server, error) {
	return listen(nil, "", "", nil)
}

func listen(t testing.TB, user, pass string, tlsConfig *tls.Config) (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	s := &Server{Addr: ln.Addr().String(), t: t, user: user, pass: pass, tlsConfig: tlsConfig,
		taken: map[int]bool{}, arrived: make(chan struct{})}
	s.URL = "smtp://" + s.Addr
	if user != "" {
		s.URL = "smtp://" + user + ":" + pass + "@" + s.Addr
	}
	s.serve(ln)
	return s, nil
}

// Close stops the server for good: Next stops waiting, and a late
// connection error is no longer logged to a test that has ended.
func (s *Server) Close() {
	s.Stop()
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.ended {
		s.ended = true
		close(s.arrived)
	}
}

func (s *Server) serve(ln net.Listener) {
	srv := smtp.NewServer(backend{s})
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	srv.ReadTimeout = 10 * time.Second
	srv.WriteTimeout = 10 * time.Second
	srv.ErrorLog = testLogger{s}
	srv.TLSConfig = s.tlsConfig
	s.mu.Lock()
	s.srv = srv
	s.mu.Unlock()
	go func() { _ = srv.Serve(ln) }()
}

// Stop closes the port and every connection: the server is down, as in an
// outage. Messages received so far stay readable.
func (s *Server) Stop() {
	s.mu.Lock()
	srv := s.srv
	s.srv = nil
	s.mu.Unlock()
	if srv != nil {
		_ = srv.Close()
	}
}

// Resume serves again on the same address after Stop.
func (s *Server) Resume() {
	s.t.Helper()
	var ln net.Listener
	var err error
	// The old socket may take a moment to be released.
	for i := 0; i < 50; i++ {
		if ln, err = net.Listen("tcp", s.Addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		s.t.Fatalf("smtptest: listen again on %s: %v", s.Addr, err)
	}
	s.serve(ln)
}

// HoldReplies makes the server slow to answer DATA: each message is
// received (Messages lists it at once) but the reply waits until release is
// called, as with a relay that has taken a message and not yet said so. A
// test uses it to stop a sender in the middle of a delivery. release is
// called when the test ends, if it was not before.
func (s *Server) HoldReplies() (release func()) {
	s.t.Helper()
	hold := make(chan struct{})
	s.mu.Lock()
	s.hold = hold
	s.mu.Unlock()
	var once sync.Once
	release = func() {
		once.Do(func() {
			s.mu.Lock()
			if s.hold == hold {
				s.hold = nil
			}
			s.mu.Unlock()
			close(hold)
		})
	}
	s.t.Cleanup(release)
	return release
}

// Messages returns every message received so far, oldest first.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

// To returns the messages whose envelope recipients include addr.
func (s *Server) To(addr string) []Message {
	var out []Message
	for _, m := range s.Messages() {
		if m.sentTo(addr) {
			out = append(out, m)
		}
	}
	return out
}

// Next waits up to timeout for a message to addr whose subject contains
// subject and that no earlier call to Next returned, as a person waits for
// an email to arrive. The test fails, listing what did arrive, when none
// does.
func (s *Server) Next(t testing.TB, addr, subject string, timeout time.Duration) Message {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		for i, m := range s.msgs {
			if s.taken[i] || !strings.Contains(m.Subject, subject) || !m.sentTo(addr) {
				continue
			}
			s.taken[i] = true
			s.mu.Unlock()
			return m
		}
		arrived, ended := s.arrived, s.ended
		s.mu.Unlock()
		if !ended {
			select {
			case <-arrived:
				continue
			case <-deadline.C:
			}
		}
		var got []string
		for _, m := range s.Messages() {
			got = append(got, strings.Join(m.To, ",")+": "+m.Subject)
		}
		t.Fatalf("smtptest: no email %q to %s within %s; delivered: %q", subject, addr, timeout, got)
		return Message{}
	}
}

func (m Message) sentTo(addr string) bool {
	for _, r := range m.To {
		if strings.EqualFold(r, addr) {
			return true
		}
	}
	return false
}

func (s *Server) receive(m Message) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.msgs = append(s.msgs, m)
	if !s.ended {
		close(s.arrived)
		s.arrived = make(chan struct{})
	}
}

type backend struct{ s *Server }

func (b backend) NewSession(*smtp.Conn) (smtp.Session, error) {
	return &session{s: b.s}, nil
}

type session struct {
	s        *Server
	authUser string
	from     string
	to       []string
}

func (ss *session) AuthMechanisms() []string {
	if ss.s.user == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (ss *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != ss.s.user || pass != ss.s.pass {
			return errors.New("invalid username or password")
		}
		ss.authUser = user
		return nil
	}), nil
}

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	if ss.s.user != "" && ss.authUser == "" {
		return smtp.ErrAuthRequired
	}
	ss.from = from
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.to = append(ss.to, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	m, err := Parse(raw)
	if err != nil {
		// Refuse what a mail client could not read: the sender sees a 5xx.
		return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: err.Error()}
	}
	m.From, m.To, m.AuthUser = ss.from, append([]string(nil), ss.to...), ss.authUser
	ss.s.receive(m)
	ss.s.mu.Lock()
	hold := ss.s.hold
	ss.s.mu.Unlock()
	if hold != nil {
		<-hold
	}
	return nil
}

func (ss *session) Reset()        { ss.from, ss.to = "", nil }
func (ss *session) Logout() error { return nil }

// Parse reads a raw RFC 5322 message and finds its text and HTML parts,
// decoding quoted-printable and base64 bodies.
func Parse(raw []byte) (Message, error) {
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return Message{}, fmt.Errorf("read message: %w", err)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		return Message{}, fmt.Errorf("decode subject: %w", err)
	}
	m := Message{Header: msg.Header, Subject: subject, Raw: raw}
	if err := m.readPart(msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), msg.Body); err != nil {
		return Message{}, err
	}
	return m, nil
}

func (m *Message) readPart(contentType, encoding string, body io.Reader) error {
	if contentType == "" {
		contentType = "text/plain"
	}
	media, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return fmt.Errorf("content type %q: %w", contentType, err)
	}
	if strings.HasPrefix(media, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			p, err := mr.NextPart()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return fmt.Errorf("read %s: %w", media, err)
			}
			// multipart.Reader has already decoded (and dropped the header
			// of) a quoted-printable part.
			if err := m.readPart(p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p); err != nil {
				return err
			}
		}
	}
	switch strings.ToLower(encoding) {
	case "base64":
		body = base64.NewDecoder(base64.StdEncoding, newlineStripper{body})
	case "quoted-printable":
		body = quotedprintable.NewReader(body)
	}
	b, err := io.ReadAll(body)
	if err != nil {
		return fmt.Errorf("read %s part: %w", media, err)
	}
	switch media {
	case "text/plain":
		m.Text += string(b)
	case "text/html":
		m.HTML += string(b)
	}
	return nil
}

// newlineStripper drops CR and LF so base64 bodies wrapped at 76 columns decode.
type newlineStripper struct{ r io.Reader }

func (n newlineStripper) Read(p []byte) (int, error) {
	k, err := n.r.Read(p)
	j := 0
	for _, c := range p[:k] {
		if c != '\r' && c != '\n' {
			p[j] = c
			j++
		}
	}
	return j, err
}

func selfSigned(t testing.TB) *tls.Config {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatalf("smtptest: key: %v", err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, DNSNames: []string{"localhost"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatalf("smtptest: certificate: %v", err)
	}
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}, MinVersion: tls.VersionTLS12}
}

// testLogger writes the server's errors to the test log while the test
// runs; after it ends, a late connection error must not call t.Log.
type testLogger struct{ s *Server }

func (l testLogger) Printf(format string, v ...any) {
	l.s.mu.Lock()
	defer l.s.mu.Unlock()
	switch {
	case l.s.t == nil:
		log.Printf("smtptest: "+format, v...)
	case !l.s.ended:
		l.s.t.Logf("smtptest: "+format, v...)
	}
}

func (l testLogger) Println(v ...any) { l.Printf("%s", fmt.Sprintln(v...)) }
