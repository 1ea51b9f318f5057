package db

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// The rate limiter's shared buckets, on PostgreSQL only: with several
// instances a client's attempts must count together wherever the load
// balancer sends them, so the buckets live in the UNLOGGED rate_limits
// table. SQLite's single instance keeps them in memory (handlers'
// keyedLimiter), so these queries are written for PostgreSQL alone.
//
// A bucket holds up to burst tokens and gains one every interval; a request
// spends one if a whole one is there. Times are Unix seconds with a
// fraction, from the caller's clock.

// ErrSQLiteBuckets: the shared buckets exist only on PostgreSQL.
var ErrSQLiteBuckets = errors.New("rate limit buckets are kept in the database only on PostgreSQL")

// TakeRateToken spends one token of the bucket key, in one statement: it
// reports whether there was one, and how many are left (after a refusal,
// how far the bucket is from a whole token).
func (q *Queries) TakeRateToken(ctx context.Context, key string, burst int, interval time.Duration, now time.Time) (allowed bool, tokens float64, err error) {
	if !q.d.postgres {
		return false, 0, ErrSQLiteBuckets
	}
	// $2 is the burst, $3 now, $4 the interval; the SET expressions read
	// the row as it was, so the refill is computed once per column alike.
	err = q.w.QueryRowContext(ctx, `INSERT INTO rate_limits AS r (key, tokens, at, allowed) VALUES ($1, $2::float8 - 1, $3::float8, true)
		ON CONFLICT (key) DO UPDATE SET
			tokens = LEAST($2::float8, r.tokens + GREATEST(0, $3::float8 - r.at) / $4::float8)
				- CASE WHEN LEAST($2::float8, r.tokens + GREATEST(0, $3::float8 - r.at) / $4::float8) >= 1 THEN 1 ELSE 0 END,
			allowed = LEAST($2::float8, r.tokens + GREATEST(0, $3::float8 - r.at) / $4::float8) >= 1,
			at = GREATEST(r.at, $3::float8)
		RETURNING allowed, tokens`, key, float64(burst), seconds(now), interval.Seconds()).Scan(&allowed, &tokens)
	if err != nil {
		return false, 0, fmt.Errorf("take rate token: %w", err)
	}
	return allowed, tokens, nil
}

// PeekRateTokens is how many tokens the bucket key holds now, spending
// none; a bucket never used is full.
func (q *Queries) PeekRateTokens(ctx context.Context, key string, burst int, interval time.Duration, now time.Time) (float64, error) {
	if !q.d.postgres {
		return 0, ErrSQLiteBuckets
	}
	var tokens float64
	err := q.r.QueryRowContext(ctx, `SELECT LEAST($2::float8, tokens + GREATEST(0, $3::float8 - at) / $4::float8) FROM rate_limits WHERE key = $1`,
		key, float64(burst), seconds(now), interval.Seconds()).Scan(&tokens)
	if isNoRows(err) {
		return float64(burst), nil
	}
	if err != nil {
		return 0, fmt.Errorf("peek rate tokens: %w", err)
	}
	return tokens, nil
}

// DeleteIdleRateBuckets forgets the buckets whose keys start with prefix
// and that were last used before idleSince: they have refilled, and a full
// bucket is the same as none.
func (q *Queries) DeleteIdleRateBuckets(ctx context.Context, prefix string, idleSince time.Time) error {
	if !q.d.postgres {
		return ErrSQLiteBuckets
	}
	if _, err := q.w.ExecContext(ctx, `DELETE FROM rate_limits WHERE at < $1::float8 AND starts_with(key, $2)`, seconds(idleSince), prefix); err != nil {
		return fmt.Errorf("delete idle rate buckets: %w", err)
	}
	return nil
}

func seconds(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }
