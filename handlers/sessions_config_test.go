package handlers

import (
	"testing"
	"time"
)

// TestSessionCodecGivesEachRequestItsOwnValues: the remembered decoding is
// copied, so one request's changes never show in another's session.
func TestSessionCodecGivesEachRequestItsOwnValues(t *testing.T) {
	c := newSessionCodec()
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
	c := newSessionCodec()
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
