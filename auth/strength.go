package auth

import (
	"cmp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/ccojocar/zxcvbn-go/adjacency"
	"github.com/ccojocar/zxcvbn-go/entropy"
	"github.com/ccojocar/zxcvbn-go/frequency"
	"github.com/ccojocar/zxcvbn-go/match"
	"github.com/ccojocar/zxcvbn-go/matching"
	"github.com/ccojocar/zxcvbn-go/scoring"
)

// zxcvbn run over a whole 128-character password can take seconds: its
// dictionary matcher converts every substring to a string (cubic in the
// length), its l33t matcher does that once for every way of reading the
// substitutable characters (hundreds for "4@8({[<369!1|70$5+%2"), and its
// keyboard matcher parses the keyboard layout again for every walk it finds
// (a third of a millisecond each, 84 of them in "123123…"). estimate gets
// zxcvbn's judgement at a bounded cost:
//
//   - the first fullScoreRunes characters go through every zxcvbn matcher
//     (repeats are found for the whole password, below), so an ASCII
//     password that short is judged exactly as zxcvbn judges it, or more
//     strictly (FuzzPolicyCheck checks it);
//   - its cheap matchers (sequences, dates) run over the whole password;
//   - dictionary words (zxcvbn's lists and the user's name and email) are
//     looked up in overlapping windows, placed so that every substring up
//     to the longest listed word lies inside one of them: the same matches
//     as over the whole, in linear time;
//   - l33t spellings are looked up in shorter windows, read at once (every
//     "4" and "@" as "a") rather than one substitution per letter at a
//     time, which leaves only the characters with two readings ("1" and
//     "|": i or l; "7": l or t) to branch on: at most 8 readings of a
//     window instead of hundreds;
//   - keyboard walks past the first characters are found as zxcvbn finds
//     them (same layouts, same runs) but given the entropy of a straight
//     walk on the smallest layout, a lower bound of what zxcvbn would give;
//   - repeats (aaa) are found as zxcvbn finds them, with its entropy.
//
// All the matches then go to zxcvbn's own scoring over the whole password,
// which picks the cheapest way to spell it. Each step only adds matches, or
// matches cheaper than zxcvbn's, so a weak part anywhere in the password
// lowers the estimate: nothing past the first characters is taken on trust.
const (
	fullScoreRunes = 12
	// The longest word in zxcvbn's lists has 22 characters: windows of 32
	// every 11 hold every substring of up to 22.
	dictWindow = 32
	dictStride = dictWindow - 22 + 1
	// Windows of 16 every 9 hold every l33t spelling of up to 8 characters
	// (longer ones when they fall well, their parts otherwise).
	l33tWindow = 16
	l33tStride = l33tWindow - 8 + 1
	// Strength is judged on at most this many characters of the folded
	// form. Folding can lengthen a password ("ﬃ" is "ffi"); what is cut off
	// is not credited at all.
	maxStrengthRunes = MaxPasswordLength
)

// l33tReading is the letter each substitutable character stands for, from
// zxcvbn's own l33t table; l33tChoices are the characters with more than one
// reading, and their readings.
var l33tReading, l33tChoices = l33tTables()

func l33tTables() (map[rune]rune, map[rune][]rune) {
	readings := map[rune][]rune{}
	for letter, subs := range adjacency.GraphMap["l33t"].Graph {
		l, _ := utf8.DecodeRuneInString(letter)
		for _, s := range subs {
			r, _ := utf8.DecodeRuneInString(s)
			readings[r] = append(readings[r], l)
		}
	}
	one, several := map[rune]rune{}, map[rune][]rune{}
	for r, ls := range readings {
		slices.Sort(ls)
		if len(ls) == 1 {
			one[r] = ls[0]
		} else {
			several[r] = ls
		}
	}
	return one, several
}

// tracer is told each time estimate hands text to zxcvbn's matchers, so a
// test can see that no call gets more than its bound. what is "full",
// "linear", "dictionary" or "l33t"; runes is the length of the text.
type tracer func(what string, runes int)

