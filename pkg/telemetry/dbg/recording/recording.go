// Package recording reads and writes am-dbg recordings: the messages a
// debugger server received from [dbg.Tracer] clients, in arrival order.
//
// # Format, version 3
//
//	bytes 0-7   magic "AMDBGREC"
//	bytes 8-9   format version, big-endian uint16: 3
//	bytes 10-   a gzip stream (RFC 1952) of records
//
// Each record is a uvarint (encoding/binary) giving its length, then:
//
//	varint   Received, in Unix nanoseconds (0 for none)
//	string   ClientID
//	uvarint  Conn
//	uvarint  Dropped
//	message  the message, framed as by [dbg.AppendMsg]
//
// A string is a uvarint length and that many bytes of UTF-8. The message
// uses dbg's binary encoding, described in package dbg. A new version
// changes the number; readers refuse versions they do not know.
//
// Version 2 added machine disposals ([dbg.DbgMsgDispose]) to the messages
// a record may hold, version 3 handler timeouts
// ([dbg.DbgMsgHandlerTimeout]), dry runs ([dbg.DbgMsgTx.CheckOnly]) and
// handler durations ([dbg.DbgMsgTx.HandlerDurations]);
// older versions are otherwise the same, and this package reads them all.
//
// The writer flushes the gzip stream on [Writer.Flush] (am-dbg does so
// every second) and on [Writer.Close], which also writes gzip's checksum
// trailer. A file cut short by a crash holds every record up to the last
// flush: [Reader.Next] returns them, then [ErrTruncated].
package recording

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/amkit-dev/amkit/pkg/telemetry/dbg"
)

// Magic starts every recording.
const Magic = "AMDBGREC"

// Version is the format version this package writes.
const Version = 3

// oldestVersion is the oldest format version this package reads.
const oldestVersion = 1

var (
	// ErrFormat reports a file that is not a recording, or one of a
	// version this package cannot read.
	ErrFormat = errors.New("not a readable am-dbg recording")
	// ErrTruncated reports a recording that ends in the middle of a record
	// or without gzip's trailer, as after a crash. The records before it
	// are intact. It wraps io.ErrUnexpectedEOF.
	ErrTruncated = fmt.Errorf("recording truncated: %w", io.ErrUnexpectedEOF)
)

// MaxRecordBytes bounds one record, so that a damaged or hostile file
// cannot make a reader allocate without limit: a record is read into a
// buffer of at most this size, and its message decodes to at most
// [dbg.MaxDecodeFactor] times it plus [dbg.DecodeAllowance], about
// 64 MiB in all. It is twice the dbg server's default message limit, so
// it holds any message a default server accepts; a writer refuses larger
// records.
const MaxRecordBytes = 2 << 20

// MaxBytes bounds the decompressed size of a whole recording, about 64
// GiB. Reading never holds more than a record at a time, but gzip
// expands up to a thousand times: without a bound, a file of megabytes
// could keep a reader decompressing for hours. A reader fails with
// [ErrFormat] past it.
const MaxBytes = 64 << 30

// Record is one message as the server received it.
type Record struct {
	// Received is when the server received the batch holding the message.
	Received time.Time
	// ClientID identifies the sending tracer ([dbg.Batch.ClientID]).
	ClientID string
	// Conn is the server's number for the connection (server.Peer.ID);
	// a client that reconnected has several.
	Conn uint64
	// Dropped is the client's drop count when the batch arrived
	// ([dbg.Batch.Dropped]).
	Dropped uint64
	// Msg is the message.
	Msg dbg.DbgMsg
}
