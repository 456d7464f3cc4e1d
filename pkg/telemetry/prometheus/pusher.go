package amprom

import (
	"github.com/prometheus/client_golang/prometheus/push"

	"github.com/amkit-dev/amkit/internal/httpbound"
)

// NewPusher returns a pusher to the Pushgateway at url, for job, whose HTTP
// client has a timeout and reads at most a few KiB of a response. A pusher
// of push.New uses http.DefaultClient, which has no timeout, and reads a
// whole error body into the error it returns: a gateway answering with a
// huge body would cost that much memory and log.
func NewPusher(url, job string) *push.Pusher {
	return push.New(url, job).Client(httpbound.Client(maxPushTimeout, httpbound.DefaultMaxBody))
}
