package recording

import (
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"io"
	"os"

	"github.com/amkit-dev/amkit/pkg/telemetry/dbg"
)

// Writer writes a recording. It is not safe for concurrent use.
type Writer struct {
	zw    *gzip.Writer
	file  *os.File
	buf   []byte
	count int
}

// NewWriter writes the header to w and returns a writer for the records.
// The header and gzip's own header are flushed at once, so even an empty
// recording is recognizable.
func NewWriter(w io.Writer) (*Writer, error) {
	header := make([]byte, len(Magic)+2)
	copy(header, Magic)
	binary.BigEndian.PutUint16(header[len(Magic):], Version)
	if _, err := w.Write(header); err != nil {
		return nil, fmt.Errorf("write recording header: %w", err)
	}
	zw := gzip.NewWriter(w)
	if err := zw.Flush(); err != nil {
		return nil, fmt.Errorf("write recording header: %w", err)
	}
	return &Writer{zw: zw}, nil
}

// Create creates (or truncates) the file at path and returns a writer to
// it; [Writer.Close] closes the file.
func Create(path string) (*Writer, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("create recording: %w", err)
	}
	w, err := NewWriter(f)
	if err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("create recording %s: %w", path, err)
	}
	w.file = f
	return w, nil
}

// Write appends a record. It reaches the file on the next
// [Writer.Flush] or [Writer.Close].
func (w *Writer) Write(r *Record) error {
	if r.Msg == nil {
		return fmt.Errorf("write record %d: no message", w.count+1)
	}
	// the body goes after room for its length, which is filled in last
	const room = binary.MaxVarintLen64
	body := appendRecord(append(w.buf[:0], make([]byte, room)...), r)
	n := len(body) - room
	if n > MaxRecordBytes {
		return fmt.Errorf("write record %d: %d bytes, over %d", w.count+1, n, MaxRecordBytes)
	}
	var head [binary.MaxVarintLen64]byte
	hn := binary.PutUvarint(head[:], uint64(n))
	start := room - hn
	copy(body[start:], head[:hn])
	w.buf = body
	if _, err := w.zw.Write(body[start:]); err != nil {
		return fmt.Errorf("write record %d: %w", w.count+1, err)
	}
	w.count++
	return nil
}

func appendRecord(b []byte, r *Record) []byte {
	var received int64
	if !r.Received.IsZero() {
		received = r.Received.UnixNano()
	}
	b = binary.AppendVarint(b, received)
	b = binary.AppendUvarint(b, uint64(len(r.ClientID)))
	b = append(b, r.ClientID...)
	b = binary.AppendUvarint(b, r.Conn)
	b = binary.AppendUvarint(b, r.Dropped)
	return dbg.AppendMsg(b, r.Msg)
}

// Count returns how many records were written.
func (w *Writer) Count() int { return w.count }

// Flush writes the records so far to the underlying writer, so that they
// survive a crash of the process.
func (w *Writer) Flush() error {
	if err := w.zw.Flush(); err != nil {
		return fmt.Errorf("flush recording: %w", err)
	}
	return nil
}

// Close flushes, ends the gzip stream with its checksum and, for a writer
// from [Create], closes the file.
func (w *Writer) Close() error {
	err := w.zw.Close()
	if w.file != nil {
		if cerr := w.file.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		return fmt.Errorf("close recording: %w", err)
	}
	return nil
}
