package amtele

import (
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/amkit-dev/amkit/internal/ratelog"
)

// DefaultErrorLogInterval is how often [NewOtelProvidersFromEnv]'s error
// handler logs, at most.
const DefaultErrorLogInterval = 10 * time.Second

// RateLimitedErrorHandler is an OpenTelemetry error handler
// ([go.opentelemetry.io/otel.ErrorHandler]) that logs at most one line per
// interval. An exporter whose backend is down reports an error per failed
// batch, several per second; the handler logs the first at once, then one
// line per interval with the number of errors since and the last one's
// text, cut to a few hundred bytes.
type RateLimitedErrorHandler struct {
	interval time.Duration
	logger   *slog.Logger
	total    atomic.Uint64
	limiter  *ratelog.Limiter
}

// NewRateLimitedErrorHandler returns a handler that logs to logger (nil
// means [slog.Default] at the time of logging) at most once per interval
// (zero means [DefaultErrorLogInterval]).
func NewRateLimitedErrorHandler(interval time.Duration, logger *slog.Logger) *RateLimitedErrorHandler {
	if interval <= 0 {
		interval = DefaultErrorLogInterval
	}
	h := &RateLimitedErrorHandler{interval: interval, logger: logger}
	h.limiter = ratelog.New(interval, h.log)
	return h
}

// Handle counts err and logs it, or leaves it to the next line.
func (h *RateLimitedErrorHandler) Handle(err error) {
	if err == nil {
		return
	}
	h.total.Add(1)
	h.limiter.Report(err)
}

// Errors returns how many errors the handler has received.
func (h *RateLimitedErrorHandler) Errors() uint64 { return h.total.Load() }

func (h *RateLimitedErrorHandler) log(n uint64, text string) {
	l := h.logger
	if l == nil {
		l = slog.Default()
	}
	l.Error("opentelemetry: export failing", "errors", n, "interval", h.interval, "last", text)
}
