package main

import (
	"strings"
	"testing"
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
