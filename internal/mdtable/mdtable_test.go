package mdtable

import (
	"slices"
	"testing"
)

const doc = "# A document\n\n" +
	"| name | what |\n|---|---|\n| `a` | first |\n\n" +
	"Text between.\n\n" +
	"| Method | Path | Guards |\n|:---|---:|:-:|\n" +
	"| GET | `/` | — |\n" +
	"| POST | `/x` | `perIP`, `me` |\n" +
	"| GET | `/a\\|b` |\n" +
	"after the table\n"

// TestFind: the table is found by its columns whatever their case, rows end
// at the first line that is not a row, a short row has empty cells, and an
// escaped pipe stays in its cell.
func TestFind(t *testing.T) {
	tab, ok := Find(doc, "method", "PATH")
	if !ok {
		t.Fatal("no table with method and path")
	}
	if !slices.Equal(tab.Header, []string{"method", "path", "guards"}) {
		t.Fatalf("header %q", tab.Header)
	}
	if len(tab.Rows) != 3 {
		t.Fatalf("%d rows, want 3", len(tab.Rows))
	}
	r := tab.Rows[1]
	if r.Cell("method") != "POST" || r.Line != 12 || !slices.Equal(Code(r.Cell("guards")), []string{"perIP", "me"}) {
		t.Fatalf("row %d: %q %q", r.Line, r.Cell("method"), Code(r.Cell("guards")))
	}
	if got := Code(tab.Rows[2].Cell("path")); !slices.Equal(got, []string{"/a|b"}) || tab.Rows[2].Cell("guards") != "" {
		t.Fatalf("last row: path %q, guards %q", got, tab.Rows[2].Cell("guards"))
	}
	if _, ok := Find(doc, "method", "nothing"); ok {
		t.Fatal("found a table without the column")
	}
	if n := len(Parse(doc)); n != 2 {
		t.Fatalf("%d tables, want 2", n)
	}
}

// FuzzParse: any document parses without panicking, and every row lies on
// a line of the document.
func FuzzParse(f *testing.F) {
	f.Add(doc)
	f.Add("|\n|-|\n|")
	f.Add("| a \\| b |\n|---|\n| \\|")
	f.Fuzz(func(t *testing.T, s string) {
		lines := 1
		for _, c := range s {
			if c == '\n' {
				lines++
			}
		}
		for _, tab := range Parse(s) {
			for _, r := range tab.Rows {
				if r.Line < 3 || r.Line > lines {
					t.Fatalf("row on line %d of %d", r.Line, lines)
				}
			}
		}
	})
}
