// Package static embeds the CSS, script and icons and names each file by a
// hash of its content, so browsers may cache them for a year: a changed
// file gets a new name.
//
// It imports only the standard library. views asks it for asset paths
// (Path) and handlers serves the files (Lookup).
package static

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"path"
	"strings"
)

//go:embed *.css *.js *.svg
var files embed.FS

// Asset is one embedded file.
type Asset struct {
	Name        string // hashed name, e.g. app.3f2a9c1b.css
	ContentType string
	Body        []byte
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
		sum := sha256.Sum256(body)
		ext := path.Ext(e.Name())
		hashed := strings.TrimSuffix(e.Name(), ext) + "." + hex.EncodeToString(sum[:5]) + ext
		byHashed[hashed] = Asset{Name: hashed, ContentType: contentType(ext), Body: body}
		byName[e.Name()] = hashed
	}
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
