package server

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"testing"
)

var discardLogger = slog.New(slog.DiscardHandler)

func TestFrameReaderPassesValidStream(t *testing.T) {
	in := validStream(t, 2)
	out, err := io.ReadAll(newFrameReader(bytes.NewReader(in), 64<<10))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(in, out) {
		t.Error("the stream changed on its way through")
	}
}

func TestFrameReaderRejects(t *testing.T) {
	// a type definition: length 2, type ID -65 (0x81 in gob's signed form)
	typeDef := []byte{0x02, 0xFF, 0x81}
	for _, tc := range []struct {
		name string
		in   []byte
		want error
	}{
		{"declared length over the limit", []byte{0xFD, 0x01, 0x00, 0x01, 0x02}, ErrMsgTooLarge},
		{"largest declared length", []byte{0xF8, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}, ErrMsgTooLarge},
		{"empty message", []byte{0x00}, ErrMalformed},
		{"integer header of 9 bytes", []byte{0xF7, 0, 0, 0, 0, 0, 0, 0, 0, 0}, ErrMalformed},
		{"truncated length", []byte{0xFE, 0x01}, io.ErrUnexpectedEOF},
		{"length without a type ID", []byte{0x05}, io.ErrUnexpectedEOF},
		{"type definition flood", bytes.Repeat(typeDef, maxTypes+1), ErrTooManyTypes},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := io.ReadAll(newFrameReader(bytes.NewReader(tc.in), 64<<10))
			if !errors.Is(err, tc.want) {
				t.Errorf("got %v, want %v", err, tc.want)
			}
		})
	}
}

// The limit is checked before the message is read: a peer declaring a huge
// message and sending nothing more is refused at once.
func TestFrameReaderChecksBeforeReading(t *testing.T) {
	r := io.MultiReader(bytes.NewReader([]byte{0xFC, 0x40, 0x00, 0x00, 0x00}), blockingReader{})
	if _, err := newFrameReader(r, 1<<20).Read(make([]byte, 16)); !errors.Is(err, ErrMsgTooLarge) {
		t.Errorf("got %v, want ErrMsgTooLarge", err)
	}
}

// blockingReader fails the test if read: nothing past the header may be.
type blockingReader struct{}

func (blockingReader) Read([]byte) (int, error) { panic("read past a refused header") }
