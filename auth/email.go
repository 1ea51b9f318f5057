package auth

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/idna"
	"golang.org/x/text/cases"
	"golang.org/x/text/language"
	"golang.org/x/text/secure/precis"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// Errors of EmailKey. ErrInvalidEmail means an address has no canonical
// key, so it cannot name an account: it is not local@domain, or its local
// part holds code points PRECIS refuses (control characters, unassigned
// code points), or IDNA refuses its domain: ErrEmailDomain, which wraps
// ErrInvalidEmail (an invalid label such as "xn--a" or "-bad-", a
// disallowed code point, an empty or over-long label).
var (
	ErrInvalidEmail = errors.New("not a usable email address")
	ErrEmailDomain  = fmt.Errorf("%w: its domain is not a valid domain name", ErrInvalidEmail)
)

// emailDomains is UTS #46 processing for looking a domain up (RFC 5891 §5):
// it maps what people type to what DNS holds (fullwidth letters to ASCII,
// upper case to lower, U+3002 to a dot), refuses invalid labels (hyphens,
// joiners, punycode that decodes to a disallowed label, the Bidi rule,
// STD3's letters-digits-hyphen rule for ASCII) and, with VerifyDNSLength,
// empty and over-long labels. Nontransitional: "ß" stays "ß", as browsers
// and registries now treat it, rather than becoming "ss".
var emailDomains = idna.New(idna.MapForLookup(), idna.BidiRule(), idna.VerifyDNSLength(true), idna.Transitional(false))

// emailLocalParts compares local parts: PRECIS's freeform class (RFC 8264),
// which allows whatever a person can type (letters of any script, digits,
// symbols, spaces inside quotes) and refuses control and unassigned code
// points, with Unicode case folding and then NFC, so that "Ä", "ä" and
// "a"+U+0308 are one local part.
//
// Lower-casing before the fold is there for Cherokee: x/text's fold maps
// its capitals to the small letters and the small letters to the capitals
// (v0.43.0), so "Ꮟ" and "ꮟ" swapped keys and a key was not its own key
// (FuzzEmailKey found it). Lower-cased first, both reach the one fold
// Unicode's CaseFolding.txt gives, the capital; for every other script
// lower-then-fold is the fold.
var emailLocalParts = precis.NewFreeform(
	precis.AdditionalMapping(func() transform.Transformer { return cases.Lower(language.Und) }),
	precis.FoldCase(), precis.Norm(norm.NFC), precis.DisallowEmpty)

// NormalizeEmail is the form an address is stored, shown and mailed in: as
// typed, trimmed. A domain with characters outside ASCII is written in the
// form UTS #46 maps it to, because only that form is one DNS can resolve:
// "a@ｅｘａｍｐｌｅ.com" is kept as "a@example.com" (no mail server
// resolves a fullwidth name), "a@BÜCHER.de" as "a@bücher.de". An ASCII
// domain already is what DNS holds, whatever its case, so "Ada@New.example"
// stays as its owner wrote it. An address EmailKey refuses is only trimmed:
// it never reaches an account, as the forms and the database refuse it.
//
// Two spellings of one address can still be stored differently ("Ä@x" and
// "ä@x"): what makes them one account is EmailKey, not this.
func NormalizeEmail(addr string) string {
	addr = strings.TrimSpace(addr)
	local, domain, ok := splitEmail(addr)
	if !ok || isASCII(domain) {
		return addr
	}
	u, err := emailDomains.ToUnicode(domain)
	if err != nil {
		return addr
	}
	return local + "@" + u
}

func isASCII(s string) bool {
	for i := range len(s) {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// EmailKey is the canonical key of an address, the one thing that says
// whether two addresses are one account (docs/ARCHITECTURE.md, "Email
// addresses"): the local part case-folded (PRECIS freeform with Unicode
// case folding, then NFC), "@", and the domain as UTS #46 writes it for DNS
// (lower-case ASCII, with punycode A-labels for other scripts). So
// "Ä@example.com", "ä@EXAMPLE.com" and "ä@ｅｘａｍｐｌｅ.com" have one key. It
// is what the database holds unique and what rate and mail limits count.
//
// It fails with ErrInvalidEmail, or ErrEmailDomain for a refused domain
// (wrapped with the reason), when the address has no key. The length limit is the form's to apply: a key may be longer
// than its address ("ß" folds to "ss", a Unicode label grows as punycode),
// and a key must always have a key of its own, itself.
func EmailKey(addr string) (string, error) {
	addr = strings.TrimSpace(addr)
	local, domain, ok := splitEmail(addr)
	if !ok {
		return "", fmt.Errorf("%w: not of the form local@domain", ErrInvalidEmail)
	}
	l, err := emailLocalParts.String(local)
	if err != nil {
		return "", fmt.Errorf("%w: local part: %w", ErrInvalidEmail, err)
	}
	d, err := emailDomains.ToASCII(domain)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrEmailDomain, err)
	}
	// A trailing dot names the DNS root: "example.com." is the same domain,
	// but no address is written that way (RFC 5321 forbids it), so refuse
	// it rather than keep two spellings of one key.
	if d == "" || strings.HasSuffix(d, ".") {
		return "", fmt.Errorf("%w: empty, or ends with a dot", ErrEmailDomain)
	}
	return l + "@" + d, nil
}

// SameEmail reports whether a and b are one address (equal keys). An
// address without a key is only ever the same as itself, case aside.
func SameEmail(a, b string) bool {
	ka, errA := EmailKey(a)
	kb, errB := EmailKey(b)
	if errA != nil || errB != nil {
		return strings.EqualFold(strings.TrimSpace(a), strings.TrimSpace(b))
	}
	return ka == kb
}

// splitEmail splits at the last "@": a quoted local part may hold one, a
// domain never does.
func splitEmail(addr string) (local, domain string, ok bool) {
	if !utf8.ValidString(addr) {
		return "", "", false
	}
	i := strings.LastIndexByte(addr, '@')
	if i <= 0 || i == len(addr)-1 {
		return "", "", false
	}
	return addr[:i], addr[i+1:], true
}
