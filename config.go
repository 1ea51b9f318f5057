package main

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/caarlos0/env/v11"
	"github.com/joho/godotenv"

	"latchkey/accounts"
	"latchkey/db"
)

// Config is every setting, read from the environment and an optional .env
// file (the environment wins). .env.example documents each one.
type Config struct {
	// AppEnv defaults to production so that a bare binary never serves the
	// development mailbox; make run and make dev set development.
	AppEnv string `env:"APP_ENV" envDefault:"production"`
	// AppName is the product's name in page titles, the layout and every
	// email.
	AppName    string `env:"APP_NAME" envDefault:"Latchkey"`
	BaseURL    string `env:"BASE_URL" envDefault:"http://localhost:8080"`
	ListenAddr string `env:"LISTEN_ADDR" envDefault:"localhost:8080"`

	DatabasePath string `env:"DATABASE_PATH" envDefault:"latchkey.db"`
	// DatabaseURL (postgres://…) runs on PostgreSQL instead, shared by
	// every instance; empty is SQLite at DatabasePath.
	DatabaseURL string `env:"DATABASE_URL"`

	SessionLifetime    time.Duration `env:"SESSION_LIFETIME" envDefault:"720h"`
	SessionIdleTimeout time.Duration `env:"SESSION_IDLE_TIMEOUT" envDefault:"168h"`

	MailFrom string `env:"MAIL_FROM" envDefault:"Latchkey <no-reply@localhost>"`
	SMTPURL  string `env:"SMTP_URL"`

	TokenTTLLogin         time.Duration `env:"TOKEN_TTL_LOGIN" envDefault:"15m"`
	TokenTTLVerifyEmail   time.Duration `env:"TOKEN_TTL_VERIFY_EMAIL" envDefault:"24h"`
	TokenTTLResetPassword time.Duration `env:"TOKEN_TTL_RESET_PASSWORD" envDefault:"1h"`
	// UnverifiedAccountTTL: an account whose address was never confirmed is
	// deleted this long after signing up.
	UnverifiedAccountTTL time.Duration `env:"UNVERIFIED_ACCOUNT_TTL" envDefault:"168h"`
	// ActivityRetention: lines of the security activity log older than
	// this are deleted by the cleanup (0 keeps them).
	ActivityRetention time.Duration `env:"ACTIVITY_RETENTION" envDefault:"2160h"`

	RateLimitBurst    int           `env:"RATE_LIMIT_BURST" envDefault:"10"`
	RateLimitInterval time.Duration `env:"RATE_LIMIT_INTERVAL" envDefault:"6s"`
	// The (IP, email) bucket of failed passwords; 0 = the per-IP numbers.
	PasswordLimitBurst    int           `env:"RATE_LIMIT_PASSWORD_BURST" envDefault:"0"`
	PasswordLimitInterval time.Duration `env:"RATE_LIMIT_PASSWORD_INTERVAL" envDefault:"0s"`
	MailLimitPerAddress   int           `env:"MAIL_LIMIT_PER_ADDRESS" envDefault:"3"`
	MailLimitWindow       time.Duration `env:"MAIL_LIMIT_WINDOW" envDefault:"15m"`

	TrustedProxies []string `env:"TRUSTED_PROXIES" envSeparator:","`

	PasswordMinScore int `env:"PASSWORD_MIN_SCORE" envDefault:"2"`
	// HashConcurrency bounds argon2id runs in flight; 0 means GOMAXPROCS.
	HashConcurrency int `env:"HASH_CONCURRENCY" envDefault:"0"`
	// SudoWindow is how recent a sign-in must be to change the email or
	// delete the account without typing the password.
	SudoWindow time.Duration `env:"SUDO_WINDOW" envDefault:"10m"`
	LogLevel   string        `env:"LOG_LEVEL" envDefault:"info"`
	// SecretKey is 32 random bytes in base64, the key that encrypts
	// secrets kept at rest (authenticator secrets). Never logged.
	SecretKey string `env:"SECRET_KEY"`

	// Identity providers: each appears on /login and /signup only when its
	// client id is set. The redirect URI to register with a provider is
	// BASE_URL/login/oauth/{github,google,oidc}/callback.
	GitHubClientID     string `env:"GITHUB_CLIENT_ID"`
	GitHubClientSecret string `env:"GITHUB_CLIENT_SECRET"`
	// GitHubURL and GitHubAPIURL point at GitHub Enterprise.
	GitHubURL          string `env:"GITHUB_URL" envDefault:"https://github.com"`
	GitHubAPIURL       string `env:"GITHUB_API_URL" envDefault:"https://api.github.com"`
	GoogleClientID     string `env:"GOOGLE_CLIENT_ID"`
	GoogleClientSecret string `env:"GOOGLE_CLIENT_SECRET"`
	OIDCIssuer         string `env:"OIDC_ISSUER"`
	OIDCClientID       string `env:"OIDC_CLIENT_ID"`
	OIDCClientSecret   string `env:"OIDC_CLIENT_SECRET"`
	// OIDCName is the generic provider's button label.
	OIDCName string `env:"OIDC_NAME" envDefault:"Single sign-on"`
}

