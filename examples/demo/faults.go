package main

import (
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"math/rand/v2"
	"sync"
	"time"
)

// Errors the simulated network and files inject.
var (
	errConnReset  = errors.New("connection reset by peer")
	errMirrorDown = errors.New("mirror unavailable")
	errTruncated  = errors.New("unexpected EOF in archive")
	errChecksum   = errors.New("checksum mismatch")
)

// faultOpts sets how the simulated work behaves: how long it takes and how
// often it fails. Rates are probabilities per attempt, from 0 to 1.
type faultOpts struct {
	// DownloadTime and ProcessTime bound the random duration of a download
	// and of processing a file.
	DownloadTime, ProcessTime [2]time.Duration
	// DownloadFailRate is the rate of failed downloads (connection resets).
	DownloadFailRate float64
	// CorruptRate is the rate of downloads that complete with a wrong
	// checksum.
	CorruptRate float64
	// ProcessFailRate is the rate of files that fail to process.
	ProcessFailRate float64
	// OutageEvery and OutageFor schedule mirror outages, during which every
	// download fails, so that retries run out and the supervisor degrades.
	// Zero OutageEvery means no outages.
	OutageEvery, OutageFor time.Duration
	// Seed makes a run's faults repeatable; zero picks a random seed.
	Seed uint64
}

// faults simulates the network and files of the pipeline. Its methods are
// safe for concurrent use: workers call them from their goroutines.
type faults struct {
	opts  faultOpts
	start time.Time

	mu   sync.Mutex
	rand *rand.Rand
}

func newFaults(opts faultOpts) *faults {
	seed := opts.Seed
	if seed == 0 {
		seed = rand.Uint64()
	}
	return &faults{opts: opts, start: time.Now(), rand: rand.New(rand.NewPCG(seed, seed))}
}

// chance reports true with probability p.
func (f *faults) chance(p float64) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.rand.Float64() < p
}

// between returns a random duration in [r[0], r[1]].
func (f *faults) between(r [2]time.Duration) time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return r[0] + time.Duration(f.rand.Int64N(int64(r[1]-r[0])+1))
}

// inOutage reports whether the mirror is down now.
func (f *faults) inOutage() bool {
	if f.opts.OutageEvery <= 0 {
		return false
	}
	return time.Since(f.start)%f.opts.OutageEvery >= f.opts.OutageEvery-f.opts.OutageFor
}

// download fetches url, taking a while, and returns its size and checksum,
// or ctx's error when ctx ends first.
func (f *faults) download(ctx context.Context, url string) (size int, sum string, err error) {
	if err := sleep(ctx, f.between(f.opts.DownloadTime)); err != nil {
		return 0, "", err
	}
	switch {
	case f.inOutage():
		return 0, "", fmt.Errorf("GET %s: %w", url, errMirrorDown)
	case f.chance(f.opts.DownloadFailRate):
		return 0, "", fmt.Errorf("GET %s: %w", url, errConnReset)
	case f.chance(f.opts.CorruptRate):
		return 1 << 20, "00000000", nil
	}
	return 1<<20 + len(url), checksum(url), nil
}

// process unpacks a downloaded file, taking a while, and returns how many
// records it held, or ctx's error when ctx ends first.
func (f *faults) process(ctx context.Context, job string) (records int, err error) {
	if err := sleep(ctx, f.between(f.opts.ProcessTime)); err != nil {
		return 0, err
	}
	if f.chance(f.opts.ProcessFailRate) {
		return 0, fmt.Errorf("processing %s: %w", job, errTruncated)
	}
	return 100 + int(crc32.ChecksumIEEE([]byte(job))%900), nil
}

// checksum is the checksum a correct download of url has.
func checksum(url string) string {
	return fmt.Sprintf("%08x", crc32.ChecksumIEEE([]byte(url)))
}

// sleep waits for d, or returns ctx's error if ctx ends first.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
