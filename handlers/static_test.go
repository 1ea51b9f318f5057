package handlers

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/andybalholm/brotli"

	"latchkey/static"
)

// browserAcceptEncoding is what Chrome sends.
const browserAcceptEncoding = "gzip, deflate, br, zstd"

// rawGet fetches path with exactly these headers: no Accept-Encoding unless
// given (Go's client would otherwise ask for gzip on its own and unpack
// the answer), the body as it came over the wire.
func rawGet(t *testing.T, app *testApp, path string, hdr map[string]string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, app.srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, body
}

func decode(t *testing.T, coding string, body []byte) []byte {
	t.Helper()
	var r io.Reader = bytes.NewReader(body)
	switch coding {
	case "br":
		r = brotli.NewReader(r)
	case "gzip":
		zr, err := gzip.NewReader(r)
		if err != nil {
			t.Fatal(err)
		}
		r = zr
	case "":
	default:
		t.Fatalf("unknown coding %q", coding)
	}
	out, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("decode %s: %v", coding, err)
	}
	return out
}

// TestStaticFilesAreSentCompressed: the stylesheet and the script go out
// brotli- or gzip-compressed as the client's Accept-Encoding asks (weights
// and q=0 honoured), each decoding to the exact file, with the right
// Content-Encoding and Content-Length, Vary: Accept-Encoding, the year-long
// cache, and an ETag per encoding that If-None-Match answers with 304. A
// client that asks for nothing gets the file as it is.
func TestStaticFilesAreSentCompressed(t *testing.T) {
	app := newTestApp(t)
	for _, name := range []string{"app.css", "app.js"} {
		path := static.Path(name)
		asset, _ := static.Lookup(strings.TrimPrefix(path, "/static/"))
		etags := map[string]string{}
		for _, tc := range []struct {
			accept string // "-": no header at all
			coding string
		}{
			{"-", ""},
			{"", ""},
			{"identity", ""},
			{"br", "br"},
			{"gzip", "gzip"},
			{browserAcceptEncoding, "br"},
			{"gzip, deflate", "gzip"},
			{"br;q=0", ""},
			{"br;q=0, gzip", "gzip"},
			{"gzip;q=0.4, br;q=0.6", "br"},
			{"gzip;q=0.6, br;q=0.4", "gzip"},
			{"*;q=0", ""},
			{"*", "br"},
		} {
			hdr := map[string]string{}
			if tc.accept != "-" {
				hdr["Accept-Encoding"] = tc.accept
			}
			res, body := rawGet(t, app, path, hdr)
			if res.StatusCode != http.StatusOK {
				t.Fatalf("%s, Accept-Encoding %q: status %d", name, tc.accept, res.StatusCode)
			}
			if got := res.Header.Get("Content-Encoding"); got != tc.coding {
				t.Fatalf("%s, Accept-Encoding %q: Content-Encoding %q, want %q", name, tc.accept, got, tc.coding)
			}
			if got := res.Header.Get("Content-Length"); got != strconv.Itoa(len(body)) {
				t.Fatalf("%s, Accept-Encoding %q: Content-Length %q for %d bytes", name, tc.accept, got, len(body))
			}
			if !bytes.Equal(decode(t, tc.coding, body), asset.Body) {
				t.Fatalf("%s, Accept-Encoding %q: does not decode to the file", name, tc.accept)
			}
			if tc.coding != "" && len(body) >= len(asset.Body) {
				t.Fatalf("%s %s: %d bytes, not smaller than the file's %d", name, tc.coding, len(body), len(asset.Body))
			}
			if got := res.Header.Values("Vary"); !strings.Contains(strings.Join(got, ","), "Accept-Encoding") {
				t.Fatalf("%s, Accept-Encoding %q: Vary %q", name, tc.accept, got)
			}
			if got := res.Header.Get("Cache-Control"); got != "public, max-age=31536000, immutable" {
				t.Fatalf("%s: Cache-Control %q", name, got)
			}
			if ct := res.Header.Get("Content-Type"); ct != asset.ContentType {
				t.Fatalf("%s: Content-Type %q", name, ct)
			}
			if res.Header.Get("X-Content-Type-Options") != "nosniff" || res.Header.Get("Content-Security-Policy") == "" {
				t.Fatalf("%s: the security headers are missing", name)
			}
			tag := res.Header.Get("Etag")
			if prev, seen := etags[tc.coding]; seen && prev != tag || tag == "" {
				t.Fatalf("%s %q: ETag %q, before %q", name, tc.coding, tag, prev)
			}
			etags[tc.coding] = tag
		}
		if len(etags) != 3 || etags[""] == etags["br"] || etags["br"] == etags["gzip"] || etags[""] == etags["gzip"] {
			t.Fatalf("%s: the encodings do not have ETags of their own: %v", name, etags)
		}
		// Revalidation: the ETag of what the client holds, in the same
		// encoding, is a 304 with no body; in another encoding it is not.
		res, body := rawGet(t, app, path, map[string]string{"Accept-Encoding": "br", "If-None-Match": etags["br"]})
		if res.StatusCode != http.StatusNotModified || len(body) != 0 || res.Header.Get("Content-Encoding") != "" {
			t.Fatalf("%s: If-None-Match of the brotli ETag: %d, %d bytes, Content-Encoding %q",
				name, res.StatusCode, len(body), res.Header.Get("Content-Encoding"))
		}
		res, body = rawGet(t, app, path, map[string]string{"Accept-Encoding": "gzip", "If-None-Match": etags["br"]})
		if res.StatusCode != http.StatusOK || res.Header.Get("Content-Encoding") != "gzip" || !bytes.Equal(decode(t, "gzip", body), asset.Body) {
			t.Fatalf("%s: a brotli ETag from a gzip client: %d %q", name, res.StatusCode, res.Header.Get("Content-Encoding"))
		}
	}
}

