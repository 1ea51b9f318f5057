package db

import (
	"testing"
	"time"

	"github.com/alexedwards/scs/v2"
)

// TestSessionCacheAnswersFromMemory: once a session has been read or
// written, finding it again needs no query (the reader pool is closed here
// to prove it), while an unknown token still goes to the database.
func TestSessionCacheAnswersFromMemory(t *testing.T) {
	d := openTestDB(t)
	s := newTestStore(t, d)
	if err := s.Commit("written", []byte("w"), time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := newTestStore(t, d).Commit("read", []byte("r"), time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got, _ := find(t, s, "read"); got != "r" {
		t.Fatalf("Find read = %q", got)
	}
	if err := d.Read.Close(); err != nil {
		t.Fatal(err)
	}
	for token, want := range map[string]string{"written": "w", "read": "r"} {
		if got, ok := find(t, s, token); !ok || got != want {
			t.Errorf("Find %s with the reader pool closed = %q %v, want %q", token, got, ok, want)
		}
	}
	if _, _, err := s.Find("unknown"); err == nil {
		t.Error("an unknown token was answered without the database")
	}
}

// TestSessionCacheStaysBounded: past its bound the copy forgets sessions,
// which are then read from the database again.
func TestSessionCacheStaysBounded(t *testing.T) {
	d := openTestDB(t)
	s := newTestStore(t, d)
	s.max = 3
	tokens := []string{"t0", "t1", "t2", "t3", "t4", "t5"}
	for _, tok := range tokens {
		if err := s.Commit(tok, []byte("data "+tok), time.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	for _, tok := range tokens {
		if got, ok := find(t, s, tok); !ok || got != "data "+tok {
			t.Errorf("Find %s = %q %v", tok, got, ok)
		}
	}
	if n := len(s.rows); n > 3 {
		t.Fatalf("%d sessions in memory, want at most 3", n)
	}
}

// TestSessionCacheFindCannotCacheStaleData: a lookup that read the
// database before a commit landed must not put its older copy in memory.
func TestSessionCacheFindCannotCacheStaleData(t *testing.T) {
	d := openTestDB(t)
	s := newTestStore(t, d)
	s.mu.Lock()
	before := s.version
	s.mu.Unlock()
	if err := s.Commit("a", []byte("new"), time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	// A Find that started before the commit now tries to remember "old".
	s.remember("a", cachedRow{data: []byte("old"), expiry: time.Now().Add(time.Hour)}, before)
	if got, _ := find(t, s, "a"); got != "new" {
		t.Fatalf("Find a = %q after a stale lookup, want new", got)
	}
}

// TestSessionCodecGivesEachRequestItsOwnValues: the remembered decoding is
// copied, so one request's changes never show in another's session.
func TestSessionCodecGivesEachRequestItsOwnValues(t *testing.T) {
	c := NewSessionCodec()
	deadline := time.Now().Add(time.Hour).Round(time.Second)
	b, err := c.Encode(deadline, map[string]any{"sid": "abc", "__rememberMe": true})
	if err != nil {
		t.Fatal(err)
	}
	_, first, err := c.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	first["sid"] = "changed"
	delete(first, "__rememberMe")
	gotDeadline, second, err := c.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	if second["sid"] != "abc" || second["__rememberMe"] != true || !gotDeadline.Equal(deadline) {
		t.Fatalf("second decoding %v %v, want the original values", gotDeadline, second)
	}
	if len(c.decoded) != 1 {
		t.Fatalf("%d decodings remembered, want 1", len(c.decoded))
	}

	// A value that could be shared and changed (a slice) is never remembered.
	b, err = c.Encode(deadline, map[string]any{"list": []string{"a"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Decode(b); err != nil {
		t.Fatal(err)
	}
	if len(c.decoded) != 1 {
		t.Fatalf("a session holding a slice was remembered")
	}
}

// TestSessionCodecIsBounded: however many sessions are decoded, at most max
// are remembered.
func TestSessionCodecIsBounded(t *testing.T) {
	c := NewSessionCodec()
	c.max = 5
	for i := range 50 {
		b, err := c.Encode(time.Now(), map[string]any{"sid": i})
		if err != nil {
			t.Fatal(err)
		}
		_, v, err := c.Decode(b)
		if err != nil || v["sid"] != i {
			t.Fatalf("decode %d: %v %v", i, v, err)
		}
	}
	if len(c.decoded) > 5 {
		t.Fatalf("%d remembered, want at most 5", len(c.decoded))
	}
}

// TestSessionCodecDecodesAsGob: a remembered decoding is the gob decoding,
// the first time and every time after, and what it writes is scs's plain
// gob, so a release without the cache reads it.
func TestSessionCodecDecodesAsGob(t *testing.T) {
	deadline := time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)
	values := map[string]any{"sid": "abc", "flash": "Welcome back.", "__rememberMe": true}
	c := NewSessionCodec()
	b, err := c.Encode(deadline, values)
	if err != nil {
		t.Fatal(err)
	}
	for i, codec := range []scs.Codec{c, c, scs.GobCodec{}} {
		got, v, err := codec.Decode(b)
		if err != nil {
			t.Fatalf("decode %d: %v", i, err)
		}
		if !got.Equal(deadline) || len(v) != len(values) || v["sid"] != "abc" || v["flash"] != "Welcome back." || v["__rememberMe"] != true {
			t.Fatalf("decode %d = %v %v, want %v %v", i, got, v, deadline, values)
		}
	}
	if _, _, err := c.Decode([]byte("not gob")); err == nil {
		t.Fatal("garbage decoded without an error")
	}
	if len(c.decoded) != 1 {
		t.Fatalf("%d decodings remembered, want 1 (garbage is never remembered)", len(c.decoded))
	}
}

// BenchmarkSessionCodecDecode is the decoding of a signed-in session's row
// by scs's gob and by the remembering codec (a hit), the difference the
// codec is kept for.
func BenchmarkSessionCodecDecode(b *testing.B) {
	values := map[string]any{"sid": "Q2hhbmdlIG1lIGludG8gYSBzZXNzaW9uIGlk", "__rememberMe": true}
	data, err := scs.GobCodec{}.Encode(time.Now().Add(time.Hour), values)
	if err != nil {
		b.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		codec scs.Codec
	}{{"gob", scs.GobCodec{}}, {"remembered", NewSessionCodec()}} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, v, err := tc.codec.Decode(data); err != nil || len(v) != 2 {
					b.Fatal(v, err)
				}
			}
		})
	}
}
