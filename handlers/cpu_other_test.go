//go:build !unix

package handlers

import "time"

// processCPU is not measured here: the benchmark reports ns/op only.
func processCPU() time.Duration { return 0 }