func isDictionary(m match.Matcher) bool {
	_, ok := frequency.Lists[m.ID]
	return ok
}

func notDictionary(m match.Matcher) bool { return !isDictionary(m) }

// cheapMatchers leaves out the matchers estimate runs in its own way.
func cheapMatchers(m match.Matcher) bool {
	return isDictionary(m) || m.ID == matching.L33TMatcherName || matching.FilterSpatialMatcher(m) || matching.FilterRepeatMatcher(m)
}

// estimate scores s (the folded form of a password) with inputs as the
// words known to an attacker.
func estimate(s string, inputs []string, trace tracer) scoring.MinEntropyMatch {
	if trace == nil {
		trace = func(string, int) {}
	}
	runes := []rune(s)
	if len(runes) > maxStrengthRunes {
		runes = runes[:maxStrengthRunes]
		s = string(runes)
	}
	// zxcvbn's dictionary matcher counts in characters, its other matchers
	// and its scoring in bytes, which credits a character outside ASCII
	// once per byte. Here everything counts in characters: byte positions
	// are moved to the character they fall in (those matchers only match
	// ASCII anyway), repeats are found here, and the scoring is given a
	// stand-in with one byte per character of the same kind (lower, upper,
	// digit, other), which is all it reads of the password.
	runeOf := make([]int, len(s)+1)
	standIn := make([]byte, 0, len(runes))
	r := -1
	for b := range len(s) {
		if utf8.RuneStart(s[b]) {
			r++
			standIn = append(standIn, kindOf(runes[r]))
		}
		runeOf[b] = r
	}
	runeOf[len(s)] = len(runes)
	var all []match.Match
	// inBytes adds matches counted in bytes from the start of s.
	inBytes := func(ms []match.Match) {
		for _, m := range ms {
			m.I, m.J = runeOf[m.I], runeOf[min(m.J, len(s))]
			all = append(all, m)
		}
	}
	// inRunes adds dictionary matches counted in characters from runes[from].
	inRunes := func(m match.Match, from int) {
		m.I, m.J = m.I+from, m.J+from
		all = append(all, m)
	}

	head := runes[:min(len(runes), fullScoreRunes)]
	trace("full", len(head))
	for _, m := range matching.Omnimatch(string(head), inputs, matching.FilterRepeatMatcher) {
		if m.Pattern == "dictionary" {
			inRunes(m, 0)
		} else {
			inBytes([]match.Match{m})
		}
	}

	trace("linear", len(runes))
	inBytes(matching.Omnimatch(s, nil, cheapMatchers))
	inBytes(keyboardWalks(s, len(string(head))))
	all = append(all, repeats(runes)...)

	for from := 0; ; from += dictStride {
		window := runes[from:min(len(runes), from+dictWindow)]
		trace("dictionary", len(window))
		for _, m := range matching.Omnimatch(string(window), inputs, notDictionary) {
			inRunes(m, from)
		}
		if from+dictWindow >= len(runes) {
			break
		}
	}

	for from := 0; ; from += l33tStride {
		window := runes[from:min(len(runes), from+l33tWindow)]
		for _, reading := range l33tReadings(window) {
			trace("l33t", len(reading))
			for _, m := range matching.Omnimatch(string(reading), inputs, notDictionary) {
				if slices.Equal(reading[m.I:m.J+1], window[m.I:m.J+1]) {
					continue // a plain match, found above
				}
				m.DictionaryName += "_3117"
				inRunes(m, from)
			}
		}
		if from+l33tWindow >= len(runes) {
			break
		}
	}

	// Windows overlap, so many matches come more than once; and zxcvbn's
	// scoring keeps the first of equally good matches, so their order must
	// not depend on map iteration for the advice to be the same each time.
	slices.SortFunc(all, func(a, b match.Match) int {
		return cmp.Or(cmp.Compare(a.I, b.I), cmp.Compare(a.J, b.J), cmp.Compare(a.Entropy, b.Entropy),
			strings.Compare(a.Pattern, b.Pattern), strings.Compare(a.DictionaryName, b.DictionaryName),
			strings.Compare(a.Token, b.Token))
	})
	all = slices.Compact(all)
	return scoring.MinimumEntropyMatchSequence(string(standIn), all)
}

