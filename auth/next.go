package auth

import (
	"net/url"
	"strings"
)

// SafeNext returns next when it is a path on this site, or fallback.
//
// Browsers treat "//evil.example", "/\evil.example" and paths with tabs or
// newlines in them as links to other hosts, so anything but a plain local
// path is refused rather than repaired.
func SafeNext(next, fallback string) string {
	if next == "" || len(next) > 2048 || next[0] != '/' {
		return fallback
	}
	if len(next) > 1 && (next[1] == '/' || next[1] == '\\') {
		return fallback
	}
	for _, r := range next {
		if r < 0x20 || r == 0x7f || r == '\\' {
			return fallback
		}
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return fallback
	}
	// A path that decodes to "//host" is also treated as a host by some
	// browsers and proxies.
	if p := u.Path; strings.HasPrefix(p, "//") || strings.HasPrefix(p, "/\\") {
		return fallback
	}
	return next
}
