package mail

import (
	"context"
	"log/slog"
	"time"

	"latchkey/db"
)

// Worker delivers the outbox. Messages survive restarts because they live in
// the database until marked sent; a failure is retried with backoff.
type Worker struct {
	DB     *db.DB
	Mailer Mailer
	Log    *slog.Logger
	Now    func() time.Time
	// Poll is how often to look for due mail when nobody calls Wake.
	Poll time.Duration
	// KeepBodies keeps delivered bodies (development: for /dev/mailbox).
	KeepBodies bool

	wake chan struct{}
}

// NewWorker returns a worker ready to Run.
func NewWorker(d *db.DB, m Mailer, log *slog.Logger, keepBodies bool) *Worker {
	return &Worker{DB: d, Mailer: m, Log: log, Now: time.Now, Poll: 5 * time.Second, KeepBodies: keepBodies, wake: make(chan struct{}, 1)}
}

// Wake asks the worker to look at the outbox now (after a request queued mail).
func (w *Worker) Wake() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Run delivers due mail until ctx ends.
func (w *Worker) Run(ctx context.Context) {
	t := time.NewTicker(w.Poll)
	defer t.Stop()
	for {
		w.DeliverDue(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-w.wake:
		}
	}
}

// backoff is the wait after the n-th failed attempt: 5s, 10s, 20s … capped
// at 10 minutes, so a minute-long SMTP outage costs a few retries and no mail.
func backoff(attempts int) time.Duration {
	d := 5 * time.Second
	for i := 1; i < attempts && d < 10*time.Minute; i++ {
		d *= 2
	}
	return min(d, 10*time.Minute)
}

// A sender claims claimBatch messages at a time for claimLease (see
// db.ClaimMail): the lease outlasts sending the whole batch (each send is
// cut off at sendTimeout, each record at recordTimeout), so no other
// instance takes a message this one is still sending, and a message whose
// sender died is sent by another once the lease has run out.
const (
	claimBatch  = 4
	sendTimeout = 30 * time.Second
	claimLease  = claimBatch*(sendTimeout+recordTimeout) + time.Minute
)

// recordTimeout bounds writing down the outcome of a delivery once ctx has
// ended: long enough for a busy writer, short enough not to hold up a
// shutdown.
const recordTimeout = 5 * time.Second

// DeliverDue sends every message that is due now and returns how many were sent.
//
// Once ctx ends no new delivery starts, but the one under way is finished
// and its outcome recorded, with contexts that ctx's end does not cancel: a
// message the SMTP server has taken but that is not marked sent would go out
// again after a restart.
func (w *Worker) DeliverDue(ctx context.Context) int {
	sent := 0
	finish := context.WithoutCancel(ctx)
	for ctx.Err() == nil {
		due, err := w.DB.ClaimMail(ctx, w.Now(), claimLease, claimBatch)
		if err != nil {
			w.Log.ErrorContext(ctx, "read outbox", "err", err)
			return sent
		}
		if len(due) == 0 {
			return sent
		}
		for _, m := range due {
			if ctx.Err() != nil {
				return sent
			}
			sendCtx, cancel := context.WithTimeout(finish, sendTimeout)
			err := w.Mailer.Send(sendCtx, Message{To: m.To, Subject: m.Subject, Text: m.Text, HTML: m.HTML})
			cancel()
			recordCtx, cancel := context.WithTimeout(finish, recordTimeout)
			if err != nil {
				next := w.Now().Add(backoff(m.Attempts + 1))
				w.Log.WarnContext(ctx, "mail not delivered; will retry", "id", m.ID, "to", m.To, "attempt", m.Attempts+1, "retry_at", next, "err", err)
				if err := w.DB.MarkMailFailed(recordCtx, m.ID, err.Error(), next); err != nil {
					w.Log.ErrorContext(ctx, "record failed mail", "err", err)
				}
				cancel()
				continue
			}
			err = w.DB.MarkMailSent(recordCtx, m.ID, w.Now(), !w.KeepBodies)
			cancel()
			if err != nil {
				w.Log.ErrorContext(ctx, "record sent mail", "err", err)
				return sent
			}
			sent++
		}
		if len(due) < claimBatch {
			return sent
		}
	}
	return sent
}
