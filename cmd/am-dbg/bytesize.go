package main

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// byteSize is a flag value counting bytes, written as a number with an
// optional unit: 1073741824, 1GiB, 512MiB, 64MB, 10k.
type byteSize int64

// byteUnits are the units a byteSize takes, longest first so that "MiB"
// is not read as "B".
var byteUnits = []struct {
	suffix string
	mult   int64
}{
	{"kib", 1 << 10}, {"mib", 1 << 20}, {"gib", 1 << 30}, {"tib", 1 << 40},
	{"kb", 1e3}, {"mb", 1e6}, {"gb", 1e9}, {"tb", 1e12},
	{"k", 1 << 10}, {"m", 1 << 20}, {"g", 1 << 30}, {"t", 1 << 40},
	{"b", 1},
}

func (b *byteSize) Set(s string) error {
	text := strings.ToLower(strings.TrimSpace(s))
	mult := int64(1)
	for _, u := range byteUnits {
		if strings.HasSuffix(text, u.suffix) {
			text, mult = strings.TrimSpace(strings.TrimSuffix(text, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseFloat(text, 64)
	if err != nil {
		return fmt.Errorf("size %q: want a number of bytes, like 1GiB or 512MiB", s)
	}
	if n <= 0 || n*float64(mult) > 1<<62 {
		return errors.New("size " + strconv.Quote(s) + " out of range")
	}
	*b = byteSize(n * float64(mult))
	return nil
}

func (b *byteSize) String() string {
	n := int64(*b)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if n >= u.mult && n%u.mult == 0 {
			return strconv.FormatInt(n/u.mult, 10) + u.suffix
		}
	}
	return strconv.FormatInt(n, 10)
}