// kindOf is a character of the same kind as r for zxcvbn's brute-force
// count, tested in its order.
func kindOf(r rune) byte {
	switch {
	case unicode.IsLower(r):
		return 'a'
	case unicode.IsDigit(r):
		return '0'
	case unicode.IsUpper(r):
		return 'A'
	}
	return '!'
}

// repeats are the runs of three or more of one character, as zxcvbn's
// repeat matcher finds them and with its entropy, counted in characters
// (zxcvbn's mixes bytes and characters, and misplaces runs outside ASCII).
func repeats(runes []rune) []match.Match {
	var out []match.Match
	for i := 0; i < len(runes); {
		j := i + 1
		for j < len(runes) && runes[j] == runes[i] {
			j++
		}
		if j-i > 2 {
			m := match.Match{Pattern: "repeat", I: i, J: j - 1, Token: string(runes[i:j]), DictionaryName: string(runes[i])}
			m.Entropy = entropy.RepeatEntropy(m)
			out = append(out, m)
		}
		i = j
	}
	return out
}

// keyboardLayouts are zxcvbn's, in the order its spatial matcher tries them.
var keyboardLayouts = []adjacency.Graph{
	adjacency.GraphMap["qwerty"], adjacency.GraphMap["dvorak"],
	adjacency.GraphMap["keypad"], adjacency.GraphMap["macKeypad"],
}

// keyboardWalks finds the runs of adjacent keys that zxcvbn's spatial
// matcher finds (on each layout, runs of three or more keys, each starting
// where the last one stopped, in bytes as zxcvbn counts), keeping those that
// end at or past byte from. Each gets the entropy zxcvbn gives a walk of
// its length with a single direction on the numeric keypad: no more than
// zxcvbn would give it on any layout, with any turns or shifted keys, and
// computed without the layout parsing zxcvbn's own matcher repeats per walk.
func keyboardWalks(s string, from int) []match.Match {
	var out []match.Match
	for _, layout := range keyboardLayouts {
		for i := 0; i < len(s)-1; {
			j := i + 1
			for j < len(s) && adjacent(layout, s[j-1], s[j]) {
				j++
			}
			if j-i > 2 && j-1 >= from {
				m := match.Match{Pattern: "spatial", I: i, J: j - 1, Token: s[i:j], DictionaryName: layout.Name}
				m.Entropy = entropy.SpatialEntropy(match.Match{DictionaryName: "keypad", Token: m.Token}, 1, 0)
				out = append(out, m)
			}
			i = j
		}
	}
	return out
}

func adjacent(layout adjacency.Graph, prev, cur byte) bool {
	for _, keys := range layout.Graph[string(rune(prev))] {
		if strings.IndexByte(keys, cur) >= 0 {
			return true
		}
	}
	return false
}

// l33tReadings returns window with every substitutable character read as
// its letter, once for each combination of readings of the characters that
// have two; nothing when the window has none.
func l33tReadings(window []rune) [][]rune {
	var branch []rune
	found := false
	for _, r := range window {
		if _, ok := l33tReading[r]; ok {
			found = true
		} else if _, ok := l33tChoices[r]; ok {
			found = true
			if !slices.Contains(branch, r) {
				branch = append(branch, r)
			}
		}
	}
	if !found {
		return nil
	}
	slices.Sort(branch)
	n := 1
	for _, r := range branch {
		n *= len(l33tChoices[r])
	}
	out := make([][]rune, 0, n)
	for k := range n {
		chosen := map[rune]rune{}
		for _, r := range branch {
			ls := l33tChoices[r]
			chosen[r] = ls[k%len(ls)]
			k /= len(ls)
		}
		reading := make([]rune, len(window))
		for i, r := range window {
			if l, ok := l33tReading[r]; ok {
				r = l
			} else if l, ok := chosen[r]; ok {
				r = l
			}
			reading[i] = r
		}
		out = append(out, reading)
	}
	return out
}
