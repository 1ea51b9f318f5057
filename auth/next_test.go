package auth

import (
	"net/url"
	"strings"
	"testing"
)

func TestSafeNext(t *testing.T) {
	const fb = "/dashboard"
	for _, tc := range []struct{ in, want string }{
		// Local paths pass through unchanged.
		{"/", "/"},
		{"/dashboard", "/dashboard"},
		{"/dashboard?tab=1&x=%2F", "/dashboard?tab=1&x=%2F"},
		{"/settings#sessions", "/settings#sessions"},
		{"/a/b/../c", "/a/b/../c"},
		{"/@evil.com", "/@evil.com"},
		{"/caf%C3%A9", "/caf%C3%A9"},
		{"/déjà", "/déjà"},
		{"/?next=//evil.com", "/?next=//evil.com"},
		// Everything else falls back.
		{"", fb},
		{"dashboard", fb},
		{"evil.com", fb},
		{"//evil.com", fb},
		{"///evil.com", fb},
		{"/\\evil.com", fb},
		{"\\\\evil.com", fb},
		{"\\/evil.com", fb},
		{"/a\\b", fb},
		{"https://evil.com", fb},
		{"http:evil.com", fb},
		{"https:/evil.com", fb},
		{"javascript:alert(1)", fb},
		{"data:text/html,x", fb},
		{"\t//evil.com", fb},
		{"/\t/evil.com", fb},
		{"/\n/evil.com", fb},
		{"/\r/evil.com", fb},
		{"/\x00", fb},
		{"/\x7f", fb},
		{" /dashboard", fb},
		{"/%2F%2Fevil.com", fb},
		{"/%2F%2Fevil.com?", fb},
		{"/%2f/evil.com", fb},
		{"/%5Cevil.com", fb},
		{"/%5c%5cevil.com", fb},
		{"/%zz", fb},
		{"/" + strings.Repeat("a", 2048), fb},
	} {
		if got := SafeNext(tc.in, fb); got != tc.want {
			t.Errorf("SafeNext(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if got := SafeNext("//evil.com", ""); got != "" {
		t.Errorf("with an empty fallback: %q", got)
	}
}

// nextIsLocal is the property SafeNext promises: the result, read the way a
// browser reads a Location (tabs and newlines dropped, backslashes as
// slashes), is a path on this site.
func nextIsLocal(next string) (bool, string) {
	if !strings.HasPrefix(next, "/") {
		return false, "not a path"
	}
	browser := strings.NewReplacer("\t", "", "\n", "", "\r", "", `\`, "/").Replace(next)
	for _, s := range []string{next, browser} {
		if strings.HasPrefix(s, "//") {
			return false, "starts with // (after browser clean-up)"
		}
	}
	base, _ := url.Parse("https://latchkey.test/login")
	u, err := base.Parse(next)
	if err != nil {
		return false, "does not parse"
	}
	if u.Host != "latchkey.test" || u.Scheme != "https" || u.User != nil {
		return false, "resolves to " + u.Scheme + "://" + u.Host
	}
	if p, err := url.PathUnescape(strings.SplitN(next, "?", 2)[0]); err == nil &&
		(strings.HasPrefix(p, "//") || strings.HasPrefix(p, `/\`)) {
		return false, "decodes to a protocol-relative path"
	}
	for _, r := range next {
		if r < 0x20 || r == 0x7f {
			return false, "control character"
		}
	}
	return true, ""
}

func FuzzSafeNext(f *testing.F) {
	for _, s := range []string{"/", "/dashboard?x=1", "//evil.com", "/\\evil.com", "https://evil.com",
		"/%2F%2Fevil.com", "\t//evil", "javascript:alert(1)", "/%5C", "/a/../..//evil", "/\u3002evil", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, next string) {
		got := SafeNext(next, "")
		if got == "" {
			return
		}
		if got != next {
			t.Fatalf("SafeNext(%q) = %q: it must return its input or the fallback, never a repair", next, got)
		}
		if ok, why := nextIsLocal(got); !ok {
			t.Fatalf("SafeNext(%q) let it through: %s", next, why)
		}
	})
}
