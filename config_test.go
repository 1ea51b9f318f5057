package main

import (
	"bytes"
	"encoding/base64"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"
)

// testSecretKey is a valid SECRET_KEY (32 bytes of 0x01, base64).
var testSecretKey = base64.StdEncoding.EncodeToString([]byte(strings.Repeat("\x01", 32)))

// APP_ENV=production refuses to start without an https BASE_URL, a mail
// transport and a SECRET_KEY, with one line naming what is missing. The
// scheme counts however it is written.
func TestProductionNeedsHTTPSAndMail(t *testing.T) {
	cases := []struct {
		baseURL, smtpURL, key string
		missing               []string // nil means it starts
	}{
		{"http://example.com", "", "", []string{"https BASE_URL", "SMTP_URL", "SECRET_KEY"}},
		{"http://example.com", "", testSecretKey, []string{"https BASE_URL", "SMTP_URL"}},
		{"http://example.com", "smtps://u:p@mail.example.com", testSecretKey, []string{"https BASE_URL"}},
		{"https://example.com", "", testSecretKey, []string{"SMTP_URL"}},
		{"https://example.com", "smtp://u:p@mail.example.com:587", "", []string{"SECRET_KEY"}},
		{"https://example.com", "smtp://u:p@mail.example.com:587", testSecretKey, nil},
		{"HTTPS://EXAMPLE.COM", "smtp://u:p@mail.example.com:587", testSecretKey, nil},
		{"Https://example.com", "smtp://u:p@mail.example.com:587", testSecretKey, nil},
	}
	for _, tc := range cases {
		cliEnv(t)
		t.Setenv("APP_ENV", "production")
		t.Setenv("BASE_URL", tc.baseURL)
		t.Setenv("SMTP_URL", tc.smtpURL)
		t.Setenv("SECRET_KEY", tc.key)
		_, err := loadConfig()
		if tc.missing == nil {
			if err != nil {
				t.Errorf("%s + %q: refused: %v", tc.baseURL, tc.smtpURL, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("%s + %q: started, want a refusal", tc.baseURL, tc.smtpURL)
			continue
		}
		msg := err.Error()
		if strings.Contains(msg, "\n") {
			t.Errorf("message is not one line: %q", msg)
		}
		for _, m := range tc.missing {
			if !strings.Contains(msg, m) {
				t.Errorf("%s + %q: message %q does not name %s", tc.baseURL, tc.smtpURL, msg, m)
			}
		}
		if tc.key != "" && strings.Contains(msg, tc.key) {
			t.Errorf("the refusal prints the key: %q", msg)
		}
	}
}

// unsetSettings removes every setting Config reads from the environment
// (restored when the test ends), and leaves no .env in the working
// directory.
func unsetSettings(t *testing.T) {
	t.Helper()
	t.Chdir(t.TempDir())
	ct := reflect.TypeFor[Config]()
	for i := range ct.NumField() {
		name, _, _ := strings.Cut(ct.Field(i).Tag.Get("env"), ",")
		if name == "" {
			continue
		}
		t.Setenv(name, "")
		os.Unsetenv(name)
	}
}

// The attack: a deployment that left APP_ENV unset served every emailed
// link at /dev/mailbox. A bare binary is production now, and refuses to
// start until it has what production needs.
func TestBareConfigIsProductionAndRefuses(t *testing.T) {
	unsetSettings(t)
	c, err := loadConfig()
	if c.AppEnv != "production" || !c.Production() {
		t.Fatalf("APP_ENV unset = %q, want production", c.AppEnv)
	}
	if err == nil {
		t.Fatal("a bare config starts, want a refusal")
	}
	for _, m := range []string{"APP_ENV=production needs", "https BASE_URL", "SMTP_URL", "SECRET_KEY"} {
		if !strings.Contains(err.Error(), m) || strings.Contains(err.Error(), "\n") {
			t.Errorf("refusal %q: want one line naming %s", err, m)
		}
	}
	// The serve command stops there too, before opening anything.
	if _, err := runCLI(t, "serve"); err == nil || !strings.Contains(err.Error(), "APP_ENV=production needs") {
		t.Fatalf("serve with no settings: %v", err)
	}
}

// Secure (and so the Secure flag of every cookie) follows the parsed
// scheme: HTTPS:// in capitals is https.
func TestSecureFollowsTheParsedScheme(t *testing.T) {
	for _, tc := range []struct {
		baseURL string
		secure  bool
	}{
		{"https://example.com", true},
		{"HTTPS://example.com", true},
		{"hTtPs://example.com:8443/app", true},
		{"http://example.com", false},
		{"HTTP://example.com", false},
		{"http://https.example.com", false},
		{"httpsx://example.com", false},
		{"", false},
	} {
		if got := (Config{BaseURL: tc.baseURL}).Secure(); got != tc.secure {
			t.Errorf("BASE_URL %q: Secure() = %v, want %v", tc.baseURL, got, tc.secure)
		}
	}
}

// SECRET_KEY is 32 bytes in base64; anything else is refused, in
// development too, without the value in the message.
func TestSecretKeyMustBe32BytesOfBase64(t *testing.T) {
	raw := []byte(strings.Repeat("\xfb", 32)) // '+' and '/' in standard base64
	for _, tc := range []struct {
		name, key string
		ok        bool
	}{
		{"standard", base64.StdEncoding.EncodeToString(raw), true},
		{"standard, no padding", base64.RawStdEncoding.EncodeToString(raw), true},
		{"URL alphabet", base64.URLEncoding.EncodeToString(raw), true},
		{"URL alphabet, no padding", base64.RawURLEncoding.EncodeToString(raw), true},
		{"with a newline", base64.StdEncoding.EncodeToString(raw) + "\n", true},
		{"16 bytes", base64.StdEncoding.EncodeToString(raw[:16]), false},
		{"31 bytes", base64.StdEncoding.EncodeToString(raw[:31]), false},
		{"64 bytes", base64.StdEncoding.EncodeToString(append(raw, raw...)), false},
		{"not base64", "this is my secret key, 32 chars!", false},
		{"hex", strings.Repeat("ab", 32), false},
	} {
		cliEnv(t)
		t.Setenv("SECRET_KEY", tc.key)
		c, err := loadConfig()
		if tc.ok {
			key, kerr := c.SecretKeyBytes()
			if err != nil || kerr != nil || len(key) != 32 {
				t.Errorf("%s: refused (%v, %v, %d bytes)", tc.name, err, kerr, len(key))
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), "SECRET_KEY") {
			t.Errorf("%s: accepted (%v), want a refusal naming SECRET_KEY", tc.name, err)
		} else if strings.Contains(err.Error(), strings.TrimSpace(tc.key)) {
			t.Errorf("%s: the refusal prints the key: %q", tc.name, err)
		}
	}
}

// secretKeyRefusal is every message a bad SECRET_KEY can get: none of
// them has room for the value.
var secretKeyRefusal = regexp.MustCompile(`^SECRET_KEY (is not base64|must be 32 bytes in base64, not \d+) \(make one with: openssl rand -base64 32\)$`)

// FuzzSecretKeyBytes: any SECRET_KEY either decodes to exactly 32 bytes or
// is refused, never panics, and the refusal never contains the value.
func FuzzSecretKeyBytes(f *testing.F) {
	f.Add(testSecretKey)
	f.Add("")
	f.Add("====")
	f.Add(strings.Repeat("A", 43))
	f.Fuzz(func(t *testing.T, s string) {
		key, err := Config{SecretKey: s}.SecretKeyBytes()
		switch {
		case err != nil && key != nil:
			t.Fatalf("%q: both a key and an error", s)
		case err == nil && key != nil && len(key) != 32:
			t.Fatalf("%q: a %d-byte key", s, len(key))
		case err == nil && key == nil && strings.TrimSpace(s) != "":
			t.Fatalf("%q: neither a key nor an error", s)
		case err != nil && !secretKeyRefusal.MatchString(err.Error()):
			t.Fatalf("%q: refused with %q, which may carry the value", s, err)
		}
	})
}

// The serve command stops before opening anything when the settings are
// unsafe.
func TestServeRefusesUnsafeProduction(t *testing.T) {
	cliEnv(t)
	t.Setenv("APP_ENV", "production")
	t.Setenv("BASE_URL", "http://example.com")
	_, err := runCLI(t, "serve")
	if err == nil || !strings.Contains(err.Error(), "APP_ENV=production needs") {
		t.Fatalf("serve in unsafe production: %v", err)
	}
}

// With no setting in the environment but APP_ENV=development, and no .env
// file, the config holds the defaults of docs/ARCHITECTURE.md (guards the
// envDefault tags against drifting). APP_ENV's own default is production
// (TestBareConfigIsProductionAndRefuses).
func TestConfigDefaults(t *testing.T) {
	unsetSettings(t)
	t.Setenv("APP_ENV", "development")
	c, err := loadConfig()
	if err != nil {
		t.Fatalf("development with no other setting is refused: %v", err)
	}
	for _, d := range []struct {
		name      string
		got, want time.Duration
	}{
		{"SESSION_LIFETIME", c.SessionLifetime, 720 * time.Hour},
		{"SESSION_IDLE_TIMEOUT", c.SessionIdleTimeout, 168 * time.Hour},
		{"TOKEN_TTL_LOGIN", c.TokenTTLLogin, 15 * time.Minute},
		{"TOKEN_TTL_VERIFY_EMAIL", c.TokenTTLVerifyEmail, 24 * time.Hour},
		{"TOKEN_TTL_RESET_PASSWORD", c.TokenTTLResetPassword, time.Hour},
		{"UNVERIFIED_ACCOUNT_TTL", c.UnverifiedAccountTTL, 168 * time.Hour},
		{"RATE_LIMIT_INTERVAL", c.RateLimitInterval, 6 * time.Second},
		{"MAIL_LIMIT_WINDOW", c.MailLimitWindow, 15 * time.Minute},
	} {
		if d.got != d.want {
			t.Errorf("%s = %v, want %v", d.name, d.got, d.want)
		}
	}
	for _, n := range []struct {
		name      string
		got, want int
	}{
		{"RATE_LIMIT_BURST", c.RateLimitBurst, 10},
		{"MAIL_LIMIT_PER_ADDRESS", c.MailLimitPerAddress, 3},
	} {
		if n.got != n.want {
			t.Errorf("%s = %d, want %d", n.name, n.got, n.want)
		}
	}
	if c.Production() || c.Secure() {
		t.Errorf("development on the default BASE_URL: Production %v, Secure %v", c.Production(), c.Secure())
	}
	if c.AppName != "Latchkey" {
		t.Errorf("APP_NAME = %q, want Latchkey", c.AppName)
	}
	if len(c.TrustedProxies) != 0 {
		t.Errorf("TRUSTED_PROXIES = %q, want none (trust no X-Forwarded-For)", c.TrustedProxies)
	}
	if key, err := c.SecretKeyBytes(); key != nil || err != nil {
		t.Errorf("SECRET_KEY unset: %v, %v", key, err)
	}
}

// APP_NAME goes into page titles and email Subject lines: a name that could
// break a header line or reorder the text around it is refused at start.
func TestAppNameIsPlainText(t *testing.T) {
	for _, tc := range []struct {
		name string
		ok   bool
	}{
		{"Acme", true},
		{"Acme, Inc. — accounts", true},
		{"Ärztekammer", true},
		{"", false},
		{"   ", false},
		{"Acme\r\nBcc: victim@example.com", false},
		{"Acme\n", false},
		{"Acme\x00", false},
		{"Acme\u202egnp.exe", false},
		{strings.Repeat("a", 101), false},
		{"\xff", false},
	} {
		err := validAppName(tc.name)
		if tc.ok && err != nil {
			t.Errorf("APP_NAME=%q refused: %v", tc.name, err)
		}
		if !tc.ok && (err == nil || !strings.Contains(err.Error(), "APP_NAME")) {
			t.Errorf("APP_NAME=%q: %v, want a refusal naming APP_NAME", tc.name, err)
		}
	}
	// loadConfig applies it.
	cliEnv(t)
	t.Setenv("APP_NAME", "Acme\r\nBcc: victim@example.com")
	if _, err := loadConfig(); err == nil || !strings.Contains(err.Error(), "APP_NAME") {
		t.Fatalf("loadConfig with a two-line APP_NAME: %v", err)
	}
	t.Setenv("APP_NAME", "Acme")
	if c, err := loadConfig(); err != nil || c.AppName != "Acme" {
		t.Fatalf("loadConfig with APP_NAME=Acme: %q, %v", c.AppName, err)
	}
}

// In development without SECRET_KEY the app makes a key, keeps it beside
// the database with mode 0600, uses the same one on the next start, and
// logs where it is but never the key.
func TestDevelopmentSecretKeyIsKeptBesideTheDatabase(t *testing.T) {
	dir := t.TempDir()
	c := Config{AppEnv: "development", DatabasePath: filepath.Join(dir, "app.db")}
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	first, err := c.SecretKeyOrDev(log)
	if err != nil || len(first) != 32 {
		t.Fatalf("first start: %d bytes, %v", len(first), err)
	}
	path := filepath.Join(dir, "app.db.secret-key")
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v, want 0600", st.Mode().Perm())
	}
	second, err := c.SecretKeyOrDev(log)
	if err != nil || !bytes.Equal(first, second) {
		t.Fatalf("second start: a different key (%v)", err)
	}
	if !strings.Contains(logs.String(), path) {
		t.Errorf("the log does not say where the key is:\n%s", logs.String())
	}
	for _, enc := range []func([]byte) string{base64.StdEncoding.EncodeToString, base64.RawURLEncoding.EncodeToString} {
		if strings.Contains(logs.String(), enc(first)) {
			t.Fatal("the key is in the log")
		}
	}
	// A key that is set wins, and nothing is read or made.
	c.SecretKey = testSecretKey
	if k, err := c.SecretKeyOrDev(log); err != nil || bytes.Equal(k, first) {
		t.Fatalf("SECRET_KEY set: %v", err)
	}
	// Production never makes one.
	prod := Config{AppEnv: "production", DatabasePath: filepath.Join(dir, "prod.db")}
	if k, err := prod.SecretKeyOrDev(log); k != nil || err != nil {
		t.Fatalf("production made a key: %v %v", k, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "prod.db.secret-key")); err == nil {
		t.Fatal("production wrote a key file")
	}
	// A damaged file is an error naming it, not a new key.
	os.WriteFile(path, []byte("junk"), 0o600)
	c.SecretKey = ""
	if _, err := c.SecretKeyOrDev(log); err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("damaged key file: %v", err)
	}
}
