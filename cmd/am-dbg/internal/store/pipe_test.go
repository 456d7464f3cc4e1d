package store_test

import (
	"net"
	"strconv"

	"github.com/amkit-dev/amkit/cmd/am-dbg/internal/store"
)

// pipeListener hands out in-memory connections through an inbox's
// listener, so tests see connections open and close as the server would.
type pipeListener struct {
	net.Listener
	accepted chan net.Conn
	n        int
}

type pipeConn struct {
	addr   string
	client net.Conn
	server net.Conn
}

func newPipeListener(in *store.Inbox) *pipeListener {
	pl := &pipeListener{accepted: make(chan net.Conn, 1)}
	pl.Listener = in.Listener(&chanListener{conns: pl.accepted})
	return pl
}

// dial opens a connection and accepts it through the inbox.
func (pl *pipeListener) dial() *pipeConn {
	pl.n++
	a, b := net.Pipe()
	addr := "pipe-" + strconv.Itoa(pl.n)
	pl.accepted <- &addrConn{Conn: b, addr: addr}
	c, err := pl.Accept()
	if err != nil {
		panic(err)
	}
	return &pipeConn{addr: addr, client: a, server: c}
}

func (c *pipeConn) close() {
	c.client.Close()
	c.server.Close()
}

type chanListener struct {
	conns chan net.Conn
}

func (l *chanListener) Accept() (net.Conn, error) { return <-l.conns, nil }
func (l *chanListener) Close() error              { return nil }
func (l *chanListener) Addr() net.Addr            { return pipeAddr("pipe") }

type addrConn struct {
	net.Conn
	addr string
}

func (c *addrConn) RemoteAddr() net.Addr { return pipeAddr(c.addr) }

type pipeAddr string

func (a pipeAddr) Network() string { return "pipe" }
func (a pipeAddr) String() string  { return string(a) }
