package handlers

import (
	"bytes"
	"context"
	"net/http"
	"regexp"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"latchkey/static"
	"latchkey/views"
)

// healthz answers 200 when the database answers, 503 when not.
func (h *Handlers) healthz(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
	defer cancel()
	if err := h.db.Ping(ctx); err != nil {
		h.log.ErrorContext(ctx, "health check failed", "err", err)
		return c.String(http.StatusServiceUnavailable, "database unavailable\n")
	}
	return c.String(http.StatusOK, "ok\n")
}

// serveStatic serves embedded files by their content-hashed names, cached
// for a year: a changed file has a new name. A client that accepts brotli
// or gzip gets the file compressed (once, at start: see package static),
// with its own ETag; http.ServeContent answers If-None-Match and Range.
// Only these files are ever compressed: pages carry CSRF tokens and
// personal data, and compressing them next to text an attacker can put in
// the page would leak those secrets through the size (BREACH).
func serveStatic(c echo.Context) error {
	a, ok := static.Lookup(c.Param("file"))
	if !ok {
		return echo.ErrNotFound
	}
	r := c.Request()
	rep := a.For(r.Header.Values("Accept-Encoding"))
	hd := c.Response().Header()
	hd.Set("Cache-Control", "public, max-age=31536000, immutable")
	hd.Set(echo.HeaderContentType, a.ContentType)
	if a.Negotiated() {
		hd.Add("Vary", "Accept-Encoding")
	}
	hd.Set("Etag", rep.ETag)
	if rep.Coding != "" {
		hd.Set("Content-Encoding", rep.Coding)
		// ServeContent leaves the length out when Content-Encoding is set
		// (for writers that compress on the fly); ours is known.
		hd.Set(echo.HeaderContentLength, strconv.Itoa(len(rep.Body)))
	}
	http.ServeContent(c.Response(), r, "", time.Time{}, bytes.NewReader(rep.Body))
	return nil
}

var linkPattern = regexp.MustCompile(`https?://[^\s"<>]+`)

// mailbox is the development outbox: every message, newest first, with its
// links clickable. It is not routed in production.
func (h *Handlers) mailbox(c echo.Context) error {
	msgs, err := h.db.RecentMail(c.Request().Context(), 50)
	if err != nil {
		return err
	}
	list := make([]views.MailView, 0, len(msgs))
	for _, m := range msgs {
		sent := "queued " + m.CreatedAt.UTC().Format("2 Jan 15:04:05 MST")
		if !m.SentAt.IsZero() {
			sent = "sent " + m.SentAt.UTC().Format("2 Jan 15:04:05 MST")
		}
		list = append(list, views.MailView{To: m.To, Subject: m.Subject, Text: m.Text, Sent: sent,
			Links: linkPattern.FindAllString(m.Text, -1)})
	}
	p := h.page(c, "Development mailbox")
	p.Wide = true
	return render(c, http.StatusOK, views.Mailbox(p, list))
}
