package auth

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

// badNames is one name for each kind of character a name may not carry,
// the attack of issue 13 first.
var badNames = map[string]string{
	"mail injection": "there,\r\n\r\nYour account is locked. Restore it at https://evil.example/restore",
	"NUL":            "Ada\x00Lovelace",
	"tab":            "Ada\tLovelace",
	"CR":             "Ada\rLovelace",
	"LF":             "Ada\nLovelace",
	"DEL":            "Ada\x7fLovelace",
	"escape":         "Ada\x1b[31mLovelace",
	"C1 NEL":         "Ada\u0085Lovelace",
	"C1 CSI":         "Ada\u009bLovelace",
	"line separator": "Ada\u2028Lovelace",
	"para separator": "Ada\u2029Lovelace",
	"LRE":            "Ada\u202aLovelace",
	"RLE":            "Ada\u202bLovelace",
	"PDF":            "Ada\u202cLovelace",
	"LRO":            "Ada\u202dLovelace",
	"RLO":            "moc.elpmaxe\u202eAda",
	"LRI":            "Ada\u2066Lovelace",
	"RLI":            "Ada\u2067Lovelace",
	"FSI":            "Ada\u2068Lovelace",
	"PDI":            "Ada\u2069Lovelace",
	"LRM":            "Ada\u200eLovelace",
	"RLM":            "Ada\u200fLovelace",
	"ALM":            "Ada\u061cLovelace",
	"invalid UTF-8":  "Ada\xffLovelace",
}

func TestCheckNameRefuses(t *testing.T) {
	for what, name := range badNames {
		if err := CheckName(name); !errors.Is(err, ErrNameCharacters) {
			t.Errorf("%s: %q gave %v, want ErrNameCharacters", what, name, err)
		}
	}
	if err := CheckName(strings.Repeat("é", MaxNameLength+1)); !errors.Is(err, ErrNameTooLong) {
		t.Errorf("101 characters: %v", err)
	}
}

func TestCheckNameAccepts(t *testing.T) {
	for _, name := range []string{
		"", "Ada Lovelace", "José Ñúñez", "Zoë", "محمد رضا", "می\u200cخواهم", "שרה כהן", "李小龍", "Ngũgĩ wa Thiong'o",
		"👩\u200d💻 Grace", "🏳\ufe0f\u200d🌈", "O'Brien-Smith, Jr.", strings.Repeat("é", MaxNameLength), strings.Repeat("李", MaxNameLength),
	} {
		if err := CheckName(name); err != nil {
			t.Errorf("%q refused: %v", name, err)
		}
	}
}

// FuzzCheckName: whatever it accepts is valid UTF-8, at most 100
// characters, and free of every forbidden character.
func FuzzCheckName(f *testing.F) {
	for _, n := range badNames {
		f.Add(n)
	}
	f.Add("Ada Lovelace")
	f.Add("👩\u200d💻")
	f.Fuzz(func(t *testing.T, name string) {
		if CheckName(name) != nil {
			return
		}
		if !utf8.ValidString(name) || utf8.RuneCountInString(name) > MaxNameLength {
			t.Fatalf("accepted %q", name)
		}
		for _, r := range name {
			if r < 0x20 || (r >= 0x7f && r < 0xa0) || r == 0x2028 || r == 0x2029 || r == 0x061c ||
				r == 0x200e || r == 0x200f || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) {
				t.Fatalf("accepted %q with %U", name, r)
			}
		}
	})
}
