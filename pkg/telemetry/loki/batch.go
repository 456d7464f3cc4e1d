package loki

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"time"
)

// Entry is one log line.
type Entry struct {
	// Time is when the line was made; zero means the time of
	// [Client.Push].
	Time time.Time
	// Labels name the entry's stream together with [Options.Labels],
	// which they override; an empty value removes a label. The client
	// keeps the map until the entry is sent, so it must not change after
	// Push; an entry source with a few streams can share one map per
	// stream.
	Labels map[string]string
	// Line is the text.
	Line string
	// Metadata is stored next to the line as Loki's structured metadata:
	// values that vary per entry and would make too many streams as
	// labels. Like Labels, it must not change after Push.
	Metadata []Label
}

// Label is a name and a value, of a stream label or of structured
// metadata.
type Label struct {
	Name, Value string
}

func compareLabels(a, b Label) int { return cmp.Compare(a.Name, b.Name) }

// entryOverhead approximates what an entry costs on the wire beyond its
// line and metadata (timestamp, tags and lengths), for BatchBytes.
const entryOverhead = 16

// size is what e adds to a batch, for BatchBytes.
func (e *Entry) size() int {
	n := entryOverhead + len(e.Line)
	for _, m := range e.Metadata {
		n += len(m.Name) + len(m.Value) + 4
	}
	return n
}

// stream is the entries of one label set within a batch.
type stream struct {
	// key is the label set in Loki's {name="value", ...} form
	key string
	// labels are the same set, sorted by name
	labels  []Label
	entries []Entry
}

// keptStreams is how many streams a batch keeps, with their space, for
// the batches after it; a source of more streams allocates a little for
// each batch.
const keptStreams = 64

// batch groups entries by stream, keeping the order of first appearance
// of streams and the order of entries within each.
type batch struct {
	// streams are those with entries, in order of their first entry
	streams []*stream
	// index finds a stream by key; it keeps streams of earlier batches,
	// without entries, for reuse
	index   map[string]*stream
	entries int
	bytes   int
	// last is the stream of the last entry added, whose Labels were
	// lastLabels: entries of one stream tend to come together, and
	// comparing their labels costs less than making their key
	last       *stream
	lastLabels []Label
	// pairs and key are scratch space for the stream key of each entry
	pairs []Label
	key   []byte
}

func newBatch() *batch { return &batch{index: map[string]*stream{}} }

// add puts e in its stream, given the client's static labels; it fails
// on a label name Loki would reject, which would fail the whole request.
func (b *batch) add(static []Label, e *Entry) error {
	s := b.last
	if s == nil || !sameLabels(e.Labels, b.lastLabels) {
		key := b.streamKey(static, e)
		s = b.index[string(key)]
		if s == nil {
			for _, l := range b.pairs {
				if !validLabelName(l.Name) {
					return fmt.Errorf("loki: label name %q: want [a-zA-Z_][a-zA-Z0-9_]*", l.Name)
				}
			}
			s = &stream{key: string(key), labels: slices.Clone(b.pairs)}
			b.index[s.key] = s
		}
		b.last = s
		b.lastLabels = b.lastLabels[:0]
		for name, value := range e.Labels {
			b.lastLabels = append(b.lastLabels, Label{Name: name, Value: value})
		}
	}
	if len(s.entries) == 0 {
		b.streams = append(b.streams, s)
		b.bytes += len(s.key)
	}
	s.entries = append(s.entries, *e)
	b.entries++
	b.bytes += e.size()
	return nil
}

// streamKey returns the stream of e in Loki's {name="value", ...} form,
// in scratch space valid until the next call, and leaves its labels in
// b.pairs.
func (b *batch) streamKey(static []Label, e *Entry) []byte {
	pairs := b.pairs[:0]
	for _, l := range static {
		if _, over := e.Labels[l.Name]; !over {
			pairs = append(pairs, l)
		}
	}
	if len(e.Labels) > 0 {
		n := len(pairs)
		for name, value := range e.Labels {
			if value != "" {
				pairs = append(pairs, Label{Name: name, Value: value})
			}
		}
		if len(pairs) > n {
			slices.SortFunc(pairs, compareLabels)
		}
	}
	b.pairs = pairs

	key := append(b.key[:0], '{')
	for i, l := range pairs {
		if i > 0 {
			key = append(key, ", "...)
		}
		key = append(key, l.Name...)
		key = append(key, '=')
		key = appendQuote(key, l.Value)
	}
	key = append(key, '}')
	b.key = key
	return key
}

// sameLabels tells whether m holds exactly labels.
func sameLabels(m map[string]string, labels []Label) bool {
	if len(m) != len(labels) {
		return false
	}
	for _, l := range labels {
		if v, ok := m[l.Name]; !ok || v != l.Value {
			return false
		}
	}
	return true
}

// appendQuote appends s quoted as strconv.AppendQuote does, faster for
// the printable ASCII that label values usually are.
func appendQuote(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < ' ' || c > '~' || c == '"' || c == '\\' {
			return strconv.AppendQuote(dst, s)
		}
	}
	dst = append(dst, '"')
	dst = append(dst, s...)
	return append(dst, '"')
}

// reset empties b for the next batch, keeping its scratch space and the
// space of up to keptStreams streams.
func (b *batch) reset() {
	for _, s := range b.streams {
		clear(s.entries) // let the lines go
		s.entries = s.entries[:0]
	}
	clear(b.streams)
	b.streams = b.streams[:0]
	if len(b.index) > keptStreams {
		clear(b.index)
		b.last = nil
	}
	b.entries, b.bytes = 0, 0
}
