package static

import (
	"bytes"
	"compress/gzip"
	"io"
	"strings"
	"testing"

	"github.com/andybalholm/brotli"
)

// TestAcceptEncoding: the coding sent for each Accept-Encoding a client
// may send, weights and refusals (q=0) honoured, malformed weights ignored.
func TestAcceptEncoding(t *testing.T) {
	css, _ := Lookup(strings.TrimPrefix(Path("app.css"), "/static/"))
	if !css.Negotiated() {
		t.Fatal("app.css has no compressed form")
	}
	for _, tc := range []struct {
		header []string
		want   string
	}{
		{nil, ""},
		{[]string{""}, ""},
		{[]string{"gzip"}, "gzip"},
		{[]string{"br"}, "br"},
		{[]string{"gzip, br"}, "br"},
		{[]string{"gzip, deflate, br, zstd"}, "br"}, // Chrome
		{[]string{"gzip, deflate"}, "gzip"},         // curl --compressed, old browsers
		{[]string{"x-gzip"}, "gzip"},
		{[]string{"deflate"}, ""},
		{[]string{"identity"}, ""},
		{[]string{"br;q=0"}, ""},
		{[]string{"br;q=0, gzip"}, "gzip"},
		{[]string{"br; q=0 , gzip"}, "gzip"},
		{[]string{"BR;Q=0, GZIP"}, "gzip"},
		{[]string{"br;q=0.000, gzip;q=0.1"}, "gzip"},
		{[]string{"gzip;q=0.5, br;q=0.8"}, "br"},
		{[]string{"gzip;q=1.0, br;q=0.999"}, "gzip"},
		{[]string{"gzip", "br;q=0"}, "gzip"}, // two header lines
		{[]string{"br, br;q=0"}, ""},         // named twice: the lower weight
		{[]string{"*"}, "br"},
		{[]string{"*;q=0"}, ""},
		{[]string{"*;q=0, gzip"}, "gzip"},
		{[]string{"gzip;q=0, *"}, "br"},
		{[]string{"br;q=0, gzip;q=0, *"}, ""},
		{[]string{"identity;q=0, gzip;q=0.1"}, "gzip"},
		{[]string{"identity, gzip;q=0.5"}, ""},
		{[]string{"br;q=0.001"}, "br"},
		// Malformed weights: the element counts as not sent.
		{[]string{"br;q=2"}, ""},
		{[]string{"br;q=1.5"}, ""},
		{[]string{"br;q=0.0001"}, ""},
		{[]string{"br;q=abc"}, ""},
		{[]string{"br;q="}, ""},
		{[]string{"br;q=-1"}, ""},
		{[]string{"br;junk, gzip"}, "gzip"},
		{[]string{",,, ;;; , br"}, "br"},
		{[]string{"brotli, gz, gzipx"}, ""},
	} {
		got := css.For(tc.header)
		if got.Coding != tc.want {
			t.Errorf("Accept-Encoding %q: %q, want %q", tc.header, got.Coding, tc.want)
		}
	}
}

// TestCompressedFilesDecodeToTheFile: each compressed form is the file,
// byte for byte, and smaller; each form has its own ETag.
func TestCompressedFilesDecodeToTheFile(t *testing.T) {
	for _, name := range []string{"app.css", "app.js"} {
		a, _ := Lookup(strings.TrimPrefix(Path(name), "/static/"))
		raw, err := files.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		tags := map[string]bool{a.identity.ETag: true}
		for _, coding := range []string{"br", "gzip"} {
			r := a.For([]string{coding})
			if r.Coding != coding {
				t.Fatalf("%s: no %s form", name, coding)
			}
			var dec io.Reader
			if coding == "br" {
				dec = brotli.NewReader(bytes.NewReader(r.Body))
			} else if dec, err = gzip.NewReader(bytes.NewReader(r.Body)); err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(dec)
			if err != nil {
				t.Fatalf("%s %s: %v", name, coding, err)
			}
			if !bytes.Equal(got, raw) {
				t.Fatalf("%s %s does not decode to the file", name, coding)
			}
			if len(r.Body) >= len(raw) {
				t.Fatalf("%s %s: %d bytes, the file %d", name, coding, len(r.Body), len(raw))
			}
			if tags[r.ETag] {
				t.Fatalf("%s %s: ETag %s is shared with another form", name, coding, r.ETag)
			}
			tags[r.ETag] = true
		}
	}
}

// FuzzAcceptEncoding: any header gives one of the codings we have, and
// never one the header refuses.
func FuzzAcceptEncoding(f *testing.F) {
	for _, s := range []string{"", "gzip, deflate, br, zstd", "br;q=0, gzip", "*;q=0", "identity;q=0", "br;q=0.5;q=1", "\x00,;=q"} {
		f.Add(s, "")
		f.Add(s, "br;q=0")
	}
	a, _ := Lookup(strings.TrimPrefix(Path("app.css"), "/static/"))
	f.Fuzz(func(t *testing.T, line1, line2 string) {
		header := []string{line1, line2}
		r := a.For(header)
		switch r.Coding {
		case "", "br", "gzip":
		default:
			t.Fatalf("%q: coding %q", header, r.Coding)
		}
		if r.Coding != "" && parseAcceptEncoding(header).weight(r.Coding) <= 0 {
			t.Fatalf("%q: sent %s, which the header refuses", header, r.Coding)
		}
		if len(r.Body) == 0 || r.ETag == "" {
			t.Fatalf("%q: an empty representation", header)
		}
	})
}
