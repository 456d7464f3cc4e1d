package recording

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/amkit-dev/amkit/pkg/telemetry/dbg"
)

// Reader reads a recording's records in order.
type Reader struct {
	r       *bufio.Reader
	buf     bytes.Buffer
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
	if version < oldestVersion || version > Version {
		return nil, fmt.Errorf("%w: version %d, this reader knows %d to %d", ErrFormat, version, oldestVersion, Version)
	}
	zr, err := gzip.NewReader(br)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrFormat, readErr(err))
	}
	return &Reader{r: bufio.NewReader(&limitReader{r: zr, left: maxBytes}), version: version}, nil
}

// maxBytes is MaxBytes, lowered by tests.
var maxBytes int64 = MaxBytes

// limitReader fails once more than left bytes were read through it.
type limitReader struct {
	r    io.Reader
	left int64
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.left <= 0 {
		return 0, fmt.Errorf("%w: more than %d bytes decompressed", ErrFormat, maxBytes)
	}
	if int64(len(p)) > l.left {
		p = p[:l.left]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	return n, err
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
	rec, err := r.next()
	if err != nil {
		if err != io.EOF {
			err = fmt.Errorf("read record %d: %w", r.count+1, err)
		}
		r.err = err
		return nil, err
	}
	r.count++
	return rec, nil
}

func (r *Reader) next() (*Record, error) {
	n, err := r.length()
	if err != nil {
		return nil, err
	}
	if n > MaxRecordBytes {
		return nil, fmt.Errorf("%w: %d bytes, over %d", ErrFormat, n, MaxRecordBytes)
	}
	r.buf.Reset()
	// copying grows the buffer with what arrives, not with what the
	// length claims
	if _, err := io.CopyN(&r.buf, r.r, int64(n)); err != nil {
		return nil, readErr(err)
	}
	return decodeRecord(r.buf.Bytes())
}

// length reads a record's length prefix. At a clean end of the gzip
// stream, checksum verified, it returns io.EOF.
func (r *Reader) length() (uint64, error) {
	var buf [binary.MaxVarintLen64]byte
	for i := range buf {
		b, err := r.r.ReadByte()
		if err != nil {
			if i == 0 && err == io.EOF {
				return 0, io.EOF
			}
			return 0, readErr(err)
		}
		buf[i] = b
		if b < 0x80 {
			if n, k := binary.Uvarint(buf[:i+1]); k > 0 {
				return n, nil
			}
			break
		}
	}
	return 0, fmt.Errorf("%w: bad record length", ErrFormat)
}

func decodeRecord(b []byte) (*Record, error) {
	var rec Record
	received, n := binary.Varint(b)
	if n <= 0 {
		return nil, fmt.Errorf("%w: bad receive time", ErrFormat)
	}
	if received != 0 {
		rec.Received = time.Unix(0, received)
	}
	b = b[n:]
	size, n := binary.Uvarint(b)
	if n <= 0 || size > uint64(len(b)-n) {
		return nil, fmt.Errorf("%w: bad client ID", ErrFormat)
	}
	rec.ClientID = string(b[n : n+int(size)])
	b = b[n+int(size):]
	if rec.Conn, n = binary.Uvarint(b); n <= 0 {
		return nil, fmt.Errorf("%w: bad connection number", ErrFormat)
	}
	b = b[n:]
	if rec.Dropped, n = binary.Uvarint(b); n <= 0 {
		return nil, fmt.Errorf("%w: bad drop count", ErrFormat)
	}
	msg, used, err := dbg.DecodeMsg(b[n:])
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrFormat, err)
	}
	if n+used != len(b) {
		return nil, fmt.Errorf("%w: %d bytes after the message", ErrFormat, len(b)-n-used)
	}
	rec.Msg = msg
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
