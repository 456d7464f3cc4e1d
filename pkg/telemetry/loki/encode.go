package loki

import (
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/klauspost/compress/s2"
	"google.golang.org/protobuf/encoding/protowire"
)

// Field numbers of Loki's push messages (package logproto, push.proto)
// and of google.protobuf.Timestamp.
const (
	fieldRequestStreams protowire.Number = 1 // PushRequest.streams, StreamAdapter

	fieldStreamLabels  protowire.Number = 1 // StreamAdapter.labels, string
	fieldStreamEntries protowire.Number = 2 // StreamAdapter.entries, EntryAdapter

	fieldEntryTimestamp protowire.Number = 1 // EntryAdapter.timestamp, Timestamp
	fieldEntryLine      protowire.Number = 2 // EntryAdapter.line, string
	fieldEntryMetadata  protowire.Number = 3 // EntryAdapter.structuredMetadata, LabelPairAdapter

	fieldPairName  protowire.Number = 1 // LabelPairAdapter.name, string
	fieldPairValue protowire.Number = 2 // LabelPairAdapter.value, string

	fieldTimestampSeconds protowire.Number = 1 // Timestamp.seconds, int64
	fieldTimestampNanos   protowire.Number = 2 // Timestamp.nanos, int32
)

// encoder turns batches into request bodies, reusing its buffers, so that
// a client in a steady state allocates nothing per batch.
type encoder struct {
	raw  []byte // protobuf or JSON
	body []byte // snappy block of raw, for protobuf
	// sizes are those of the entries of the stream being encoded
	sizes []int
}

// encode returns the body of a request carrying b in enc, valid until the
// next call, and its Content-Type.
func (e *encoder) encode(enc Encoding, b *batch) (body []byte, contentType string) {
	if enc == JSON {
		e.raw = appendJSON(e.raw[:0], b)
		return e.raw, "application/json"
	}
	e.raw = e.appendProto(e.raw[:0], b)
	// s2's snappy encoder at its default speed writes standard snappy
	// blocks; its "better" mode, which package snappy uses, costs twice
	// the time for a few percent on log lines
	e.body = s2.EncodeSnappy(e.body[:cap(e.body)], e.raw)
	return e.body, "application/x-protobuf"
}

// appendProto appends b as a logproto.PushRequest. Nested messages are
// length-prefixed, so each size is computed before the message is
// written.
func (e *encoder) appendProto(dst []byte, b *batch) []byte {
	for _, s := range b.streams {
		e.sizes = e.sizes[:0]
		size := protowire.SizeTag(fieldStreamLabels) + protowire.SizeBytes(len(s.key))
		for i := range s.entries {
			n := entrySize(&s.entries[i])
			e.sizes = append(e.sizes, n)
			size += protowire.SizeTag(fieldStreamEntries) + protowire.SizeBytes(n)
		}
		dst = protowire.AppendTag(dst, fieldRequestStreams, protowire.BytesType)
		dst = protowire.AppendVarint(dst, uint64(size))
		dst = protowire.AppendTag(dst, fieldStreamLabels, protowire.BytesType)
		dst = protowire.AppendString(dst, s.key)
		for i := range s.entries {
			dst = protowire.AppendTag(dst, fieldStreamEntries, protowire.BytesType)
			dst = protowire.AppendVarint(dst, uint64(e.sizes[i]))
			dst = appendEntry(dst, &s.entries[i])
		}
	}
	return dst
}

// appendEntry appends the fields of an EntryAdapter.
func appendEntry(dst []byte, e *Entry) []byte {
	sec, nsec := e.Time.Unix(), int32(e.Time.Nanosecond())
	dst = protowire.AppendTag(dst, fieldEntryTimestamp, protowire.BytesType)
	dst = protowire.AppendVarint(dst, uint64(timestampSize(sec, nsec)))
	if sec != 0 {
		dst = protowire.AppendTag(dst, fieldTimestampSeconds, protowire.VarintType)
		dst = protowire.AppendVarint(dst, uint64(sec))
	}
	if nsec != 0 {
		dst = protowire.AppendTag(dst, fieldTimestampNanos, protowire.VarintType)
		dst = protowire.AppendVarint(dst, uint64(nsec))
	}
	dst = protowire.AppendTag(dst, fieldEntryLine, protowire.BytesType)
	dst = protowire.AppendString(dst, e.Line)
	for _, m := range e.Metadata {
		dst = protowire.AppendTag(dst, fieldEntryMetadata, protowire.BytesType)
		dst = protowire.AppendVarint(dst, uint64(pairSize(m)))
		dst = protowire.AppendTag(dst, fieldPairName, protowire.BytesType)
		dst = protowire.AppendString(dst, m.Name)
		dst = protowire.AppendTag(dst, fieldPairValue, protowire.BytesType)
		dst = protowire.AppendString(dst, m.Value)
	}
	return dst
}