// IdentityProviders are the providers whose settings are present. A fork
// adds one here: one accounts.Provider value and its settings above.
func (c Config) IdentityProviders() []accounts.Provider {
	var ps []accounts.Provider
	if c.GitHubClientID != "" {
		ps = append(ps, accounts.GitHub(c.GitHubClientID, c.GitHubClientSecret, c.GitHubURL, c.GitHubAPIURL))
	}
	if c.GoogleClientID != "" {
		ps = append(ps, accounts.Google(c.GoogleClientID, c.GoogleClientSecret))
	}
	if c.OIDCIssuer != "" {
		ps = append(ps, accounts.OIDC(c.OIDCName, c.OIDCIssuer, c.OIDCClientID, c.OIDCClientSecret))
	}
	return ps
}

// PasswordLimit is the (IP, email) bucket of failed passwords: its own
// settings, or the per-IP numbers where they are 0.
func (c Config) PasswordLimit() (burst int, interval time.Duration) {
	burst, interval = c.PasswordLimitBurst, c.PasswordLimitInterval
	if burst == 0 {
		burst = c.RateLimitBurst
	}
	if interval == 0 {
		interval = c.RateLimitInterval
	}
	return burst, interval
}

// Production reports whether APP_ENV is production.
func (c Config) Production() bool { return c.AppEnv == "production" }

// Secure reports whether the site is served over https (cookies get Secure).
// The scheme is compared as parsed, so HTTPS://… counts too.
func (c Config) Secure() bool {
	u, err := url.Parse(c.BaseURL)
	return err == nil && strings.EqualFold(u.Scheme, "https")
}

// secretKeyLength is the size of SECRET_KEY: an AES-256 or
// ChaCha20-Poly1305 key.
const secretKeyLength = 32

// SecretKeyBytes decodes SECRET_KEY: nil when it is unset, an error unless
// it is base64 (standard or URL alphabet, padded or not) of exactly 32
// bytes. The error never contains the key.
func (c Config) SecretKeyBytes() ([]byte, error) {
	s := strings.TrimSpace(c.SecretKey)
	if s == "" {
		return nil, nil
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		b, err := enc.DecodeString(s)
		if err != nil {
			continue
		}
		if len(b) != secretKeyLength {
			return nil, fmt.Errorf("SECRET_KEY must be %d bytes in base64, not %d (make one with: openssl rand -base64 32)", secretKeyLength, len(b))
		}
		return b, nil
	}
	return nil, errors.New("SECRET_KEY is not base64 (make one with: openssl rand -base64 32)")
}

// devSecretKeyFile is where development keeps the SECRET_KEY it made:
// beside the SQLite file, or in the working directory on PostgreSQL.
func (c Config) devSecretKeyFile() string {
	if c.DatabaseURL != "" {
		return "latchkey.secret-key"
	}
	return c.DatabasePath + ".secret-key"
}

