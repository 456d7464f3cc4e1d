package loki_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/klauspost/compress/snappy"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/amkit-dev/amkit/pkg/telemetry/loki"
)

// pushStream is one stream of a push request, decoded by the test's own
// decoders. Labels is the protobuf labels string; JSON streams have
// Stream instead.
type pushStream struct {
	Labels  string
	Stream  map[string]string
	Entries []pushEntry
}

// pushEntry is one decoded entry.
type pushEntry struct {
	Time     time.Time
	Line     string
	Metadata []loki.Label
}

// pushRequest is a request as the fake server saw it.
type pushRequest struct {
	Header  http.Header
	Body    []byte // as sent, compressed for protobuf
	Streams []pushStream
}

// lines returns the lines of the request, in order.
func (r pushRequest) lines() []string {
	var out []string
	for _, s := range r.Streams {
		for _, e := range s.Entries {
			out = append(out, e.Line)
		}
	}
	return out
}

// fakeLoki is an httptest server on 127.0.0.1 that decodes push requests
// and answers them as its respond function says (204 when nil).
type fakeLoki struct {
	*httptest.Server
	t *testing.T

	mu   sync.Mutex
	reqs []pushRequest
	// bodies are those of every request, answered or not
	bodies [][]byte
	// respond answers request n (from 0) and reports whether it did;
	// when it did not, the request is recorded and answered 204
	respond func(n int, w http.ResponseWriter, r *http.Request) bool
	// got receives every request that was answered 204, if not nil
	got chan pushRequest
	n   int
}

func newFakeLoki(t *testing.T) *fakeLoki {
	f := &fakeLoki{t: t}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeLoki) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	n, respond := f.n, f.respond
	f.n++
	f.mu.Unlock()
	if r.URL.Path != loki.PushPath || r.Method != http.MethodPost {
		f.t.Errorf("%s %s, want POST %s", r.Method, r.URL.Path, loki.PushPath)
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return // the client gave up
	}
	f.mu.Lock()
	f.bodies = append(f.bodies, body)
	f.mu.Unlock()
	if respond != nil && respond(n, w, r) {
		return
	}
	req := pushRequest{Header: r.Header.Clone(), Body: body}
	switch ct := r.Header.Get("Content-Type"); ct {
	case "application/x-protobuf":
		req.Streams, err = decodeProto(body)
	case "application/json":
		req.Streams, err = decodeJSON(body)
	default:
		err = fmt.Errorf("content type %q", ct)
	}
	if err != nil {
		f.t.Errorf("request %d: %v", n, err)
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	f.reqs = append(f.reqs, req)
	f.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
	if f.got != nil {
		f.got <- req
	}
}

// requests returns the requests answered 204 so far.
func (f *fakeLoki) requests() []pushRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]pushRequest(nil), f.reqs...)
}

// lines returns the lines of every request answered 204, in order.
func (f *fakeLoki) lines() []string {
	var out []string
	for _, r := range f.requests() {
		out = append(out, r.lines()...)
	}
	return out
}

// allBodies returns the bodies of every request so far.
func (f *fakeLoki) allBodies() [][]byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([][]byte(nil), f.bodies...)
}

// calls returns how many requests arrived, answered or not.
func (f *fakeLoki) calls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.n
}

// decodeProto decodes a snappy block of logproto.PushRequest field by
// field, rejecting fields and wire types the push API does not have.
func decodeProto(body []byte) ([]pushStream, error) {
	raw, err := snappy.DecodeStrict(nil, body)
	if err != nil {
		return nil, fmt.Errorf("snappy: %w", err)
	}
	var streams []pushStream
	err = eachField(raw, func(num protowire.Number, typ protowire.Type, v []byte, _ uint64) error {
		if num != 1 || typ != protowire.BytesType {
			return fmt.Errorf("PushRequest: field %d type %d", num, typ)
		}
		s, err := decodeStream(v)
		streams = append(streams, s)
		return err
	})
	return streams, err
}

