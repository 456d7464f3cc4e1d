// Package termsafe makes peer-supplied text safe to write to a terminal.
//
// Everything am-dbg shows (machine IDs, state names, args, errors, log
// lines) comes from a peer, or from a recording a peer wrote. Written as
// is, an ESC or CSI sequence in a state name could move the cursor, clear
// the screen, retitle the window, or hide what follows; bidirectional
// overrides could reorder what the user reads. [String] and [Text] turn
// each such character into visible escape text and leave everything else
// alone; text that needs no escaping is returned without allocating.
package termsafe

import (
	"strings"
	"unicode/utf8"
)

// String escapes s for one line of a terminal: every C0 control (newlines
// and tabs included), DEL, every C1 control, the Unicode bidirectional
// controls and line separators, and every byte that is not valid UTF-8.
// A control is written \xNN, a rune \uNNNN, an invalid byte \xNN, so
// for example ESC [ 2 J becomes the text `\x1b[2J`.
func String(s string) string { return escape(s, false) }

// Text is [String] for text that may span lines, such as a log entry: it
// keeps newlines and tabs, and escapes everything else String does,
// carriage returns included, since they overwrite the line.
func Text(s string) string { return escape(s, true) }

func escape(s string, multiline bool) string {
	i := firstUnsafe(s, multiline)
	if i < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	b.WriteString(s[:i])
	for i < len(s) {
		c := s[i]
		if c < utf8.RuneSelf {
			if unsafeASCII(c, multiline) {
				writeHexByte(&b, c)
			} else {
				b.WriteByte(c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			writeHexByte(&b, c)
		case unsafeRune(r):
			writeRune(&b, r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// firstUnsafe returns the index of the first character that needs
// escaping, or -1.
func firstUnsafe(s string, multiline bool) int {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if unsafeASCII(c, multiline) {
				return i
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || unsafeRune(r) {
			return i
		}
		i += size
	}
	return -1
}

func unsafeASCII(c byte, multiline bool) bool {
	if multiline && (c == '\n' || c == '\t') {
		return false
	}
	return c < 0x20 || c == 0x7f
}

// unsafeRune reports the non-ASCII runes a terminal acts on rather than
// shows: C1 controls (U+0080 to U+009F; U+009B alone is a CSI), the line
// and paragraph separators, and the bidirectional embeddings, overrides
// and isolates that reorder the text around them.
func unsafeRune(r rune) bool {
	switch {
	case r >= 0x80 && r <= 0x9f:
		return true
	case r == '\u2028' || r == '\u2029':
		return true
	case r >= '\u202a' && r <= '\u202e', r >= '\u2066' && r <= '\u2069', r == '\u200e', r == '\u200f', r == '\u061c':
		return true
	}
	return false
}

const hexDigits = "0123456789abcdef"

func writeHexByte(b *strings.Builder, c byte) {
	b.WriteString(`\x`)
	b.WriteByte(hexDigits[c>>4])
	b.WriteByte(hexDigits[c&0xf])
}

func writeRune(b *strings.Builder, r rune) {
	b.WriteString(`\u`)
	for shift := 12; shift >= 0; shift -= 4 {
		b.WriteByte(hexDigits[(r>>shift)&0xf])
	}
}
