package db

import (
	"context"
	"errors"
	"testing"
	"time"
)

// The second factor's queries on both databases: a waiting enrolment is
// replaced but a factor that is on is not; a step is claimed once; a
// recovery code is used once; failures count in their window; remembered
// browsers and their addresses; deleting forgets everything.
func TestSecondFactorQueries(t *testing.T) {
	d := openTestDB(t)
	ctx := context.Background()
	now := time.Unix(1_800_000_000, 0)
	u, err := d.CreateUser(ctx, "Ada", "ada@example.com", "", now)
	if err != nil {
		t.Fatal(err)
	}
	must := func(ok bool, err error) bool {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if !must(d.StartSecondFactor(ctx, u.ID, []byte("sealed-1"), now)) || !must(d.StartSecondFactor(ctx, u.ID, []byte("sealed-2"), now)) {
		t.Fatal("a waiting enrolment was not started or replaced")
	}
	if must(d.SecondFactorEnabled(ctx, u.ID)) {
		t.Fatal("on before its first code")
	}
	if must(d.UseTOTPStep(ctx, u.ID, 5)) {
		t.Fatal("a step claimed on a factor that is off")
	}
	if !must(d.EnableSecondFactor(ctx, u.ID, 10, now)) || must(d.EnableSecondFactor(ctx, u.ID, 11, now)) {
		t.Fatal("enable: not once")
	}
	if must(d.StartSecondFactor(ctx, u.ID, []byte("sealed-3"), now)) {
		t.Fatal("an enrolment replaced a factor that is on")
	}
	f, err := d.SecondFactor(ctx, u.ID)
	if err != nil || string(f.Sealed) != "sealed-2" || !f.Enabled() || f.LastStep != 10 {
		t.Fatalf("factor %+v, %v", f, err)
	}
	if must(d.UseTOTPStep(ctx, u.ID, 10)) || must(d.UseTOTPStep(ctx, u.ID, 9)) || !must(d.UseTOTPStep(ctx, u.ID, 11)) || must(d.UseTOTPStep(ctx, u.ID, 11)) {
		t.Fatal("a step claimed twice, or an earlier one after a later")
	}

	if err := d.ReplaceRecoveryCodes(ctx, u.ID, [][]byte{[]byte("a"), []byte("b")}); err != nil {
		t.Fatal(err)
	}
	if !must(d.UseRecoveryCode(ctx, u.ID, []byte("a"))) || must(d.UseRecoveryCode(ctx, u.ID, []byte("a"))) {
		t.Fatal("a recovery code used not exactly once")
	}
	if n, err := d.CountRecoveryCodes(ctx, u.ID); err != nil || n != 1 {
		t.Fatalf("%d codes left, %v", n, err)
	}

	for i := range 3 {
		if err := d.RecordSecondFactorFailure(ctx, u.ID, now.Add(time.Duration(i)*time.Minute), now.Add(-15*time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	_, _, n, oldest, err := d.SecondStepOf(ctx, u.ID, now.Add(30*time.Second))
	if err != nil || n != 2 || !oldest.Equal(now.Add(time.Minute)) {
		t.Fatalf("failures in the window: %d, oldest %v, %v", n, oldest, err)
	}

	if err := d.CreateRememberedDevice(ctx, []byte("dev"), u.ID, "192.0.2.1", now, now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if uid, err := d.RememberedDeviceUser(ctx, []byte("dev"), now); err != nil || uid != u.ID {
		t.Fatalf("remembered device: %d, %v", uid, err)
	}
	if _, err := d.RememberedDeviceUser(ctx, []byte("dev"), now.Add(time.Hour)); !errors.Is(err, ErrNotFound) {
		t.Fatalf("an expired mark still counts: %v", err)
	}
	if must(d.AddRememberedDeviceIP(ctx, []byte("dev"), "192.0.2.1")) || !must(d.AddRememberedDeviceIP(ctx, []byte("dev"), "192.0.2.2")) {
		t.Fatal("addresses of a remembered device")
	}

	if !must(d.DeleteSecondFactor(ctx, u.ID)) || must(d.DeleteSecondFactor(ctx, u.ID)) {
		t.Fatal("delete: not once")
	}
	if _, err := d.RememberedDeviceUser(ctx, []byte("dev"), now); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a remembered device outlived the factor: %v", err)
	}
	if n, _ := d.CountRecoveryCodes(ctx, u.ID); n != 0 {
		t.Fatal("recovery codes outlived the factor")
	}
	if err := d.DeleteExpiredSecondFactorRows(ctx, now, now); err != nil {
		t.Fatal(err)
	}
}

// The code step's one read, on both databases: an account without a
// factor comes back with a zero one, a waiting enrolment as not enabled,
// a factor that is on with its last step and the wrong codes of the
// window; an unknown account is ErrNotFound.
func TestSecondStepOf(t *testing.T) {
	d := openTestDB(t)
	ctx := context.Background()
	now := time.Unix(1_800_000_000, 0)
	u, err := d.CreateUser(ctx, "Ada", "ada@example.com", "hash", now)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.MarkEmailVerified(ctx, u.ID, now); err != nil {
		t.Fatal(err)
	}
	got, f, n, oldest, err := d.SecondStepOf(ctx, u.ID, now.Add(-time.Hour))
	if err != nil || got.ID != u.ID || got.Email != "ada@example.com" || got.PasswordHash != "hash" || !got.Verified() || got.Disabled() ||
		f.Enabled() || f.Sealed != nil || f.LastStep != 0 || n != 0 || !oldest.IsZero() {
		t.Fatalf("without a factor: %+v %+v %d %v, %v", got, f, n, oldest, err)
	}
	if _, err := d.StartSecondFactor(ctx, u.ID, []byte("sealed"), now); err != nil {
		t.Fatal(err)
	}
	if _, f, _, _, err := d.SecondStepOf(ctx, u.ID, now.Add(-time.Hour)); err != nil || f.Enabled() || string(f.Sealed) != "sealed" {
		t.Fatalf("a waiting enrolment: %+v, %v", f, err)
	}
	if _, err := d.EnableSecondFactor(ctx, u.ID, 10, now); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if err := d.RecordSecondFactorFailure(ctx, u.ID, now.Add(time.Duration(i)*time.Minute), now.Add(-15*time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	_, f, n, oldest, err = d.SecondStepOf(ctx, u.ID, now.Add(30*time.Second))
	if err != nil || !f.Enabled() || f.UserID != u.ID || f.LastStep != 10 || string(f.Sealed) != "sealed" || n != 2 || !oldest.Equal(now.Add(time.Minute)) {
		t.Fatalf("a factor that is on: %+v, %d failures, oldest %v, %v", f, n, oldest, err)
	}
	if _, _, _, _, err := d.SecondStepOf(ctx, u.ID+1, now); !errors.Is(err, ErrNotFound) {
		t.Fatalf("an unknown account: %v", err)
	}
}