// TestPagesAreNeverCompressed: no page is compressed, however the browser
// asks. Pages carry the CSRF token and personal data next to text an
// attacker can choose (a form value shown again, a note); compressed
// together, the length of the answer would leak the secret a byte at a
// time (BREACH). Every page everyPage visits asks for br and gzip.
func TestPagesAreNeverCompressed(t *testing.T) {
	_, pages := everyPage(t)
	withToken := 0
	for _, p := range pages {
		if ce := p.res.Header.Get("Content-Encoding"); ce != "" {
			t.Errorf("%s: Content-Encoding %q on a page", p.what, ce)
		}
		if !strings.HasPrefix(strings.ToLower(p.res.body), "<!doctype html>") {
			t.Errorf("%s: the body is not plain HTML", p.what)
		}
		if strings.Contains(p.res.body, `name="_csrf" value="`) {
			withToken++
		}
	}
	if withToken < 10 {
		t.Fatalf("only %d pages carried a CSRF token", withToken)
	}
}

// TestStaticAnswersAskingForLess: the whole file goes out in one write,
// but a request that asks for less still gets what HTTP promises: a Range
// of the uncompressed file is a 206 with exactly those bytes, an
// If-None-Match of its ETag a 304 with no body, and a stale validator the
// whole file. Every 200 says it accepts ranges, as ServeContent's did.
func TestStaticAnswersAskingForLess(t *testing.T) {
	app := newTestApp(t)
	path := static.Path("app.css")
	asset, _ := static.Lookup(strings.TrimPrefix(path, "/static/"))
	whole := asset.For(nil).Body

	res, body := rawGet(t, app, path, nil)
	if res.StatusCode != http.StatusOK || !bytes.Equal(body, whole) || res.Header.Get("Accept-Ranges") != "bytes" {
		t.Fatalf("whole file: %d, %d bytes (want %d), Accept-Ranges %q", res.StatusCode, len(body), len(whole), res.Header.Get("Accept-Ranges"))
	}
	etag := res.Header.Get("Etag")

	res, body = rawGet(t, app, path, map[string]string{"Range": "bytes=10-19"})
	if res.StatusCode != http.StatusPartialContent || !bytes.Equal(body, whole[10:20]) || res.Header.Get("Content-Length") != "10" {
		t.Fatalf("Range 10-19: %d, %q, Content-Length %q", res.StatusCode, body, res.Header.Get("Content-Length"))
	}
	res, body = rawGet(t, app, path, map[string]string{"If-None-Match": etag})
	if res.StatusCode != http.StatusNotModified || len(body) != 0 {
		t.Fatalf("If-None-Match of its ETag: %d, %d bytes", res.StatusCode, len(body))
	}
	res, body = rawGet(t, app, path, map[string]string{"If-None-Match": `"stale"`})
	if res.StatusCode != http.StatusOK || !bytes.Equal(body, whole) {
		t.Fatalf("stale If-None-Match: %d, %d bytes", res.StatusCode, len(body))
	}
}
