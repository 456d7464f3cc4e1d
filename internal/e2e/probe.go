package e2e

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"sync"
)

var (
	portsMu sync.Mutex
	// handedOut keeps this test binary from giving the same port to two
	// backends: the kernel may hand out a just-closed port again.
	handedOut = map[int]bool{}
)

// freePorts reserves n distinct free TCP ports on 127.0.0.1. They are free
// when returned; startBackend retries if one is taken before use.
func freePorts(n int) ([]int, error) {
	portsMu.Lock()
	defer portsMu.Unlock()
	var (
		ports     []int
		listeners []net.Listener
	)
	defer func() {
		for _, l := range listeners {
			l.Close()
		}
	}()
	for len(ports) < n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("finding a free port on 127.0.0.1: %w", err)
		}
		listeners = append(listeners, l)
		port := l.Addr().(*net.TCPAddr).Port
		if handedOut[port] {
			continue
		}
		handedOut[port] = true
		ports = append(ports, port)
	}
	return ports, nil
}

// hostPort formats a loopback address.
func hostPort(port int) string { return fmt.Sprintf("127.0.0.1:%d", port) }

// httpOK returns a readiness probe that wants a 200 from url.
func httpOK(url string) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return fmt.Errorf("building request for %s: %w", url, err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return fmt.Errorf("GET %s: %w", url, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("GET %s: status %s", url, resp.Status)
		}
		return nil
	}
}

// tcpOpen returns a readiness probe that wants addr to accept connections.
func tcpOpen(addr string) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		var d net.Dialer
		c, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			return fmt.Errorf("dialing %s: %w", addr, err)
		}
		return c.Close()
	}
}

// allOf combines readiness probes; all must pass.
func allOf(probes ...func(ctx context.Context) error) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		for _, p := range probes {
			if err := p(ctx); err != nil {
				return err
			}
		}
		return nil
	}
}
