package loki

import (
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/url"
	"slices"
	"time"
)

// PushPath is the path of Loki's push API, appended to [Options.URL] when
// that has no path of its own.
const PushPath = "/loki/api/v1/push"

// Defaults for the zero fields of [Options].
const (
	// DefaultBatchEntries is the default of [Options.BatchEntries].
	DefaultBatchEntries = 1000
	// DefaultBatchBytes is the default of [Options.BatchBytes], 1 MiB.
	DefaultBatchBytes = 1 << 20
	// DefaultBatchWait is the default of [Options.BatchWait].
	DefaultBatchWait = time.Second
	// DefaultQueueSize is the default of [Options.QueueSize].
	DefaultQueueSize = 4096
	// DefaultTimeout is the default of [Options.Timeout].
	DefaultTimeout = 10 * time.Second
	// DefaultMinBackoff is the default of [Options.MinBackoff].
	DefaultMinBackoff = 500 * time.Millisecond
	// DefaultMaxBackoff is the default of [Options.MaxBackoff].
	DefaultMaxBackoff = 30 * time.Second
	// DefaultMaxRetries is the default of [Options.MaxRetries].
	DefaultMaxRetries = 10
	// DefaultErrorLogInterval is the default of
	// [Options.ErrorLogInterval].
	DefaultErrorLogInterval = time.Minute
)

// Encoding is the wire format of push requests.
type Encoding int

const (
	// Protobuf sends logproto.PushRequest messages compressed with snappy
	// (Content-Type application/x-protobuf), as Loki's own agents do. It
	// is the default and the most compact.
	Protobuf Encoding = iota
	// JSON sends the JSON form of the push API (Content-Type
	// application/json), which proxies and people can read.
	JSON
)

// String returns "protobuf" or "json".
func (e Encoding) String() string {
	switch e {
	case Protobuf:
		return "protobuf"
	case JSON:
		return "json"
	}
	return fmt.Sprintf("Encoding(%d)", int(e))
}

// Options configures [New]. Only URL is required; a zero field means its
// default.
type Options struct {
	// URL is where to push: a base such as http://127.0.0.1:3100, to
	// which [PushPath] is appended, or a full URL with a path of its own,
	// such as http://127.0.0.1:9428/insert/loki/api/v1/push for
	// VictoriaLogs, used as is.
	URL string
	// Labels are the stream labels of every entry, such as service_name;
	// [Entry.Labels] override them.
	Labels map[string]string
	// Encoding is the wire format; the default is [Protobuf].
	Encoding Encoding

	// BatchEntries is the most entries a request carries. The default is
	// [DefaultBatchEntries].
	BatchEntries int
	// BatchBytes is the size of lines and metadata at which a batch is
	// sent without waiting for more. The default is [DefaultBatchBytes].
	BatchBytes int
	// BatchWait is the longest an entry waits for others to share its
	// request. The default is [DefaultBatchWait].
	BatchWait time.Duration
	// QueueSize bounds the entries waiting to be batched; while it is
	// full, [Client.Push] drops entries. The default is
	// [DefaultQueueSize].
	QueueSize int

	// Timeout bounds each request, from sending it to reading the answer.
	// The default is [DefaultTimeout].
	Timeout time.Duration
	// MinBackoff is the wait before the first retry of a batch; each
	// further retry waits twice as long, up to MaxBackoff. The defaults
	// are [DefaultMinBackoff] and [DefaultMaxBackoff]. A server's
	// Retry-After replaces the backoff, but no wait exceeds MaxBackoff.
	MinBackoff, MaxBackoff time.Duration
	// MaxRetries is how often a batch is sent again before it is given
	// up. The default is [DefaultMaxRetries]; a negative value means no
	// retries.
	MaxRetries int

	// TenantID, when set, is sent as X-Scope-OrgID, the tenant of a
	// multi-tenant Loki.
	TenantID string
	// Username and Password, when Username is set, are sent as basic
	// authentication.
	Username, Password string
	// BearerToken, when set, is sent as "Authorization: Bearer ...". It
	// cannot be combined with Username.
	BearerToken string
	// Headers are added to every request, for proxies and gateways. They
	// cannot replace Content-Type, Content-Encoding, Authorization or
	// X-Scope-OrgID, which the client and the fields above control.
	Headers http.Header
	// HTTPClient sends the requests; the default is a client of its own
	// on [http.DefaultTransport] that follows no redirect: a redirected
	// POST would come back as a GET without the batch, and the
	// credentials would go to another host. Timeout applies on top of the
	// client's own timeout.
	HTTPClient *http.Client

	// ErrorLog receives delivery failures; nil means the log package's
	// standard logger, and log.New(io.Discard, "", 0) silences it.
	// Failures are summarized: at most one line per ErrorLogInterval.
	ErrorLog *log.Logger
	// ErrorLogInterval is the least time between two lines on ErrorLog.
	// The default is [DefaultErrorLogInterval].
	ErrorLogInterval time.Duration
}

