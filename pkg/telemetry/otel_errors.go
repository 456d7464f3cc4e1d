package amtele

import (
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"
)

// DefaultErrorLogInterval is how often [NewOtelProvidersFromEnv]'s error
// handler logs, at most.
const DefaultErrorLogInterval = 10 * time.Second

// maxErrorText bounds the error text of one log line: a backend's error
// body can be megabytes, and exporters quote it.
const maxErrorText = 512

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

	mu sync.Mutex
	// lastLog is when a line was logged last; suppressed counts the errors
	// since, of which last is the latest, logged by flush.
	lastLog    time.Time
	suppressed uint64
	last       string
	flush      *time.Timer
}

// NewRateLimitedErrorHandler returns a handler that logs to logger (nil
// means [slog.Default] at the time of logging) at most once per interval
// (zero means [DefaultErrorLogInterval]).
func NewRateLimitedErrorHandler(interval time.Duration, logger *slog.Logger) *RateLimitedErrorHandler {
	if interval <= 0 {
		interval = DefaultErrorLogInterval
	}
	return &RateLimitedErrorHandler{interval: interval, logger: logger}
}

// Handle counts err and logs it, or leaves it to the next line.
func (h *RateLimitedErrorHandler) Handle(err error) {
	if err == nil {
		return
	}
	h.total.Add(1)
	now := time.Now()
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.flush == nil && (h.lastLog.IsZero() || now.Sub(h.lastLog) >= h.interval) {
		h.lastLog = now
		h.log(1, errorText(err))
		return
	}
	h.suppressed++
	h.last = errorText(err)
	if h.flush == nil {
		h.flush = time.AfterFunc(h.lastLog.Add(h.interval).Sub(now), h.flushSuppressed)
	}
}

// Errors returns how many errors the handler has received.
func (h *RateLimitedErrorHandler) Errors() uint64 { return h.total.Load() }

// flushSuppressed logs the errors held back since the last line.
func (h *RateLimitedErrorHandler) flushSuppressed() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.flush = nil
	if h.suppressed == 0 {
		return
	}
	h.lastLog = time.Now()
	h.log(h.suppressed, h.last)
	h.suppressed, h.last = 0, ""
}

// log writes one line; the caller holds mu, so lines keep their order.
func (h *RateLimitedErrorHandler) log(n uint64, text string) {
	l := h.logger
	if l == nil {
		l = slog.Default()
	}
	l.Error("opentelemetry: export failing", "errors", n, "interval", h.interval, "last", text)
}

// errorText returns err's text cut to maxErrorText bytes, on a rune
// boundary.
func errorText(err error) string {
	s := err.Error()
	if len(s) <= maxErrorText {
		return s
	}
	cut := maxErrorText
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
