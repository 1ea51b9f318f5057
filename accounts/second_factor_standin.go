package accounts

import (
	"context"
	"errors"
)

// A stand-in for the second factor, which is being built beside the API:
// POST /api/auth/token is written against these names, and this file goes
// when the second factor lands (its real functions replace it at the merge).

// Errors of a second-factor code.
var (
	ErrWrongCode    = errors.New("wrong second-factor code")
	ErrTooManyCodes = errors.New("too many wrong second-factor codes")
)

// SecondFactorEnabled is always false until the second factor lands.
func (s *Service) SecondFactorEnabled(ctx context.Context, userID int64) (bool, error) {
	return false, nil
}

// VerifySecondFactor refuses every code until the second factor lands.
func (s *Service) VerifySecondFactor(ctx context.Context, userID int64, code string) error {
	return ErrWrongCode
}
