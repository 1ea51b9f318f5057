package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"latchkey/accounts"
	"latchkey/auth"
	"latchkey/db"
)

// cliEnv points the binary's settings at a fresh database file and returns
// its path.
func cliEnv(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "cli.db")
	t.Setenv("DATABASE_PATH", path)
	t.Setenv("APP_ENV", "development")
	t.Setenv("BASE_URL", "http://localhost:8080")
	t.Setenv("SMTP_URL", "")
	t.Setenv("SECRET_KEY", "")
	t.Setenv("LOG_LEVEL", "warn")
	return path
}

// runCLI runs the command line as main does and returns what it printed.
func runCLI(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(context.Background(), args, &out, &errOut)
	return out.String(), err
}

func mustRunCLI(t *testing.T, args ...string) string {
	t.Helper()
	out, err := runCLI(t, args...)
	if err != nil {
		t.Fatalf("latchkey %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// openAccounts opens the same database the CLI wrote, as the web app would.
func openAccounts(t *testing.T, path string) *accounts.Service {
	t.Helper()
	d, err := db.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	hasher, err := auth.NewHasher(auth.Params, 0)
	if err != nil {
		t.Fatal(err)
	}
	acc, err := accounts.New(accounts.Config{DB: d, Hasher: hasher, Policy: auth.Policy{MinScore: auth.DefaultMinPasswordScore},
		TTL:     auth.TokenTTLs{Login: 15 * time.Minute, VerifyEmail: 24 * time.Hour, ResetPassword: time.Hour},
		BaseURL: "http://localhost:8080", MailLimit: 3, MailWindow: 15 * time.Minute,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: time.Now})
	if err != nil {
		t.Fatal(err)
	}
	return acc
}

var signInLink = regexp.MustCompile(`http://localhost:8080/login/email/confirm\?token=[A-Za-z0-9_-]{43}`)

func TestUserCLI(t *testing.T) {
	path := cliEnv(t)
	ctx := context.Background()

	out := mustRunCLI(t, "user", "create", "--email", " Op@Example.com ", "--name", "Operator")
	if !strings.Contains(out, "created user 1 <Op@Example.com>") {
		t.Fatalf("create said:\n%s", out)
	}
	link := signInLink.FindString(out)
	if link == "" {
		t.Fatalf("create printed no sign-in link in development:\n%s", out)
	}
	if _, err := runCLI(t, "user", "create", "--email", "op@example.com", "--name", "Again"); !errors.Is(err, db.ErrEmailTaken) {
		t.Fatalf("a second account with the same address: %v", err)
	}
	if _, err := runCLI(t, "user", "create", "--email", "x@example.com"); err == nil || !strings.Contains(err.Error(), "usage") {
		t.Fatalf("create without --name: %v", err)
	}

	out = mustRunCLI(t, "user", "list")
	for _, want := range []string{"EMAIL", "Op@Example.com", "Operator", "no"} {
		if !strings.Contains(out, want) {
			t.Fatalf("list lacks %q:\n%s", want, out)
		}
	}

	// The printed link signs in, as the web page would.
	acc := openAccounts(t, path)
	u, _ := url.Parse(link)
	user, err := acc.ConsumeLoginLink(ctx, u.Query().Get("token"), "")
	if err != nil {
		t.Fatalf("the printed link does not sign in: %v", err)
	}
	sid, err := acc.RecordSession(ctx, user.ID, "test", "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	const password = "purple elephant juggles quietly"
	hash, err := acc.Hasher.Hash(ctx, password)
	if err != nil {
		t.Fatal(err)
	}
	if err := acc.DB.SetPasswordHash(ctx, user.ID, hash, time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := acc.DeliverLoginLink(ctx, "op@example.com"); err != nil {
		t.Fatal(err)
	}

	// disable: sessions end, no sign-in by any method.
	out = mustRunCLI(t, "user", "disable", "OP@example.com")
	if !strings.Contains(out, "disabled user 1") {
		t.Fatalf("disable said:\n%s", out)
	}
	if _, _, err := acc.SessionUser(ctx, sid); !errors.Is(err, accounts.ErrSessionEnded) {
		t.Fatalf("session after disable: %v", err)
	}
	if s, _ := acc.DB.ListUserSessions(ctx, user.ID); len(s) != 0 {
		t.Fatalf("%d session records after disable", len(s))
	}
	if _, err := acc.SignInWithPassword(ctx, "op@example.com", password); !errors.Is(err, accounts.ErrDisabled) {
		t.Fatalf("password sign-in while disabled: %v", err)
	}
	before, _ := acc.DB.RecentMail(ctx, 100)
	if err := acc.DeliverLoginLink(ctx, "op@example.com"); err != nil {
		t.Fatal(err)
	}
	if after, _ := acc.DB.RecentMail(ctx, 100); len(after) != len(before) {
		t.Fatal("a sign-in link was sent to a disabled account")
	}
	var links int
	if err := acc.DB.Read.QueryRow(`SELECT count(*) FROM tokens WHERE user_id = ?`, user.ID).Scan(&links); err != nil || links != 0 {
		t.Fatalf("%d links still live after disable (%v)", links, err)
	}
	if out := mustRunCLI(t, "user", "list"); !regexp.MustCompile(`Op@Example.com\s+Operator\s+yes\s+yes`).MatchString(out) {
		t.Fatalf("list does not show the account verified and disabled:\n%s", out)
	}

	// enable: password sign-in works again.
	out = mustRunCLI(t, "user", "enable", "op@example.com")
	if !strings.Contains(out, "enabled user 1") {
		t.Fatalf("enable said:\n%s", out)
	}
	if _, err := acc.SignInWithPassword(ctx, "op@example.com", password); err != nil {
		t.Fatalf("password sign-in after enable: %v", err)
	}

	// delete: the account and its sessions are gone.
	if _, err := acc.RecordSession(ctx, user.ID, "test", "127.0.0.1"); err != nil {
		t.Fatal(err)
	}
	out = mustRunCLI(t, "user", "delete", "op@example.com")
	if !strings.Contains(out, "deleted user 1") {
		t.Fatalf("delete said:\n%s", out)
	}
	if _, err := acc.DB.UserByEmail(ctx, "op@example.com"); !errors.Is(err, db.ErrNotFound) {
		t.Fatalf("user after delete: %v", err)
	}
	var sessions int
	if err := acc.DB.Read.QueryRow(`SELECT count(*) FROM user_sessions`).Scan(&sessions); err != nil || sessions != 0 {
		t.Fatalf("%d session records after delete (%v)", sessions, err)
	}
	if out := mustRunCLI(t, "user", "list"); strings.Contains(out, "Op@Example.com") {
		t.Fatalf("list still shows the deleted account:\n%s", out)
	}
	// The owner is told, as when they delete it themselves from /settings.
	mails, err := acc.DB.RecentMail(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	told := false
	for _, m := range mails {
		if strings.EqualFold(m.To, "op@example.com") && strings.Contains(m.Subject, "account was deleted") {
			told = true
		}
	}
	if !told {
		t.Fatal("deleting an account from the command line sent its owner no notice")
	}

	for _, args := range [][]string{{"user", "disable", "nobody@example.com"}, {"user", "enable", "nobody@example.com"},
		{"user", "delete", "nobody@example.com"}} {
		if _, err := runCLI(t, args...); err == nil || !strings.Contains(err.Error(), "no account has the address") {
			t.Fatalf("latchkey %s: %v", strings.Join(args, " "), err)
		}
	}
	if _, err := runCLI(t, "user", "disable"); err == nil || !strings.Contains(err.Error(), "usage") {
		t.Fatalf("disable without an address: %v", err)
	}
	if _, err := runCLI(t, "user", "frobnicate"); err == nil || !strings.Contains(err.Error(), "unknown user command") {
		t.Fatalf("unknown subcommand: %v", err)
	}
}

// In production the link is not printed: it would end up in shell history
// and logs. The person asks for one by email instead.
func TestUserCLICreateInProductionPrintsNoLink(t *testing.T) {
	cliEnv(t)
	t.Setenv("APP_ENV", "production")
	t.Setenv("BASE_URL", "https://latchkey.example")
	t.Setenv("SMTP_URL", "smtp://localhost:2525")
	t.Setenv("SECRET_KEY", testSecretKey)
	out := mustRunCLI(t, "user", "create", "--email", "op@example.com", "--name", "Operator")
	if strings.Contains(out, "token=") || !strings.Contains(out, "emailed link") {
		t.Fatalf("create in production said:\n%s", out)
	}
}

func TestUserCLIHelp(t *testing.T) {
	// An unusable database path proves that help never opens the database.
	t.Setenv("DATABASE_PATH", filepath.Join(t.TempDir(), "missing", "dir", "x.db"))
	t.Setenv("APP_ENV", "development")
	for _, args := range [][]string{{"user"}, {"user", "--help"}, {"user", "-h"}, {"user", "help"}} {
		out := mustRunCLI(t, args...)
		for _, sub := range []string{"list", "create --email EMAIL --name NAME", "disable EMAIL", "enable EMAIL", "delete EMAIL"} {
			if !strings.Contains(out, sub) {
				t.Fatalf("latchkey %s lacks %q:\n%s", strings.Join(args, " "), sub, out)
			}
		}
	}
	for sub, want := range map[string]string{
		"list":    "Lists every account",
		"create":  "prints a one-time sign-in link",
		"disable": "every one of its\nsessions ends",
		"enable":  "Enables an account",
		"delete":  "There is no undo",
	} {
		for _, args := range [][]string{{"user", sub, "--help"}, {"user", sub, "-h"}, {"user", "help", sub}} {
			out := mustRunCLI(t, args...)
			if !strings.HasPrefix(out, "Usage: latchkey user "+sub) || !strings.Contains(out, want) {
				t.Fatalf("latchkey %s:\n%s", strings.Join(args, " "), out)
			}
		}
	}
	out := mustRunCLI(t, "--help")
	if !strings.Contains(out, "latchkey user --help") {
		t.Fatalf("the main help does not point to the user help:\n%s", out)
	}
	// Without --help the same bad path is an error: the test above is real.
	if _, err := runCLI(t, "user", "list"); err == nil {
		t.Fatal("user list with an unusable database path succeeded")
	}
}

// The operator's command line cannot store a name the forms refuse (issue
// 13: a name with line breaks rewrote the mail it greeted with).
func TestUserCLICreateRefusesBadName(t *testing.T) {
	path := cliEnv(t)
	for _, name := range []string{
		"there,\r\n\r\nYour account is locked. Restore it at https://evil.example/restore",
		"Ada\u202eecalevoL",
		"Ada\tLovelace",
		strings.Repeat("x", auth.MaxNameLength+1),
	} {
		_, err := runCLI(t, "user", "create", "--email", "op@example.com", "--name", name)
		if !errors.Is(err, auth.ErrNameCharacters) && !errors.Is(err, auth.ErrNameTooLong) {
			t.Errorf("create --name %q: %v, want the name refused", name, err)
		}
	}
	acc := openAccounts(t, path)
	if _, err := acc.DB.UserByEmail(context.Background(), "op@example.com"); !errors.Is(err, db.ErrNotFound) {
		t.Fatalf("an account was stored: %v", err)
	}
}

// adaWithSecondFactor creates ada@example.com with the command line and
// turns her authenticator app on through accounts, with the SECRET_KEY
// the commands run with.
func adaWithSecondFactor(t *testing.T) (*accounts.Service, db.User) {
	t.Helper()
	path := cliEnv(t)
	t.Setenv("SECRET_KEY", testSecretKey)
	ctx := context.Background()
	mustRunCLI(t, "user", "create", "--email", "ada@example.com", "--name", "Ada")
	acc := openAccounts(t, path)
	acc.SecretKey = bytes.Repeat([]byte{1}, 32)
	acc, err := accounts.New(acc.Config)
	if err != nil {
		t.Fatal(err)
	}
	user, err := acc.FindUser(ctx, "ada@example.com")
	if err != nil {
		t.Fatal(err)
	}
	e, err := acc.BeginEnrolment(ctx, user)
	if err != nil {
		t.Fatal(err)
	}
	code, err := totp.GenerateCode(e.Secret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := acc.ConfirmEnrolment(ctx, user, code, accounts.Origin{}); err != nil {
		t.Fatal(err)
	}
	return acc, user
}

// latchkey user reset-2fa EMAIL turns the second factor off for a user who
// lost both the app and the codes, and tells them.
func TestUserReset2FA(t *testing.T) {
	ctx := context.Background()
	acc, user := adaWithSecondFactor(t)
	out := mustRunCLI(t, "user", "reset-2fa", "ada@example.com")
	if !strings.Contains(out, "turned off two-step verification for user") {
		t.Fatalf("output: %q", out)
	}
	if on, err := acc.SecondFactorEnabled(ctx, user.ID); on || err != nil {
		t.Fatalf("still on after reset-2fa: %v %v", on, err)
	}
	msgs, err := acc.DB.RecentMail(ctx, 1)
	if err != nil || len(msgs) == 0 || !strings.Contains(msgs[0].Subject, "turned off") {
		t.Fatalf("no notice to the owner: %v %+v", err, msgs)
	}
	if _, err := runCLI(t, "user", "reset-2fa", "ada@example.com"); err == nil || !strings.Contains(err.Error(), "nothing to reset") {
		t.Fatalf("second reset: %v", err)
	}
	if _, err := runCLI(t, "user", "reset-2fa", "nobody@example.com"); err == nil || !strings.Contains(err.Error(), "no account") {
		t.Fatalf("unknown address: %v", err)
	}
	if out := mustRunCLI(t, "user", "reset-2fa", "--help"); !strings.Contains(out, "lost both") {
		t.Fatalf("help: %q", out)
	}
}

// TestUserCLIPromoteDemote: "latchkey user promote EMAIL" makes the first
// administrator and "demote EMAIL" undoes it; an unknown address is an
// error naming it.
func TestUserCLIPromoteDemote(t *testing.T) {
	path := cliEnv(t)
	ctx := context.Background()
	mustRunCLI(t, "user", "create", "--email", "ada@example.com", "--name", "Ada")
	acc := openAccounts(t, path)

	out := mustRunCLI(t, "user", "promote", "ADA@example.com")
	if !strings.Contains(out, "promoted user 1 <ada@example.com>: role admin") {
		t.Fatalf("promote said:\n%s", out)
	}
	if u, err := acc.FindUser(ctx, "ada@example.com"); err != nil || !u.IsAdmin() {
		t.Fatalf("after promote: %+v, %v", u, err)
	}
	out = mustRunCLI(t, "user", "demote", "ada@example.com")
	if !strings.Contains(out, "role user") {
		t.Fatalf("demote said:\n%s", out)
	}
	if u, err := acc.FindUser(ctx, "ada@example.com"); err != nil || u.IsAdmin() || u.Role != db.RoleUser {
		t.Fatalf("after demote: %+v, %v", u, err)
	}
	if _, err := runCLI(t, "user", "promote", "nobody@example.com"); err == nil || !strings.Contains(err.Error(), "nobody@example.com") {
		t.Fatalf("promote of an unknown address: %v", err)
	}
	if _, err := runCLI(t, "user", "promote"); err == nil || !strings.Contains(err.Error(), "usage") {
		t.Fatalf("promote without an address: %v", err)
	}
	for _, sub := range []string{"promote", "demote"} {
		if out := mustRunCLI(t, "user", sub, "--help"); !strings.HasPrefix(out, "Usage: latchkey user "+sub+" EMAIL") {
			t.Fatalf("%s --help:\n%s", sub, out)
		}
	}
}

// TestUserCLIWritesActivity: each of the operator's commands that changes
// an account leaves exactly one line of the right kind on its log, with
// the operator as actor (actor_id NULL, the "(command line)" marker), read
// as "the operator (command line)"; a deletion leaves none, its log going
// with the account.
func TestUserCLIWritesActivity(t *testing.T) {
	ctx := context.Background()
	acc, user := adaWithSecondFactor(t)
	count := func(where string, args ...any) int {
		t.Helper()
		var n int
		if err := acc.DB.Read.QueryRow(`SELECT count(*) FROM activity WHERE user_id = ? AND `+where, append([]any{user.ID}, args...)...).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	operator := `actor_id IS NULL AND actor_email = '(command line)'`
	for _, c := range []struct {
		args   []string
		kind   string
		detail string
		words  string
	}{
		{[]string{"promote"}, "role_changed", "admin", "Changed the role to admin"},
		{[]string{"demote"}, "role_changed", "user", "Changed the role to user"},
		{[]string{"disable"}, "account_disabled", "", "Disabled the account"},
		{[]string{"enable"}, "account_enabled", "", "Enabled the account"},
		{[]string{"reset-2fa"}, "second_factor_reset", "", "Reset the second factor"},
	} {
		before := count(operator)
		mustRunCLI(t, "user", c.args[0], "ada@example.com")
		if n := count(operator); n != before+1 {
			t.Fatalf("%s wrote %d operator lines, want 1", c.args[0], n-before)
		}
		if n := count(operator+` AND kind = ? AND detail = ?`, c.kind, c.detail); n != 1 {
			t.Fatalf("%s: %d %s lines with detail %q by the operator", c.args[0], n, c.kind, c.detail)
		}
		lines, _, err := acc.UserActivity(ctx, user.ID, 1)
		if err != nil || len(lines) == 0 {
			t.Fatalf("%s: %v", c.args[0], err)
		}
		if got, want := lines[0].Words(), c.words+" — by the operator (command line)"; got != want {
			t.Fatalf("%s reads %q, want %q", c.args[0], got, want)
		}
	}
	// A role the account has already changes nothing, and writes nothing.
	before := count(operator)
	mustRunCLI(t, "user", "demote", "ada@example.com")
	if n := count(operator); n != before {
		t.Fatalf("demoting an ordinary account wrote %d lines", n-before)
	}
	// The CLI's notices are the admin area's.
	for _, subject := range []string{"was disabled", "was enabled", "second factor of your"} {
		mails, err := acc.DB.RecentMail(ctx, 20)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, m := range mails {
			found = found || (m.To == "ada@example.com" && strings.Contains(m.Subject, subject))
		}
		if !found {
			t.Fatalf("no notice %q to the owner", subject)
		}
	}

	var all int
	if err := acc.DB.Read.QueryRow(`SELECT count(*) FROM activity`).Scan(&all); err != nil {
		t.Fatal(err)
	}
	mustRunCLI(t, "user", "delete", "ada@example.com")
	var left int
	if err := acc.DB.Read.QueryRow(`SELECT count(*) FROM activity`).Scan(&left); err != nil || left != 0 {
		t.Fatalf("%d lines left after deleting the only account (of %d), %v", left, all, err)
	}
}
