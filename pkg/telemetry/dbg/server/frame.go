package server

import (
	"bufio"
	"errors"
	"fmt"
	"io"
)

// maxTypes bounds the gob type definitions one connection may send. The
// protocol uses about 20; every definition costs the decoder memory for
// the rest of the connection.
const maxTypes = 256

// frameReader passes a gob stream through to the decoder, checking each
// message's length prefix before gob reads it. gob would otherwise accept
// messages of up to gigabytes, and buffer each one whole before decoding.
// It also counts type definitions (messages whose type ID is negative).
type frameReader struct {
	r     *bufio.Reader
	max   int
	left  int
	types int
}

func newFrameReader(r io.Reader, maxMsg int) *frameReader {
	return &frameReader{r: bufio.NewReader(r), max: maxMsg}
}

// Read reads within the current message, checking the next one's header
// first when the current one is done.
func (f *frameReader) Read(p []byte) (int, error) {
	if f.left == 0 {
		if err := f.next(); err != nil {
			return 0, err
		}
	}
	if len(p) > f.left {
		p = p[:f.left]
	}
	n, err := f.r.Read(p)
	f.left -= n
	return n, err
}

// next checks the header of the next message without consuming it: its
// length, gob's unsigned integer encoding (one byte below 0x80, otherwise a
// negated byte count followed by big-endian bytes), and its type ID.
func (f *frameReader) next() error {
	size, prefix, err := f.peekUint(0)
	if err != nil {
		return err
	}
	if size == 0 {
		return fmt.Errorf("%w: empty gob message", ErrMalformed)
	}
	if size > uint64(f.max) {
		return fmt.Errorf("%w: %d bytes, limit %d", ErrMsgTooLarge, size, f.max)
	}
	id, _, err := f.peekUint(prefix)
	if err != nil {
		return err
	}
	// gob's signed encoding keeps the sign in the lowest bit
	if id&1 == 1 {
		f.types++
		if f.types > maxTypes {
			return fmt.Errorf("%w: more than %d", ErrTooManyTypes, maxTypes)
		}
	}
	f.left = prefix + int(size)
	return nil
}

// peekUint decodes a gob unsigned integer starting at offset bytes ahead,
// returning it and the offset just past it.
func (f *frameReader) peekUint(offset int) (v uint64, end int, err error) {
	head, err := f.r.Peek(offset + 1)
	if err != nil {
		return 0, 0, f.peekErr(offset, err)
	}
	b := head[offset]
	if b < 0x80 {
		return uint64(b), offset + 1, nil
	}
	n := -int(int8(b))
	if n < 1 || n > 8 {
		return 0, 0, fmt.Errorf("%w: bad integer header %#x", ErrMalformed, b)
	}
	head, err = f.r.Peek(offset + 1 + n)
	if err != nil {
		return 0, 0, f.peekErr(1, err)
	}
	for _, c := range head[offset+1:] {
		v = v<<8 | uint64(c)
	}
	return v, offset + 1 + n, nil
}

// peekErr keeps a clean EOF between messages, and reports one within a
// message as truncation.
func (f *frameReader) peekErr(offset int, err error) error {
	if errors.Is(err, io.EOF) && offset > 0 {
		return io.ErrUnexpectedEOF
	}
	return err
}
