package handlers

import (
	"bytes"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"latchkey/static"
)

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
