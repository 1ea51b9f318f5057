package auth

import (
	"strings"
	"testing"
)

type namedPassword struct{ name, password string }

// worstCasePasswords are the most expensive inputs found for the policy
// check (by hand and by mutating these and keeping what cost more): each
// makes a different part of zxcvbn work hardest.
func worstCasePasswords() []namedPassword {
	return []namedPassword{
		// Every substitutable character: 3.5 s in zxcvbn alone.
		{"l33t-all", strings.Repeat("4@8({[<369!1|70$5+%2", 7)[:128]},
		// The 12 characters with the most l33t readings, repeated.
		{"l33t-readings", strings.Repeat("({[<4@69$51|", 11)[:128]},
		// The three characters with two readings each, everywhere.
		{"l33t-ambiguous", strings.Repeat("1|7", 43)[:128]},
		{"l33t-ambiguous-mutated", "1|7||01|71p71871|7||714r1|m1|7sh71|+1|g1|g1|71|71|71|7+|71{7e|7x|71|71|i<z71|71|71|4(|71|71|e1|71h11|q1|75v7!|7v|7l|hg|71|l1|71|"},
		{"l33t-word", strings.Repeat("p@$$w0rd", 16)},
		// A keyboard walk every three characters, on two layouts at once.
		{"walks", strings.Repeat("123", 43)[:128]},
		{"walks-letters", strings.Repeat("qwe", 43)[:128]},
		{"repeat", strings.Repeat("a", 128)},
		// Dictionary words overlapping everywhere.
		{"words", strings.Repeat("therein", 19)[:128]},
		{"passwords", strings.Repeat("passwordiloveyoudragonmonkey", 5)[:128]},
		{"dates", strings.Repeat("19/12/1984-", 12)[:128]},
		{"sequences", strings.Repeat("0123456789", 13)[:128]},
		// Folding makes these 384 and 256 characters long.
		{"fold-ffi", strings.Repeat("ﬃ", 128)},
		{"fold-sharp-s", strings.Repeat("ß", 128)},
		{"fullwidth", strings.Repeat("ｐ＠＄＄ｗ０ｒｄ", 16)},
		{"decomposed", strings.Repeat("e\u0301", 128)},
	}
}

// BenchmarkPolicyWorstCase is the cost of one policy check on the worst
// inputs known, against an ordinary password in the same run
// (docs/ARCHITECTURE.md, "Password policy": at most 50 ms of CPU for any
// password of up to 128 characters). cpu-ns/op
// is the process's CPU time (garbage collection included), which on a busy
// machine is a fairer figure than the wall-clock ns/op.
func BenchmarkPolicyWorstCase(b *testing.B) {
	p := Policy{MinScore: DefaultMinPasswordScore}
	cases := append([]namedPassword{{"ordinary", "tangerine7ferry"}}, worstCasePasswords()...)
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			start := processCPU()
			for b.Loop() {
				p.Check(c.password, "Ada Lovelace", "ada.lovelace@example.com")
			}
			if cpu := processCPU() - start; cpu > 0 {
				b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
			}
		})
	}
}