func decodeStream(b []byte) (pushStream, error) {
	var s pushStream
	err := eachField(b, func(num protowire.Number, typ protowire.Type, v []byte, _ uint64) error {
		switch {
		case num == 1 && typ == protowire.BytesType:
			s.Labels = string(v)
		case num == 2 && typ == protowire.BytesType:
			e, err := decodeEntry(v)
			s.Entries = append(s.Entries, e)
			return err
		default:
			return fmt.Errorf("StreamAdapter: field %d type %d", num, typ)
		}
		return nil
	})
	return s, err
}

func decodeEntry(b []byte) (pushEntry, error) {
	var e pushEntry
	err := eachField(b, func(num protowire.Number, typ protowire.Type, v []byte, _ uint64) error {
		switch {
		case num == 1 && typ == protowire.BytesType:
			var sec, nsec int64
			err := eachField(v, func(num protowire.Number, typ protowire.Type, _ []byte, x uint64) error {
				switch {
				case num == 1 && typ == protowire.VarintType:
					sec = int64(x)
				case num == 2 && typ == protowire.VarintType:
					nsec = int64(int32(x))
				default:
					return fmt.Errorf("Timestamp: field %d type %d", num, typ)
				}
				return nil
			})
			e.Time = time.Unix(sec, nsec)
			return err
		case num == 2 && typ == protowire.BytesType:
			e.Line = string(v)
		case num == 3 && typ == protowire.BytesType:
			var l loki.Label
			err := eachField(v, func(num protowire.Number, typ protowire.Type, v []byte, _ uint64) error {
				switch {
				case num == 1 && typ == protowire.BytesType:
					l.Name = string(v)
				case num == 2 && typ == protowire.BytesType:
					l.Value = string(v)
				default:
					return fmt.Errorf("LabelPairAdapter: field %d type %d", num, typ)
				}
				return nil
			})
			e.Metadata = append(e.Metadata, l)
			return err
		default:
			return fmt.Errorf("EntryAdapter: field %d type %d", num, typ)
		}
		return nil
	})
	return e, err
}

// eachField calls f with each field of the message b: the bytes of a
// length-delimited field, or the value of a varint.
func eachField(b []byte, f func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
		var v []byte
		var x uint64
		switch typ {
		case protowire.BytesType:
			v, n = protowire.ConsumeBytes(b)
		case protowire.VarintType:
			x, n = protowire.ConsumeVarint(b)
		default:
			return fmt.Errorf("field %d: unexpected wire type %d", num, typ)
		}
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
		if err := f(num, typ, v, x); err != nil {
			return err
		}
	}
	return nil
}

// decodeJSON decodes the JSON form of a push request.
func decodeJSON(body []byte) ([]pushStream, error) {
	var req struct {
		Streams []struct {
			Stream map[string]string
			Values [][]json.RawMessage
		}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return nil, fmt.Errorf("json: %w", err)
	}
	var streams []pushStream
	for _, s := range req.Streams {
		ps := pushStream{Stream: s.Stream}
		for _, v := range s.Values {
			if len(v) != 2 && len(v) != 3 {
				return nil, fmt.Errorf("json: value of %d elements", len(v))
			}
			var ns, line string
			if err := json.Unmarshal(v[0], &ns); err != nil {
				return nil, fmt.Errorf("json: timestamp: %w", err)
			}
			nsec, err := strconv.ParseInt(ns, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("json: timestamp: %w", err)
			}
			if err := json.Unmarshal(v[1], &line); err != nil {
				return nil, fmt.Errorf("json: line: %w", err)
			}
			e := pushEntry{Time: time.Unix(0, nsec), Line: line}
			if len(v) == 3 {
				// an object of strings, kept in the order sent
				dec := json.NewDecoder(bytes.NewReader(v[2]))
				if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
					return nil, fmt.Errorf("json: metadata: %s", v[2])
				}
				for dec.More() {
					tok, err := dec.Token()
					name, ok := tok.(string)
					if err != nil || !ok {
						return nil, fmt.Errorf("json: metadata: %s", v[2])
					}
					var value string
					if err := dec.Decode(&value); err != nil {
						return nil, fmt.Errorf("json: metadata: %w", err)
					}
					e.Metadata = append(e.Metadata, loki.Label{Name: name, Value: value})
				}
			}
			ps.Entries = append(ps.Entries, e)
		}
		streams = append(streams, ps)
	}
	return streams, nil
}
