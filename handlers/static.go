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
	if !conditional(r) {
		hd.Set(echo.HeaderContentLength, strconv.Itoa(len(rep.Body)))
		// The common answer, the whole file, in one write: ServeContent
		// would copy it through a 32 KiB buffer it allocates per request,
		// most of the cost of a static file.
		hd.Set("Accept-Ranges", "bytes")
		c.Response().WriteHeader(http.StatusOK)
		_, err := c.Response().Write(rep.Body)
		return err
	}
	http.ServeContent(c.Response(), r, "", time.Time{}, bytes.NewReader(rep.Body))
	return nil
}

// conditional reports whether r asks for less than the whole file as it
// is: a validator to compare (If-None-Match …) or a part (Range). Those are
// left to http.ServeContent, which knows their rules.
func conditional(r *http.Request) bool {
	for _, k := range [...]string{"If-None-Match", "If-Modified-Since", "If-Match", "If-Unmodified-Since", "Range", "If-Range"} {
		if r.Header.Get(k) != "" {
			return true
		}
	}
	return false
}
