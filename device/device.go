// Package device names the browser and system behind a User-Agent header in
// plain words ("Chrome on macOS"), for the sessions list and security
// notices. It is a short list of rules, not a full parser: the words only
// help a person recognise their own devices, and a wrong guess is harmless.
//
// A maintained parser was measured against these rules and not taken
// (bench_test.go): github.com/medama-io/go-useragent gives the same words
// and is as fast per call, but its tables keep about 166,000 objects (5 MiB)
// on the heap for the life of the process, which makes each garbage
// collection of the app three to four times as expensive; the sign-in
// throughput, whose margin is a few per cent of collector time, cannot
// afford that for the words of a sessions list.
//
// Describe remembers the words of the last few hundred User-Agents it saw
// (see cache): a sessions list names the same few browsers row after row,
// and describing one costs more than the rest of its row.
//
// It imports only the standard library.
package device

import (
	"strings"
	"sync"
)

// Unknown is what an empty or unrecognised User-Agent is called.
const Unknown = "Unknown device"

// rule is one name and the markers that identify it. Order matters: many
// browsers also claim to be the ones they descend from (every Chromium
// browser says "Chrome" and "Safari"), so the most specific come first.
type rule struct {
	name    string
	markers []string
}

var browsers = []rule{
	{"Edge", []string{"edg/", "edge/", "edga/", "edgios/"}},
	{"Opera", []string{"opr/", "opera"}},
	{"Samsung Internet", []string{"samsungbrowser/"}},
	{"Vivaldi", []string{"vivaldi/"}},
	{"Firefox", []string{"firefox/", "fxios/"}},
	{"Chrome", []string{"chrome/", "crios/", "chromium/"}},
	{"Safari", []string{"safari/"}},
	{"curl", []string{"curl/"}},
	{"a Go program", []string{"go-http-client/"}},
}

var systems = []rule{
	{"iPadOS", []string{"ipad"}},
	{"iOS", []string{"iphone", "ipod"}},
	{"Android", []string{"android"}},
	{"ChromeOS", []string{"cros"}},
	{"Windows", []string{"windows"}},
	{"macOS", []string{"macintosh", "mac os x"}},
	{"Linux", []string{"linux", "x11"}},
}

// Describe names the device behind a User-Agent: "Chrome on macOS",
// "Firefox", "Android device", or Unknown.
func Describe(userAgent string) string {
	cache.RLock()
	words, ok := cache.words[userAgent]
	cache.RUnlock()
	if ok {
		return words
	}
	words = describe(userAgent)
	if len(userAgent) <= cacheMaxKey {
		cache.Lock()
		// Full means someone shows more browsers than a person owns (or
		// sends made-up headers): forgetting them all keeps the bound and
		// costs only a re-description each, never a wrong answer.
		if len(cache.words) >= cacheEntries {
			clear(cache.words)
		}
		// A copy, so that the cache never keeps a larger buffer the header
		// or row was cut from.
		cache.words[strings.Clone(userAgent)] = words
		cache.Unlock()
	}
	return words
}

// The cache's bounds: a user's sessions come from a handful of browsers
// and a whole instance's from a few hundred versions of them, so 256
// entries of at most 512 bytes (real User-Agents are 100–300) hold what
// repeats, in at most about 150 KiB and 512 heap objects, small beside
// what each garbage collection already walks (the package doc's reason
// against a parser's tables).
const (
	cacheEntries = 256
	cacheMaxKey  = 512
)

// cache maps a User-Agent to its words.
var cache = struct {
	sync.RWMutex
	words map[string]string
}{words: make(map[string]string, cacheEntries)}

// describe applies the rules, uncached.
func describe(userAgent string) string {
	ua := strings.ToLower(userAgent)
	browser, system := match(ua, browsers), match(ua, systems)
	switch {
	case browser != "" && system != "":
		return browser + " on " + system
	case browser != "":
		return browser
	case system != "":
		return system + " device"
	}
	return Unknown
}

func match(ua string, rules []rule) string {
	for _, r := range rules {
		for _, m := range r.markers {
			if strings.Contains(ua, m) {
				return r.name
			}
		}
	}
	return ""
}
