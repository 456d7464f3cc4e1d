package recording

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"os"
)

// Reader reads a recording's records in order.
type Reader struct {
	dec     *gob.Decoder
	file    *os.File
	version int
	count   int
	err     error
}

// NewReader checks the header of the recording in r. It returns an error
// wrapping [ErrFormat] for anything but a recording of a known version.
func NewReader(r io.Reader) (*Reader, error) {
	br := bufio.NewReader(r)
	header := make([]byte, len(Magic)+2)
	if _, err := io.ReadFull(br, header); err != nil {
		return nil, fmt.Errorf("%w: reading the header: %w", ErrFormat, err)
	}
	if string(header[:len(Magic)]) != Magic {
		return nil, fmt.Errorf("%w: no %q header", ErrFormat, Magic)
	}
	version := int(binary.BigEndian.Uint16(header[len(Magic):]))
	if version != Version {
		return nil, fmt.Errorf("%w: version %d, this reader knows %d", ErrFormat, version, Version)
	}
	zr, err := gzip.NewReader(br)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrFormat, readErr(err))
	}
	return &Reader{dec: gob.NewDecoder(zr), version: version}, nil
}

// Open opens the recording at path; [Reader.Close] closes the file.
func Open(path string) (*Reader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open recording: %w", err)
	}
	r, err := NewReader(f)
	if err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("open recording %s: %w", path, err)
	}
	r.file = f
	return r, nil
}

// Version returns the recording's format version.
func (r *Reader) Version() int { return r.version }

// Next returns the next record. At the end of a complete recording it
// returns io.EOF; at the end of a truncated one, an error wrapping
// [ErrTruncated]. Once it has returned an error, it returns the same one.
func (r *Reader) Next() (*Record, error) {
	if r.err != nil {
		return nil, r.err
	}
	var rec Record
	if err := r.dec.Decode(&rec); err != nil {
		if err == io.EOF {
			r.err = io.EOF
		} else {
			r.err = fmt.Errorf("read record %d: %w", r.count+1, readErr(err))
		}
		return nil, r.err
	}
	if rec.Msg == nil {
		r.err = fmt.Errorf("read record %d: no message", r.count+1)
		return nil, r.err
	}
	r.count++
	return &rec, nil
}

// Close closes the file of a reader from [Open].
func (r *Reader) Close() error {
	if r.file == nil {
		return nil
	}
	if err := r.file.Close(); err != nil {
		return fmt.Errorf("close recording: %w", err)
	}
	return nil
}

// readErr reports a stream that stops early as truncation.
func readErr(err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return ErrTruncated
	}
	return err
}