// entrySize is the encoded size of e as an EntryAdapter, without its own
// tag and length.
func entrySize(e *Entry) int {
	ts := timestampSize(e.Time.Unix(), int32(e.Time.Nanosecond()))
	n := protowire.SizeTag(fieldEntryTimestamp) + protowire.SizeBytes(ts) +
		protowire.SizeTag(fieldEntryLine) + protowire.SizeBytes(len(e.Line))
	for _, m := range e.Metadata {
		n += protowire.SizeTag(fieldEntryMetadata) + protowire.SizeBytes(pairSize(m))
	}
	return n
}

// timestampSize is the encoded size of a google.protobuf.Timestamp; zero
// fields are left out, as proto3 does.
func timestampSize(sec int64, nsec int32) int {
	n := 0
	if sec != 0 {
		n += protowire.SizeTag(fieldTimestampSeconds) + protowire.SizeVarint(uint64(sec))
	}
	if nsec != 0 {
		n += protowire.SizeTag(fieldTimestampNanos) + protowire.SizeVarint(uint64(nsec))
	}
	return n
}

// pairSize is the encoded size of m as a LabelPairAdapter.
func pairSize(m Label) int {
	return protowire.SizeTag(fieldPairName) + protowire.SizeBytes(len(m.Name)) +
		protowire.SizeTag(fieldPairValue) + protowire.SizeBytes(len(m.Value))
}

// appendJSON appends b in the JSON form of the push API:
//
//	{"streams":[{"stream":{"name":"value"},"values":[["<unix ns>","line",{"meta":"value"}]]}]}
func appendJSON(dst []byte, b *batch) []byte {
	dst = append(dst, `{"streams":[`...)
	for i, s := range b.streams {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"stream":`...)
		dst = appendJSONObject(dst, s.labels)
		dst = append(dst, `,"values":[`...)
		for j := range s.entries {
			e := &s.entries[j]
			if j > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, `["`...)
			dst = strconv.AppendInt(dst, unixNano(e.Time), 10)
			dst = append(dst, `",`...)
			dst = appendJSONString(dst, e.Line)
			if len(e.Metadata) > 0 {
				dst = append(dst, ',')
				dst = appendJSONObject(dst, e.Metadata)
			}
			dst = append(dst, ']')
		}
		dst = append(dst, "]}"...)
	}
	return append(dst, "]}"...)
}

// unixNano is t in nanoseconds since the Unix epoch, clamped to the years
// that int64 nanoseconds can hold (1678 to 2262).
func unixNano(t time.Time) int64 {
	switch {
	case t.Before(minNano):
		return minNano.UnixNano()
	case t.After(maxNano):
		return maxNano.UnixNano()
	}
	return t.UnixNano()
}

var (
	minNano = time.Unix(0, -1<<63)
	maxNano = time.Unix(0, 1<<63-1)
)

// appendJSONObject appends labels as a JSON object of strings. Names that
// repeat are written as given; Loki keeps the last.
func appendJSONObject(dst []byte, labels []Label) []byte {
	dst = append(dst, '{')
	for i, l := range labels {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendJSONString(dst, l.Name)
		dst = append(dst, ':')
		dst = appendJSONString(dst, l.Value)
	}
	return append(dst, '}')
}

// appendJSONString appends s as a JSON string. Invalid UTF-8 becomes
// U+FFFD, as encoding/json does.
func appendJSONString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				dst = append(dst, s[start:i]...)
				dst = append(dst, `\ufffd`...)
				i += size
				start = i
				continue
			}
			i += size
			continue
		}
		if c >= 0x20 && c != '"' && c != '\\' {
			i++
			continue
		}
		dst = append(dst, s[start:i]...)
		switch c {
		case '"', '\\':
			dst = append(dst, '\\', c)
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		default:
			dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		}
		i++
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
