package device

import (
	"fmt"
	"strings"
	"sync"
	"testing"
)

// describeCases are real User-Agents and the words each gets.
var describeCases = []struct{ ua, want string }{
	{"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36", "Chrome on macOS"},
	{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.51", "Edge on Windows"},
	{"Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0", "Firefox on Linux"},
	{"Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1", "Safari on iOS"},
	{"Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/124.0 Mobile/15E148 Safari/604.1", "Chrome on iPadOS"},
	{"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36", "Chrome on Android"},
	{"Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/24.0 Chrome/117.0.0.0 Mobile Safari/537.36", "Samsung Internet on Android"},
	{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 OPR/109.0.0.0", "Opera on Windows"},
	{"Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36", "Chrome on ChromeOS"},
	{"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15", "Safari on macOS"},
	{"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/124.0.0.0 Safari/537.36", "Chrome on Linux"},
	{"curl/8.5.0", "curl"},
	{"Go-http-client/1.1", "a Go program"},
	{"Mozilla/5.0 (Linux; Android 14)", "Android device"},
	{"", Unknown},
	{"something else entirely", Unknown},
	{"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0", "Firefox on Windows"},
	{"Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1", "Safari on iPadOS"},
	{"Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) FxiOS/125.0 Mobile/15E148 Safari/605.1.15", "Firefox on iOS"},
	{"Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36 EdgA/124.0", "Edge on Android"},
	{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Vivaldi/6.7", "Vivaldi on Windows"},
	{"CURL/7.0", "curl"},
	{"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", Unknown},
}

func TestDescribe(t *testing.T) {
	for _, c := range describeCases {
		if got := Describe(c.ua); got != c.want {
			t.Errorf("Describe(%q) = %q, want %q", c.ua, got, c.want)
		}
	}
}

func FuzzDescribe(f *testing.F) {
	f.Add("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) Chrome/124.0.0.0 Safari/537.36")
	f.Fuzz(func(t *testing.T, ua string) {
		if Describe(ua) == "" {
			t.Fatalf("Describe(%q) is empty", ua)
		}
		// Remembered or not, the words are the rules' words.
		if got, want := Describe(ua), describe(ua); got != want {
			t.Fatalf("Describe(%q) = %q, the rules say %q", ua, got, want)
		}
	})
}

// TestDescribeRemembersTheSameWords: a User-Agent seen before gets the
// words the rules give it, the second time as the first.
func TestDescribeRemembersTheSameWords(t *testing.T) {
	for range 2 {
		for _, c := range describeCases {
			if got := Describe(c.ua); got != c.want {
				t.Errorf("Describe(%q) = %q, want %q", c.ua, got, c.want)
			}
		}
	}
	cache.RLock()
	defer cache.RUnlock()
	if got := cache.words[describeCases[0].ua]; got != describeCases[0].want {
		t.Errorf("the cache holds %q for %q, want %q", got, describeCases[0].ua, describeCases[0].want)
	}
}

// TestDescribeCacheStaysBounded is the attack on the cache: a client that
// sends a new User-Agent with every request, and one that sends a huge
// one. Neither grows the cache past its bounds, and both still get words.
func TestDescribeCacheStaysBounded(t *testing.T) {
	for i := range 10 * cacheEntries {
		ua := fmt.Sprintf("Mozilla/5.0 (X11; Linux x86_64; rv:%d.0) Gecko/20100101 Firefox/%d.0", i, i)
		if got := Describe(ua); got != "Firefox on Linux" {
			t.Fatalf("Describe(%q) = %q", ua, got)
		}
		cache.RLock()
		n := len(cache.words)
		cache.RUnlock()
		if n > cacheEntries {
			t.Fatalf("after %d User-Agents the cache holds %d, more than %d", i+1, n, cacheEntries)
		}
	}
	huge := "Mozilla/5.0 (Windows NT 10.0) Chrome/124.0 " + strings.Repeat("x", cacheMaxKey)
	if got := Describe(huge); got != "Chrome on Windows" {
		t.Errorf("Describe(huge) = %q", got)
	}
	cache.RLock()
	defer cache.RUnlock()
	if _, ok := cache.words[huge]; ok {
		t.Errorf("a User-Agent of %d bytes was kept", len(huge))
	}
}

// TestDescribeConcurrently is for -race: the sessions pages of many users
// describe at once.
func TestDescribeConcurrently(t *testing.T) {
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 2 * cacheEntries {
				c := describeCases[(g+i)%len(describeCases)]
				if got := Describe(c.ua); got != c.want {
					t.Errorf("Describe(%q) = %q, want %q", c.ua, got, c.want)
				}
				Describe(fmt.Sprintf("agent %d/%d", g, i))
			}
		})
	}
	wg.Wait()
}
