// Command latchkey serves the Latchkey web app and runs its operator
// commands.
//
//	latchkey [serve]            serve the app (the default)
//	latchkey migrate            apply database migrations and exit
//	latchkey user list|create|disable|enable|delete|reset-2fa …
//	latchkey backup PATH        write a consistent copy of the database
//	latchkey migrate-to-postgres SQLITE_PATH
//	                            copy a SQLite database into PostgreSQL
//
// Every command reads the settings of .env.example from the environment and
// an optional .env file.
//
// This package is the only place that reads settings and wires the other
// packages together (config.go, main.go, cli.go); it may import every
// package of the module. Keep logic out of it: what a command does belongs
// in accounts or db, so tests can call it without a process.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"golang.org/x/sync/errgroup"

	"latchkey/accounts"
	"latchkey/auth"
	"latchkey/db"
	"latchkey/handlers"
	"latchkey/mail"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "latchkey:", err)
		os.Exit(1)
	}
}

const usage = `Usage: latchkey [command]

Commands:
  serve                 serve the app (default)
  migrate               apply database migrations and exit
  user list             list accounts
  user create --email EMAIL --name NAME
                        create an account (prints a sign-in link in development)
  user disable EMAIL    disable an account: it cannot sign in, its sessions end
  user enable EMAIL     enable a disabled account
  user delete EMAIL     delete an account with its sessions and tokens
  user reset-2fa EMAIL  turn off two-step verification (lost app and codes)
  backup PATH           write a consistent copy of the live database to PATH
                        (SQLite; on PostgreSQL use pg_dump)
  migrate-to-postgres SQLITE_PATH
                        copy a SQLite database into the empty PostgreSQL
                        one at DATABASE_URL

"latchkey user --help" and "latchkey user COMMAND --help" say more.

Settings come from the environment and .env; see .env.example.
`

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	case "serve", "migrate", "user", "backup", "migrate-to-postgres":
	default:
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("unknown command %q", cmd)
	}
	if cmd == "user" {
		if text, ok := userHelp(args); ok {
			fmt.Fprint(stdout, text)
			return nil
		}
	}
	cfg, err := loadConfig()
	if err != nil {
		return err
	}
	log := newLogger(stderr, cfg.LogLevel)
	if cmd == "serve" {
		buf := newLogBuffer(stderr)
		defer buf.Close()
		log = slog.New(logHandler{newLogger(buf, cfg.LogLevel).Handler(), buf})
	}
	slog.SetDefault(log)
	d, err := db.Connect(ctx, cfg.DatabaseURL, cfg.DatabasePath)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Migrate(ctx); err != nil {
		return err
	}
	switch cmd {
	case "migrate":
		fmt.Fprintln(stdout, "migrations applied to", d.Where())
		return nil
	case "backup":
		if len(args) != 1 {
			return errors.New("usage: latchkey backup PATH")
		}
		if err := d.Backup(ctx, args[0]); err != nil {
			return err
		}
		fmt.Fprintln(stdout, "backup written to", args[0])
		return nil
	case "migrate-to-postgres":
		return migrateToPostgres(ctx, d, args, stdout)
	}
	var worker *mail.Worker
	if cmd == "serve" {
		if worker, err = newMailWorker(cfg, d, log); err != nil {
			return err
		}
	}
	secretKey, err := cfg.SecretKeyOrDev(log)
	if err != nil {
		return err
	}
	acc, err := newAccounts(cfg, d, log, worker, secretKey)
	if err != nil {
		return err
	}
	if cmd == "user" {
		return userCommand(ctx, cfg, acc, args, stdout)
	}
	return serve(ctx, cfg, d, acc, worker, log)
}

func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		l = slog.LevelInfo
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l}))
}

