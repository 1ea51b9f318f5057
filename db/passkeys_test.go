package db

import (
	"context"
	"errors"
	"testing"
	"time"
)

// PasskeyOwner on both databases: the passkey and its account come back
// only for the credential id with its own account's user handle.
func TestPasskeyOwner(t *testing.T) {
	d := openTestDB(t)
	ctx := context.Background()
	now := time.Unix(1_800_000_000, 0)
	handles := map[string][]byte{}
	ids := map[string]int64{}
	for _, email := range []string{"ada@example.com", "bob@example.com"} {
		u, err := d.CreateUser(ctx, "Someone", email, "hash", now)
		if err != nil {
			t.Fatal(err)
		}
		if err := d.InTx(ctx, func(q *Queries) error {
			h, err := q.WebAuthnHandle(ctx, u.ID)
			handles[email] = h
			return err
		}); err != nil {
			t.Fatal(err)
		}
		ids[email] = u.ID
	}
	if err := d.MarkEmailVerified(ctx, ids["ada@example.com"], now); err != nil {
		t.Fatal(err)
	}
	made, err := d.CreatePasskey(ctx, Passkey{UserID: ids["ada@example.com"], CredentialID: []byte("cred-ada"), PublicKey: []byte("key"),
		SignCount: 7, Transports: []string{"internal", "hybrid"}, UserVerified: true, Name: "Laptop"}, now)
	if err != nil {
		t.Fatal(err)
	}
	p, u, err := d.PasskeyOwner(ctx, []byte("cred-ada"), handles["ada@example.com"])
	if err != nil || p.ID != made.ID || p.SignCount != 7 || string(p.PublicKey) != "key" || len(p.Transports) != 2 || !p.UserVerified ||
		u.ID != ids["ada@example.com"] || u.Email != "ada@example.com" || !u.Verified() || u.Disabled() || u.PasswordHash != "hash" {
		t.Fatalf("owner of Ada's passkey: %+v %+v, %v", p, u, err)
	}
	for name, c := range map[string]struct{ cred, handle []byte }{
		"another account's handle": {[]byte("cred-ada"), handles["bob@example.com"]},
		"an unknown credential":    {[]byte("cred-eve"), handles["ada@example.com"]},
		"an unknown handle":        {[]byte("cred-ada"), []byte("nobody")},
	} {
		if _, _, err := d.PasskeyOwner(ctx, c.cred, c.handle); !errors.Is(err, ErrNotFound) {
			t.Errorf("%s: %v, want ErrNotFound", name, err)
		}
	}
}
