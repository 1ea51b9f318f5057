package main

import (
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
)

// APP_ENV=production refuses to start without an https BASE_URL and a mail
// transport, with one line naming what is missing.
func TestProductionNeedsHTTPSAndMail(t *testing.T) {
	cases := []struct {
		baseURL, smtpURL string
		missing          []string // "" means it starts
	}{
		{"http://example.com", "", []string{"https BASE_URL", "SMTP_URL"}},
		{"http://example.com", "smtps://u:p@mail.example.com", []string{"https BASE_URL"}},
		{"https://example.com", "", []string{"SMTP_URL"}},
		{"https://example.com", "smtp://u:p@mail.example.com:587", nil},
	}
	for _, tc := range cases {
		cliEnv(t)
		t.Setenv("APP_ENV", "production")
		t.Setenv("BASE_URL", tc.baseURL)
		t.Setenv("SMTP_URL", tc.smtpURL)
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
	}
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

// With no setting in the environment and no .env file, the config holds
// DESIGN.md's defaults (guards the envDefault tags against drifting).
func TestConfigDefaults(t *testing.T) {
	t.Chdir(t.TempDir()) // no .env here
	ct := reflect.TypeFor[Config]()
	for i := range ct.NumField() {
		name, _, _ := strings.Cut(ct.Field(i).Tag.Get("env"), ",")
		if name == "" {
			continue
		}
		t.Setenv(name, "") // restored when the test ends
		os.Unsetenv(name)
	}
	c, err := loadConfig()
	if err != nil {
		t.Fatalf("an empty environment is refused: %v", err)
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
	if c.AppEnv != "development" || c.Production() {
		t.Errorf("APP_ENV = %q, want development", c.AppEnv)
	}
	if c.AppName != "Latchkey" {
		t.Errorf("APP_NAME = %q, want Latchkey", c.AppName)
	}
	if len(c.TrustedProxies) != 0 {
		t.Errorf("TRUSTED_PROXIES = %q, want none (trust no X-Forwarded-For)", c.TrustedProxies)
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
