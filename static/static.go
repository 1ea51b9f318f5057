// Package static embeds the CSS, script and icons and names each file by a
// hash of its content, so browsers may cache them for a year: a changed
// file gets a new name. Each file is also compressed once, when the
// program starts, with brotli and gzip, and a request gets the smallest
// one its Accept-Encoding allows (Asset.For).
//
// It imports the standard library and the brotli encoder, nothing of
// Latchkey. views asks it for asset paths (Path) and handlers serves the
// files (Lookup).
package static

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"

	"github.com/andybalholm/brotli"
)

//go:embed *.css *.js *.svg
var files embed.FS

// Asset is one embedded file.
type Asset struct {
	Name        string // hashed name, e.g. app.3f2a9c1b.css
	ContentType string
	Body        []byte
	identity    Representation
	// compressed holds the file compressed, in our order of preference
	// (brotli, then gzip), each only when it is smaller than Body.
	compressed []Representation
}

// Representation is one way of sending an asset: its bytes, their content
// coding ("" for none) and a strong ETag of its own, since the bytes of
// each coding differ.
type Representation struct {
	Body   []byte
	Coding string
	ETag   string
}

var (
	byHashed = map[string]Asset{}
	byName   = map[string]string{}
)

func init() {
	entries, err := fs.ReadDir(files, ".")
	if err != nil {
		panic(err)
	}
	for _, e := range entries {
		body, err := files.ReadFile(e.Name())
		if err != nil {
			panic(err)
		}
		a, err := newAsset(e.Name(), body)
		if err != nil {
			panic(err)
		}
		byHashed[a.Name] = a
		byName[e.Name()] = a.Name
	}
}

func newAsset(name string, body []byte) (Asset, error) {
	sum := sha256.Sum256(body)
	ext := path.Ext(name)
	hashed := strings.TrimSuffix(name, ext) + "." + hex.EncodeToString(sum[:5]) + ext
	tag := hex.EncodeToString(sum[:16])
	a := Asset{Name: hashed, ContentType: contentType(ext), Body: body,
		identity: Representation{Body: body, ETag: `"` + tag + `"`}}
	for _, c := range []struct {
		coding string
		writer func(io.Writer) (io.WriteCloser, error)
	}{
		{"br", func(w io.Writer) (io.WriteCloser, error) {
			return brotli.NewWriterLevel(w, brotli.BestCompression), nil
		}},
		{"gzip", func(w io.Writer) (io.WriteCloser, error) { return gzip.NewWriterLevel(w, gzip.BestCompression) }},
	} {
		var buf bytes.Buffer
		w, err := c.writer(&buf)
		if err != nil {
			return Asset{}, fmt.Errorf("static: %s %s: %w", c.coding, name, err)
		}
		if _, err := w.Write(body); err != nil {
			return Asset{}, fmt.Errorf("static: %s %s: %w", c.coding, name, err)
		}
		if err := w.Close(); err != nil {
			return Asset{}, fmt.Errorf("static: %s %s: %w", c.coding, name, err)
		}
		if buf.Len() < len(body) {
			a.compressed = append(a.compressed, Representation{Body: buf.Bytes(), Coding: c.coding, ETag: `"` + tag + "-" + c.coding + `"`})
		}
	}
	return a, nil
}

func contentType(ext string) string {
	switch ext {
	case ".css":
		return "text/css; charset=utf-8"
	case ".js":
		return "text/javascript; charset=utf-8"
	case ".svg":
		return "image/svg+xml"
	}
	return "application/octet-stream"
}

// Path returns the URL path of a file by its plain name ("app.css" →
// "/static/app.3f2a9c1b.css").
func Path(name string) string {
	h, ok := byName[name]
	if !ok {
		panic("static: no file " + name)
	}
	return "/static/" + h
}

// Lookup finds a file by its hashed name.
func Lookup(hashed string) (Asset, bool) {
	a, ok := byHashed[hashed]
	return a, ok
}

// Negotiated reports whether the asset has compressed representations, so
// that its answer depends on Accept-Encoding (and must say Vary).
func (a Asset) Negotiated() bool { return len(a.compressed) > 0 }

// For returns the representation to send to a client whose Accept-Encoding
// header has these values (none: the file as it is).
func (a Asset) For(acceptEncoding []string) Representation {
	if len(acceptEncoding) == 0 || len(a.compressed) == 0 {
		return a.identity
	}
	acc := parseAcceptEncoding(acceptEncoding)
	best, bestWeight := a.identity, 0
	for _, r := range a.compressed {
		if w := acc.weight(r.Coding); w > bestWeight {
			best, bestWeight = r, w
		}
	}
	if acc.weight("") > bestWeight {
		best = a.identity
	}
	return best
}
