package main

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/amkit-dev/amkit/cmd/am-dbg/internal/termsafe"
	"github.com/amkit-dev/amkit/pkg/telemetry/dbg"
	"github.com/amkit-dev/amkit/pkg/telemetry/dbg/recording"
)

// importRecording prints a summary of the recording at path, after a line
// per transition when print is set, and passes every message to diag
// unless it is nil. A truncated recording is summarized up to its last
// complete record.
func importRecording(path string, print bool, out io.Writer, diag *diagrammer) error {
	r, err := recording.Open(path)
	if err != nil {
		return err
	}
	defer r.Close()
	var p *printer
	if print {
		p = newPrinter(out)
	}
	sum := newSummary(path, r.Version())
	for {
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if errors.Is(err, recording.ErrTruncated) {
			sum.truncated = true
			break
		}
		if err != nil {
			return err
		}
		sum.add(rec)
		if diag != nil {
			diag.add(rec.Msg)
		}
		if p != nil {
			p.noteDropped(rec.ClientID, rec.Dropped)
			p.message(rec.Msg)
		}
	}
	return sum.write(out)
}

// summary is what --import reports about a recording. What it keeps per
// machine, client and connection is bounded by summaryBudget: a recording
// naming more is summarized in counts past that.
type summary struct {
	path      string
	version   int
	truncated bool
	records   int
	conns     map[string]bool
	dropped   map[string]uint64
	machs     map[string]*machSummary
	order     []string
	txs       int
	accepted  int
	checks    int
	timeouts  int
	first     time.Time
	last      time.Time
	// mem is what the maps above cost; once it would pass the budget, new
	// keys are only counted.
	mem          int
	unlistedMsgs int
	uncounted    bool
}

type machSummary struct {
	parent   string
	states   int
	txs      int
	disposed bool
}

const (
	// summaryBudget bounds the memory of a summary's maps.
	summaryBudget = 8 << 20
	// summaryListed is how many machines the summary lists by name.
	summaryListed = 1000
	// maxParentShown cuts a parent ID kept for the summary.
	maxParentShown = 256
)

// fits charges n bytes to the budget, if it allows them.
func (s *summary) fits(n int) bool {
	if s.mem+n > summaryBudget {
		s.uncounted = true
		return false
	}
	s.mem += n
	return true
}

func newSummary(path string, version int) *summary {
	return &summary{
		path: path, version: version,
		conns: map[string]bool{}, dropped: map[string]uint64{}, machs: map[string]*machSummary{},
	}
}

func (s *summary) add(rec *recording.Record) {
	s.records++
	conn := fmt.Sprintf("%s/%d", rec.ClientID, rec.Conn)
	if !s.conns[conn] && s.fits(48+len(conn)) {
		s.conns[conn] = true
	}
	if d, ok := s.dropped[rec.ClientID]; ok || s.fits(48+len(rec.ClientID)) {
		s.dropped[rec.ClientID] = max(d, rec.Dropped)
	}
	id := rec.Msg.MachID()
	m := s.machs[id]
	if m == nil && s.fits(96+len(id)+maxParentShown) {
		m = &machSummary{}
		s.machs[id] = m
		s.order = append(s.order, id)
	}
	if m == nil {
		s.unlistedMsgs++
		// the totals below still count every message
		m = &machSummary{}
	}
	switch msg := rec.Msg.(type) {
	case *dbg.DbgMsgStruct:
		parent := msg.ParentID
		if len(parent) > maxParentShown {
			// a copy, so the peer's long ID is not kept behind it
			parent = strings.Clone(parent[:maxParentShown]) + "…"
		}
		m.parent, m.states, m.disposed = parent, len(msg.StateNames), false
	case *dbg.DbgMsgDispose:
		m.disposed = true
	case *dbg.DbgMsgHandlerTimeout:
		s.timeouts++
	case *dbg.DbgMsgTx:
		if msg.CheckOnly {
			s.checks++
			break
		}
		m.txs++
		s.txs++
		if msg.Accepted {
			s.accepted++
		}
		if start := msg.Start; s.first.IsZero() || start.Before(s.first) {
			s.first = start
		}
		if end := msg.End; end.After(s.last) {
			s.last = end
		}
	}
}

func (s *summary) write(out io.Writer) error {
	var dropped uint64
	for _, n := range s.dropped {
		dropped += n
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	state := "complete"
	if s.truncated {
		state = "truncated, read up to the last complete record"
	}
	fmt.Fprintf(tw, "recording:\t%s (format %d, %s)\n", s.path, s.version, state)
	fmt.Fprintf(tw, "records:\t%d\n", s.records)
	atLeast := ""
	if s.uncounted {
		atLeast = "at least "
	}
	fmt.Fprintf(tw, "clients:\t%s%d (%s), %d messages dropped\n",
		atLeast, len(s.dropped), plural(len(s.conns), "connection"), dropped)
	fmt.Fprintf(tw, "machines:\t%s%d\n", atLeast, len(s.order))
	for i, id := range s.order {
		if i == summaryListed {
			fmt.Fprintf(tw, "  …\t%d more machines not listed\n", len(s.order)-i)
			break
		}
		m := s.machs[id]
		about := fmt.Sprintf("%d states", m.states)
		if m.parent != "" {
			about += ", parent " + termsafe.String(m.parent)
		}
		if m.disposed {
			about += ", disposed"
		}
		fmt.Fprintf(tw, "  %s\t%d transitions\t%s\n", termsafe.String(id), m.txs, about)
	}
	if s.unlistedMsgs > 0 {
		fmt.Fprintf(tw, "  …\t%d messages of machines past the summary's %d MiB\n", s.unlistedMsgs, summaryBudget>>20)
	}
	fmt.Fprintf(tw, "transitions:\t%d (%d accepted, %d canceled)\n", s.txs, s.accepted, s.txs-s.accepted)
	if s.checks > 0 {
		fmt.Fprintf(tw, "checks:\t%d\n", s.checks)
	}
	if s.timeouts > 0 {
		fmt.Fprintf(tw, "handler timeouts:\t%d\n", s.timeouts)
	}
	if s.txs > 0 {
		fmt.Fprintf(tw, "time span:\t%s - %s (%s)\n", s.first.Format(time.DateTime+".000"),
			s.last.Format(time.DateTime+".000"), s.last.Sub(s.first).Round(time.Microsecond))
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write summary: %w", err)
	}
	return nil
}

// plural formats a count of things, for example "1 connection" or
// "2 connections".
func plural(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return fmt.Sprintf("%d %ss", n, thing)
}
