package dbg

import (
	"os"
	"time"
)

// DefaultAddr is where the client sends and am-dbg listens when no address
// is given, and what AM_DBG_ADDR=1 means.
const DefaultAddr = "127.0.0.1:7464"

// DefaultMaxMsgBytes is the default size limit of one gob message on the
// wire, shared by the server's limit and the client's batch size.
const DefaultMaxMsgBytes = 1 << 20

// Opts configures a [Tracer]. The zero value gives the defaults.
type Opts struct {
	// QueueSize bounds the transitions waiting to be sent. When it is full,
	// new transitions are dropped and counted. Default 4096.
	QueueSize int
	// MaxBatch bounds the messages sent in one call, at least 2 (a
	// transition and its struct message). Default 512.
	MaxBatch int
	// MaxBatchBytes bounds the encoded size of one batch. It must stay
	// below the server's message limit; a single transition larger than
	// this (for example with thousands of log entries) is dropped and
	// counted. Default DefaultMaxMsgBytes/2.
	MaxBatchBytes int
	// MinBackoff is the wait before reconnecting after a failure; it
	// doubles with each further failure up to MaxBackoff. Defaults 100 ms
	// and 5 s.
	MinBackoff, MaxBackoff time.Duration
	// Timeout bounds dialing and each call. A server that takes longer to
	// acknowledge a batch is disconnected and the batch counted as dropped.
	// Default 5 s.
	Timeout time.Duration
	// Heartbeat is how often an idle client sends an empty batch, so that
	// the server sees it alive and a lost server is noticed. Default 10 s.
	Heartbeat time.Duration
	// Token is sent on each new connection, before any batch
	// ([AuthMethod]), to a server that requires it: am-dbg --token, or
	// its AM_DBG_TOKEN. Default: the AM_DBG_TOKEN environment variable
	// ([EnvToken]); empty sends none. A server that requires no token
	// accepts any; one that predates tokens disconnects a client that
	// sends one, which then delivers nothing.
	Token string
	// MaxLogsBefore bounds the log entries kept per machine between two
	// transitions ([DbgMsgTx.LogsBefore]); older ones are discarded.
	// Default 256.
	MaxLogsBefore int
}

func (o *Opts) withDefaults() Opts {
	var out Opts
	if o != nil {
		out = *o
	}
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	defDur := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&out.QueueSize, 4096)
	def(&out.MaxBatch, 512)
	def(&out.MaxBatchBytes, DefaultMaxMsgBytes/2)
	def(&out.MaxLogsBefore, 256)
	defDur(&out.MinBackoff, 100*time.Millisecond)
	defDur(&out.MaxBackoff, 5*time.Second)
	defDur(&out.Timeout, 5*time.Second)
	defDur(&out.Heartbeat, 10*time.Second)
	if out.Token == "" {
		out.Token = os.Getenv(EnvToken)
	}
	out.MaxBatch = max(out.MaxBatch, 2)
	out.MaxBackoff = max(out.MaxBackoff, out.MinBackoff)
	return out
}
