package handlers

import (
	"net/http"
	"regexp"

	"github.com/labstack/echo/v4"

	"latchkey/internal/timetext"
	"latchkey/views"
)

var linkPattern = regexp.MustCompile(`https?://[^\s"<>]+`)

// mailbox is the development outbox: every message, newest first, with its
// links clickable. It is not routed in production, and only a browser on
// this machine reaches it (loopbackOnly). It reads the outbox from db
// directly: it shows what was queued and touches no account.
func (h *Handlers) mailbox(c echo.Context) error {
	msgs, err := h.db.RecentMail(c.Request().Context(), 50)
	if err != nil {
		return err
	}
	list := make([]views.MailView, 0, len(msgs))
	for _, m := range msgs {
		sent := "queued " + timetext.Stamp(m.CreatedAt)
		if !m.SentAt.IsZero() {
			sent = "sent " + timetext.Stamp(m.SentAt)
		}
		list = append(list, views.MailView{To: m.To, Subject: m.Subject, Text: m.Text, Sent: sent,
			Links: linkPattern.FindAllString(m.Text, -1)})
	}
	p := h.page(c, "Development mailbox")
	p.Wide = true
	return render(c, http.StatusOK, views.Mailbox(p, list))
}
