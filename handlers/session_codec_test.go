package handlers

import (
	"encoding/hex"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2"
)

// legacyGobRow is a session row's data as the release before this one
// wrote it (its caching codec over scs's gob): deadline 2100-01-01, sid
// "sid-written-before-the-change", flash "Welcome back.". These are fixed
// bytes, not today's encoder's, so a codec that could no longer read the
// rows already in the table fails the tests that use them.
const legacyGobRow = "257f030102ff800001020108446561646c696e6501ff8200010656616c75657301ff8400000010ff810501010454696d6501ff8200000027ff83040101176d61705b737472696e675d696e74657266616365207b7d01ff8400010c0110000060ff80010f010000000f6c184e0000000000ffff01020373696406737472696e670c1f001d7369642d7772697474656e2d6265666f72652d7468652d6368616e676505666c61736806737472696e670c0f000d57656c636f6d65206261636b2e00"

// TestSessionCodecReadsOldRows: a row written before decodes to its values,
// the first time (gob) and the second (remembered), and scs's plain gob
// codec reads it the same, so nothing about the format has changed.
func TestSessionCodecReadsOldRows(t *testing.T) {
	b, err := hex.DecodeString(legacyGobRow)
	if err != nil {
		t.Fatal(err)
	}
	want := time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)
	c := newSessionCodec()
	for i, codec := range []scs.Codec{c, c, scs.GobCodec{}} {
		deadline, values, err := codec.Decode(b)
		if err != nil {
			t.Fatalf("decode %d: %v", i, err)
		}
		if !deadline.Equal(want) || len(values) != 2 || values["sid"] != "sid-written-before-the-change" ||
			values["flash"] != "Welcome back." {
			t.Fatalf("decode %d = %v %v", i, deadline, values)
		}
	}
	if len(c.decoded) != 1 {
		t.Fatalf("%d decodings remembered, want 1", len(c.decoded))
	}
}

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
