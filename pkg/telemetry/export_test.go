package amtele

import (
	"go.opentelemetry.io/otel/log"

	am "github.com/amkit-dev/amkit/pkg/machine"
)

// NewOtelLogBinder is the tracer that [BindOtelLogger] binds, unbound, so
// that tests can bind it with hooks of their choosing.
func NewOtelLogBinder(provider log.LoggerProvider, serviceID string) am.Tracer {
	return newOtelLogBinder(provider, serviceID)
}

// NewLokiBinder is the logger and the tracer that [NewLokiLogger] binds,
// unbound; see NewOtelLogBinder.
func NewLokiBinder(client LokiClient) (*LokiLogger, am.Tracer, error) {
	b, err := newLokiBinder(client, nil)
	if err != nil {
		return nil, nil, err
	}
	return b.sink, b, nil
}
