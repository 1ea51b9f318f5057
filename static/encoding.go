package static

import "strings"

// acceptance is what an Accept-Encoding header (RFC 9110, section 12.5.3)
// says of the codings we can send: each one's weight in thousandths, -1
// where the header does not name it.
type acceptance struct{ br, gzip, identity, star int }

// parseAcceptEncoding reads the header's values. An element that does not
// parse (a weight such as q=2 or q=0.0001) is ignored, as if not sent; a
// coding named twice gets the lower of its weights.
func parseAcceptEncoding(values []string) acceptance {
	acc := acceptance{br: -1, gzip: -1, identity: -1, star: -1}
	for _, v := range values {
		for el := range strings.SplitSeq(v, ",") {
			coding, params, _ := strings.Cut(el, ";")
			coding = strings.Trim(coding, " \t")
			var slot *int
			switch {
			case strings.EqualFold(coding, "br"):
				slot = &acc.br
			case strings.EqualFold(coding, "gzip"), strings.EqualFold(coding, "x-gzip"):
				slot = &acc.gzip
			case strings.EqualFold(coding, "identity"):
				slot = &acc.identity
			case coding == "*":
				slot = &acc.star
			default:
				continue
			}
			q, ok := qParam(params)
			if !ok {
				continue
			}
			if *slot == -1 || q < *slot {
				*slot = q
			}
		}
	}
	return acc
}

// qParam is the q parameter of one element's parameters (";q=0.5"), 1000
// when there is none.
func qParam(params string) (int, bool) {
	for p := range strings.SplitSeq(params, ";") {
		name, value, found := strings.Cut(p, "=")
		if !found {
			if strings.Trim(p, " \t") == "" {
				continue
			}
			return 0, false
		}
		if strings.EqualFold(strings.Trim(name, " \t"), "q") {
			return qvalue(strings.Trim(value, " \t"))
		}
	}
	return 1000, true
}

// qvalue parses "0", "0.5", "0.125", "1", "1.000" into thousandths.
func qvalue(s string) (int, bool) {
	if s == "" || len(s) > 5 || s[0] != '0' && s[0] != '1' {
		return 0, false
	}
	whole := int(s[0]-'0') * 1000
	if len(s) == 1 {
		return whole, true
	}
	if s[1] != '.' {
		return 0, false
	}
	frac, scale := 0, 100
	for _, d := range []byte(s[2:]) {
		if d < '0' || d > '9' {
			return 0, false
		}
		frac += int(d-'0') * scale
		scale /= 10
	}
	if whole == 1000 && frac != 0 {
		return 0, false
	}
	return whole + frac, true
}

// weight is how much the client wants coding ("" for identity): its own
// weight, else that of "*". A coding the header does not name is not
// acceptable; identity always is unless refused ("identity;q=0", or
// "*;q=0" without naming identity), as the least preferred.
func (a acceptance) weight(coding string) int {
	w := -1
	switch coding {
	case "br":
		w = a.br
	case "gzip":
		w = a.gzip
	case "":
		w = a.identity
	}
	if w == -1 {
		w = a.star
	}
	if w == -1 && coding == "" {
		return 1
	}
	return max(w, 0)
}