// SecretKeyOrDev is SECRET_KEY's bytes. In development without one, the
// key is the one kept in devSecretKeyFile, made there (mode 0600) the first
// time, so authenticator secrets sealed yesterday still open today; the
// log says where it is, never what it is. Production never gets here
// without a key (validate refuses to start).
func (c Config) SecretKeyOrDev(log *slog.Logger) ([]byte, error) {
	key, err := c.SecretKeyBytes()
	if err != nil || key != nil || c.Production() {
		return key, err
	}
	path := c.devSecretKeyFile()
	text, err := os.ReadFile(path)
	if err == nil {
		key, err := Config{SecretKey: string(text)}.SecretKeyBytes()
		if err != nil || key == nil {
			return nil, fmt.Errorf("development secret key in %s: %v (delete the file to make a new one, or set SECRET_KEY)", path, err)
		}
		log.Info("development: using the SECRET_KEY kept in a file (set SECRET_KEY to use your own)", "path", path)
		return key, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("development secret key: %w", err)
	}
	key = make([]byte, secretKeyLength)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("development secret key: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("development secret key: %w", err)
	}
	if _, err := f.WriteString(base64.StdEncoding.EncodeToString(key) + "\n"); err != nil {
		f.Close()
		return nil, fmt.Errorf("development secret key: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("development secret key: %w", err)
	}
	log.Info("development: made a SECRET_KEY and keep it in a file (set SECRET_KEY to use your own)", "path", path)
	return key, nil
}

// loadConfig reads .env (if present) then the environment, and checks it.
func loadConfig() (Config, error) {
	if err := godotenv.Load(); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return Config{}, fmt.Errorf("read .env: %w", err)
	}
	var c Config
	if err := env.Parse(&c); err != nil {
		return Config{}, fmt.Errorf("read settings: %w", err)
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	return c, c.validate()
}

// validate refuses settings that would run an unsafe or broken server, with
// one line that names what is missing.
func (c Config) validate() error {
	switch c.AppEnv {
	case "development", "production":
	default:
		return fmt.Errorf("APP_ENV must be development or production, not %q", c.AppEnv)
	}
	if err := validAppName(c.AppName); err != nil {
		return err
	}
	u, err := url.Parse(c.BaseURL)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return fmt.Errorf("BASE_URL must be an absolute http(s) URL such as https://example.com, not %q", c.BaseURL)
	}
	if c.DatabaseURL != "" && !db.IsPostgresURL(c.DatabaseURL) {
		return errors.New("DATABASE_URL must be a postgres:// or postgresql:// URL (leave it empty for SQLite at DATABASE_PATH)")
	}
	key, err := c.SecretKeyBytes()
	if err != nil {
		return err
	}
	if c.Production() {
		var missing []string
		if !strings.EqualFold(u.Scheme, "https") {
			missing = append(missing, "an https BASE_URL")
		}
		if c.SMTPURL == "" {
			missing = append(missing, "a mail transport (SMTP_URL)")
		}
		if key == nil {
			missing = append(missing, "a SECRET_KEY (openssl rand -base64 32)")
		}
		if len(missing) > 0 {
			return fmt.Errorf("APP_ENV=production needs %s", joinList(missing))
		}
	}
	if c.RateLimitBurst < 1 || c.RateLimitInterval <= 0 {
		return errors.New("RATE_LIMIT_BURST must be at least 1 and RATE_LIMIT_INTERVAL positive")
	}
	if c.PasswordLimitBurst < 0 || c.PasswordLimitInterval < 0 {
		return errors.New("RATE_LIMIT_PASSWORD_BURST and RATE_LIMIT_PASSWORD_INTERVAL must not be negative")
	}
	if c.SessionLifetime <= 0 || c.SessionIdleTimeout <= 0 {
		return errors.New("SESSION_LIFETIME and SESSION_IDLE_TIMEOUT must be positive")
	}
	if c.TokenTTLLogin <= 0 || c.TokenTTLVerifyEmail <= 0 || c.TokenTTLResetPassword <= 0 {
		return errors.New("TOKEN_TTL_LOGIN, TOKEN_TTL_VERIFY_EMAIL and TOKEN_TTL_RESET_PASSWORD must be positive")
	}
	if err := c.validProviders(); err != nil {
		return err
	}
	if c.UnverifiedAccountTTL < c.TokenTTLVerifyEmail {
		return errors.New("UNVERIFIED_ACCOUNT_TTL must be at least TOKEN_TTL_VERIFY_EMAIL, or accounts would go while their link still works")
	}
	return nil
}

// joinList writes "a", "a and b", "a, b and c".
func joinList(items []string) string {
	if len(items) < 2 {
		return strings.Join(items, "")
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}

// validAppName refuses a name that would break a page title or an email's
// Subject line: empty, over 100 characters, or holding control characters
// or bidirectional overrides.
func validAppName(name string) error {
	if strings.TrimSpace(name) == "" {
		return errors.New("APP_NAME must not be empty")
	}
	if utf8.RuneCountInString(name) > 100 || !utf8.ValidString(name) {
		return errors.New("APP_NAME must be valid text of at most 100 characters")
	}
	for _, r := range name {
		if unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) {
			return fmt.Errorf("APP_NAME must not hold control characters or bidirectional overrides (%U)", r)
		}
	}
	return nil
}

// validProviders refuses a provider given half its settings, or endpoints
// that are not absolute URLs (https in production).
func (c Config) validProviders() error {
	type group struct {
		name, id, secret string
		urls             map[string]string
	}
	groups := []group{
		{"GITHUB", c.GitHubClientID, c.GitHubClientSecret, map[string]string{"GITHUB_URL": c.GitHubURL, "GITHUB_API_URL": c.GitHubAPIURL}},
		{"GOOGLE", c.GoogleClientID, c.GoogleClientSecret, nil},
		{"OIDC", c.OIDCClientID, c.OIDCClientSecret, map[string]string{"OIDC_ISSUER": c.OIDCIssuer}},
	}
	for _, g := range groups {
		set := g.id != "" || g.secret != "" || (g.name == "OIDC" && c.OIDCIssuer != "")
		if !set {
			continue
		}
		if g.id == "" || g.secret == "" {
			return fmt.Errorf("%s_CLIENT_ID and %s_CLIENT_SECRET go together", g.name, g.name)
		}
		for k, v := range g.urls {
			u, err := url.Parse(v)
			if err != nil || u.Host == "" || (u.Scheme != "https" && (c.Production() || u.Scheme != "http")) {
				return fmt.Errorf("%s must be an absolute https URL, not %q", k, v)
			}
		}
	}
	if strings.TrimSpace(c.OIDCName) == "" || utf8.RuneCountInString(c.OIDCName) > 50 {
		return errors.New("OIDC_NAME must be a label of 1 to 50 characters")
	}
	return nil
}