// newAccounts builds the domain service from the settings. worker, when
// not nil, is woken whenever a request queues mail.
func newAccounts(cfg Config, d *db.DB, log *slog.Logger, worker *mail.Worker, secretKey []byte) (*accounts.Service, error) {
	hasher, err := auth.NewHasher(auth.Params, cfg.HashConcurrency)
	if err != nil {
		return nil, err
	}
	var wake func()
	if worker != nil {
		wake = worker.Wake
	}
	return accounts.New(accounts.Config{
		DB: d, Hasher: hasher, Policy: auth.Policy{MinScore: cfg.PasswordMinScore},
		TTL:     auth.TokenTTLs{Login: cfg.TokenTTLLogin, VerifyEmail: cfg.TokenTTLVerifyEmail, ResetPassword: cfg.TokenTTLResetPassword},
		BaseURL: cfg.BaseURL, AppName: cfg.AppName, MailLimit: cfg.MailLimitPerAddress, MailWindow: cfg.MailLimitWindow,
		SessionLifetime: cfg.SessionLifetime, SessionIdleTimeout: cfg.SessionIdleTimeout, UnconfirmedTTL: cfg.UnverifiedAccountTTL,
		ActivityRetention: cfg.ActivityRetention,
		Log:               log, Now: time.Now, MailQueued: wake,
		Providers: cfg.IdentityProviders(), ProviderClient: accounts.NewProviderClient(),
		SecretKey: secretKey,
	})
}

// newMailWorker is the background sender: SMTP when SMTP_URL is set, else
// the log (and, in development, /dev/mailbox).
func newMailWorker(cfg Config, d *db.DB, log *slog.Logger) (*mail.Worker, error) {
	var mailer mail.Mailer = mail.LogOnly{Log: log}
	if cfg.SMTPURL != "" {
		smtp, err := mail.NewSMTP(cfg.SMTPURL, cfg.MailFrom)
		if err != nil {
			return nil, err
		}
		mailer = smtp
	}
	return mail.NewWorker(d, mailer, log, !cfg.Production()), nil
}

// serve runs the web server, the mail sender and the cleanup until SIGINT
// or SIGTERM, then lets requests in flight finish and waits for the sender
// and the cleanup to stop: the database closes only after all three (run
// closes it when serve returns), so a delivery under way is finished and
// recorded rather than sent again after the restart.
func serve(ctx context.Context, cfg Config, d *db.DB, acc *accounts.Service, worker *mail.Worker, log *slog.Logger) error {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	setMemoryLimit(cfg.HashConcurrency, log)

	passwordBurst, passwordInterval := cfg.PasswordLimit()
	sessions := handlers.NewSessions(d.SessionStore(ctx), cfg.Secure())
	h := handlers.New(handlers.Config{
		Dev: !cfg.Production(), Secure: cfg.Secure(), HSTS: cfg.Production(), BaseURL: cfg.BaseURL, AppName: cfg.AppName, TrustedProxies: cfg.TrustedProxies,
		RateBurst: cfg.RateLimitBurst, RateInterval: cfg.RateLimitInterval,
		PasswordBurst: passwordBurst, PasswordInterval: passwordInterval,
		SudoWindow: cfg.SudoWindow, SessionLifetime: cfg.SessionLifetime, SessionIdleTimeout: cfg.SessionIdleTimeout,
	}, d, acc, sessions, log, nil)
	e, err := h.Server()
	if err != nil {
		return err
	}

	// g's context ends at the signal or when the server fails to start,
	// and either way every goroutine below returns.
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		worker.Run(ctx)
		return nil
	})
	g.Go(func() error {
		cleanup(ctx, acc, log)
		return nil
	})
	g.Go(func() error {
		log.Info("listening", "addr", "http://"+cfg.ListenAddr, "base_url", cfg.BaseURL, "env", cfg.AppEnv, "database", d.Where())
		if err := e.Start(cfg.ListenAddr); !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("serve: %w", err)
		}
		return nil
	})
	g.Go(func() error {
		<-ctx.Done()
		log.Info("shutting down")
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		if err := e.Shutdown(shutdownCtx); err != nil {
			return fmt.Errorf("shut down: %w", err)
		}
		return nil
	})
	err = g.Wait()
	// From here run closes the database and flushes the log. A second
	// signal (an orchestrator that repeats its SIGTERM, a second Ctrl-C)
	// must not kill the process half-way through that, which is what the
	// default handling that stop restores would do.
	signal.Ignore(os.Interrupt, syscall.SIGTERM)
	return err
}

// cleanup runs accounts' cleanup every few minutes until ctx ends.
func cleanup(ctx context.Context, acc *accounts.Service, log *slog.Logger) {
	t := time.NewTicker(5 * time.Minute)
	defer t.Stop()
	for {
		if err := acc.Cleanup(ctx); err != nil && ctx.Err() == nil {
			log.Warn("clean up", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
