package e2e

import (
	"context"
	"testing"
)

// PushgatewayBackend is a running Prometheus Pushgateway.
type PushgatewayBackend struct {
	// URL is the base URL to give push.New.
	URL string
	// Addr is host:port, for scrape configs.
	Addr string
	// Dir holds the Pushgateway's log; empty for an existing Pushgateway
	// (EnvPushgatewayURL).
	Dir string
}

// StartPushgateway starts the Debian-packaged Pushgateway on a free loopback
// port, keeping pushed metrics in memory only, or returns the one
// EnvPushgatewayURL names. It skips or fails like Require when the binary
// is missing.
func StartPushgateway(t testing.TB) *PushgatewayBackend {
	t.Helper()
	b, err := startPushgateway(context.Background(), testHost{t})
	mustStart(t, Pushgateway, err)
	return b
}

// startPushgateway starts the Pushgateway for h; ctx bounds the wait until it is ready.
func startPushgateway(ctx context.Context, h host) (*PushgatewayBackend, error) {
	if u := External(Pushgateway); u != "" {
		return startExternalPushgateway(ctx, u)
	}
	g := &PushgatewayBackend{}
	if _, err := startBackend(ctx, h, Pushgateway, func(dir string) (launchSpec, error) {
		ports, err := freePorts(1)
		if err != nil {
			return launchSpec{}, err
		}
		addr := hostPort(ports[0])
		*g = PushgatewayBackend{URL: "http://" + addr, Addr: addr, Dir: dir}
		return launchSpec{
			args: []string{
				"--web.listen-address=" + addr,
				"--log.level=warn",
				// Debian's build persists to a file shared by every
				// run; metrics must live and die with this process
				"--persistence.file=",
			},
			ready: httpOK(g.URL + "/-/ready"),
		}, nil
	}); err != nil {
		return nil, err
	}
	return g, nil
}

// ScrapeTarget returns the target for scraping this Pushgateway with
// honor_labels, so pushed series keep the job label of their pusher.
func (g *PushgatewayBackend) ScrapeTarget() ScrapeTarget {
	return ScrapeTarget{Job: "pushgateway", Addr: g.Addr, HonorLabels: true}
}
