package recording

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"testing"
	"time"

	"github.com/amkit-dev/amkit/pkg/telemetry/dbg"
)

// gzipped returns a current recording's header, then stream compressed.
func gzipped(t *testing.T, stream []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	buf.WriteString(Magic)
	buf.Write(binary.BigEndian.AppendUint16(nil, Version))
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(stream); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// A recording that decompresses past MaxBytes stops there with ErrFormat,
// however small the file.
func TestDecompressedLimit(t *testing.T) {
	defer func(old int64) { maxBytes = old }(maxBytes)
	maxBytes = 1 << 20
	var file bytes.Buffer
	w, err := NewWriter(&file)
	if err != nil {
		t.Fatal(err)
	}
	rec := &Record{ClientID: "c", Conn: 1, Msg: &dbg.DbgMsgDispose{MachineID: "m", Time: time.Unix(1, 0)}}
	for range 200_000 {
		if err := w.Write(rec); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	r, err := NewReader(&file)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for ; ; n++ {
		if _, err = r.Next(); err != nil {
			break
		}
	}
	if !errors.Is(err, ErrFormat) || n == 0 || n == 200_000 {
		t.Errorf("read %d of 200000 records, then %v; want ErrFormat after 1 MiB", n, err)
	}
}

// Record lengths a damaged or hostile file may declare: over the limit
// or not a number fails at once; a length the stream does not hold is
// truncation.
func TestDeclaredLengths(t *testing.T) {
	for name, c := range map[string]struct {
		stream []byte
		want   error
	}{
		"over the limit":  {binary.AppendUvarint(nil, MaxRecordBytes+1), ErrFormat},
		"2^63":            {binary.AppendUvarint(nil, 1<<63), ErrFormat},
		"overlong":        {bytes.Repeat([]byte{0xff}, 11), ErrFormat},
		"cut in length":   {[]byte{0xff}, ErrTruncated},
		"cut short":       {append(binary.AppendUvarint(nil, MaxRecordBytes), 1, 2, 3), ErrTruncated},
		"empty record":    {binary.AppendUvarint(nil, 0), ErrFormat},
		"garbage message": {append(binary.AppendUvarint(nil, 8), 0, 1, 'c', 1, 0, 9, 9, 9), ErrFormat},
	} {
		t.Run(name, func(t *testing.T) {
			r, err := NewReader(bytes.NewReader(gzipped(t, c.stream)))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := r.Next(); !errors.Is(err, c.want) {
				t.Errorf("Next: %v, want %v", err, c.want)
			}
		})
	}
}
