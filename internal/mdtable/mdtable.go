// Package mdtable reads the tables of a Markdown document, for the tests
// that keep docs/ARCHITECTURE.md in step with the code (its route table
// with routes.go, its settings with Config, its layers with the import
// rules). It reads GitHub's pipe tables only: a header row, a row of
// dashes, then one row per line, a literal pipe inside a cell written \|.
//
// It imports no Latchkey package, only the standard library.
package mdtable

import (
	"regexp"
	"strings"
)

// Table is one table of a document.
type Table struct {
	// Header holds the column names, trimmed and in lower case.
	Header []string
	Rows   []Row
}

// Row is one row of a table.
type Row struct {
	// Line is the row's line in the document, counted from 1, for messages.
	Line  int
	cells map[string]string
}

// Cell is the text of the row's cell in column (lower case), trimmed, or
// "" when the row has no such column.
func (r Row) Cell(column string) string { return r.cells[column] }

// Parse returns every table of doc, in order.
func Parse(doc string) []Table {
	var tables []Table
	lines := strings.Split(doc, "\n")
	for i := 0; i+1 < len(lines); i++ {
		header, ok := cells(lines[i])
		if !ok || !separator(lines[i+1]) {
			continue
		}
		t := Table{Header: make([]string, len(header))}
		for j, h := range header {
			t.Header[j] = strings.ToLower(h)
		}
		i += 2
		for ; i < len(lines); i++ {
			row, ok := cells(lines[i])
			if !ok {
				break
			}
			r := Row{Line: i + 1, cells: map[string]string{}}
			for j, c := range row {
				if j < len(t.Header) {
					r.cells[t.Header[j]] = c
				}
			}
			t.Rows = append(t.Rows, r)
		}
		tables = append(tables, t)
	}
	return tables
}

// Find returns the first table of doc whose header has every one of
// columns (in any case), and whether there is one.
func Find(doc string, columns ...string) (Table, bool) {
next:
	for _, t := range Parse(doc) {
		for _, want := range columns {
			found := false
			for _, h := range t.Header {
				found = found || h == strings.ToLower(want)
			}
			if !found {
				continue next
			}
		}
		return t, true
	}
	return Table{}, false
}

var codeSpan = regexp.MustCompile("`([^`]*)`")

// Code returns the code spans of a cell, without their backticks:
// Code("`perIP`, `me`") is ["perIP" "me"].
func Code(cell string) []string {
	var out []string
	for _, m := range codeSpan.FindAllStringSubmatch(cell, -1) {
		out = append(out, m[1])
	}
	return out
}

// cells splits a table line into its trimmed cells; ok is false for a line
// that is not a table row.
func cells(line string) (out []string, ok bool) {
	line = strings.TrimSpace(line)
	if !strings.HasPrefix(line, "|") {
		return nil, false
	}
	line = strings.TrimSuffix(strings.TrimPrefix(line, "|"), "|")
	var cell strings.Builder
	for i := 0; i < len(line); i++ {
		switch {
		case line[i] == '\\' && i+1 < len(line) && line[i+1] == '|':
			cell.WriteByte('|')
			i++
		case line[i] == '|':
			out = append(out, strings.TrimSpace(cell.String()))
			cell.Reset()
		default:
			cell.WriteByte(line[i])
		}
	}
	return append(out, strings.TrimSpace(cell.String())), true
}

var dashes = regexp.MustCompile(`^:?-+:?$`)

// separator reports whether line is the row of dashes under a header.
func separator(line string) bool {
	c, ok := cells(line)
	if !ok {
		return false
	}
	for _, s := range c {
		if !dashes.MatchString(s) {
			return false
		}
	}
	return true
}