// config is Options with defaults applied and the URL parsed.
type config struct {
	Options
	pushURL string
	// labels are Options.Labels without empty values, sorted by name
	labels []Label
}

// newConfig checks opts and fills in defaults.
func newConfig(opts Options) (*config, error) {
	c := &config{Options: opts}
	u, err := url.Parse(opts.URL)
	if err != nil {
		return nil, fmt.Errorf("loki: URL %q: %w", opts.URL, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("loki: URL %q: want http:// or https:// and a host", opts.URL)
	}
	if u.Path == "" || u.Path == "/" {
		u.Path = PushPath
	}
	c.pushURL = u.String()

	if opts.Encoding != Protobuf && opts.Encoding != JSON {
		return nil, fmt.Errorf("loki: unknown %v", opts.Encoding)
	}
	for _, f := range []struct {
		name string
		v    int64
	}{
		{"BatchEntries", int64(opts.BatchEntries)},
		{"BatchBytes", int64(opts.BatchBytes)},
		{"BatchWait", int64(opts.BatchWait)},
		{"QueueSize", int64(opts.QueueSize)},
		{"Timeout", int64(opts.Timeout)},
		{"MinBackoff", int64(opts.MinBackoff)},
		{"MaxBackoff", int64(opts.MaxBackoff)},
		{"ErrorLogInterval", int64(opts.ErrorLogInterval)},
	} {
		if f.v < 0 {
			return nil, fmt.Errorf("loki: negative %s %d", f.name, f.v)
		}
	}
	setDefault(&c.BatchEntries, DefaultBatchEntries)
	setDefault(&c.BatchBytes, DefaultBatchBytes)
	setDefault(&c.BatchWait, DefaultBatchWait)
	setDefault(&c.QueueSize, DefaultQueueSize)
	setDefault(&c.Timeout, DefaultTimeout)
	setDefault(&c.MinBackoff, DefaultMinBackoff)
	setDefault(&c.MaxBackoff, DefaultMaxBackoff)
	setDefault(&c.MaxRetries, DefaultMaxRetries)
	setDefault(&c.ErrorLogInterval, DefaultErrorLogInterval)
	c.MaxRetries = max(c.MaxRetries, 0)
	if c.MinBackoff > c.MaxBackoff {
		return nil, fmt.Errorf("loki: MinBackoff %v above MaxBackoff %v", c.MinBackoff, c.MaxBackoff)
	}

	if opts.Username != "" && opts.BearerToken != "" {
		return nil, errors.New("loki: both basic authentication and a bearer token")
	}
	for name := range opts.Headers {
		switch http.CanonicalHeaderKey(name) {
		case "Content-Type", "Content-Encoding", "Authorization", "X-Scope-Orgid":
			return nil, fmt.Errorf("loki: header %s is set by the client", name)
		}
	}
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{
			Transport: http.DefaultTransport,
			CheckRedirect: func(*http.Request, []*http.Request) error {
				return http.ErrUseLastResponse
			},
		}
	}
	if c.ErrorLog == nil {
		c.ErrorLog = log.Default()
	}

	for name, value := range opts.Labels {
		if !validLabelName(name) {
			return nil, fmt.Errorf("loki: label name %q: want [a-zA-Z_][a-zA-Z0-9_]*", name)
		}
		if value != "" {
			c.labels = append(c.labels, Label{Name: name, Value: value})
		}
	}
	slices.SortFunc(c.labels, compareLabels)
	return c, nil
}

func setDefault[T int | time.Duration](v *T, def T) {
	if *v == 0 {
		*v = def
	}
}

// validLabelName tells whether name is a label name Loki accepts.
func validLabelName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || i > 0 && '0' <= c && c <= '9' {
			continue
		}
		return false
	}
	return true
}
