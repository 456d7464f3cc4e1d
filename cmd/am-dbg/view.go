package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/amkit-dev/amkit/cmd/am-dbg/internal/store"
	"github.com/amkit-dev/amkit/cmd/am-dbg/internal/ui"
	"github.com/amkit-dev/amkit/pkg/telemetry/dbg/recording"
)

// viewRecording opens the UI, the web inspector, or both, over the
// recording cfg.importFile.
func viewRecording(ctx context.Context, cfg config, stderr io.Writer) error {
	data := store.New(&store.Options{HistoryLimit: cfg.history, MaxBytes: cfg.maxMem})
	source := cfg.importFile
	truncated, err := loadRecording(cfg.importFile, data)
	if err != nil {
		return err
	}
	if truncated {
		source += " (truncated)"
	}
	insp, err := startWeb(ctx, cfg, data, "recording "+source, nil, stderr)
	if err != nil {
		return err
	}
	if cfg.headless {
		<-ctx.Done()
		return insp.Close()
	}
	err = ui.Run(ctx, ui.New(data, &ui.Options{Source: source + insp.about(), Dir: cfg.dir}))
	return errors.Join(err, insp.Close())
}

// loadRecording adds every record of the recording at path to data. A
// truncated recording loads up to its last complete record, and reports
// true.
func loadRecording(path string, data *store.Store) (truncated bool, err error) {
	r, err := recording.Open(path)
	if err != nil {
		return false, err
	}
	defer r.Close()
	for {
		rec, err := r.Next()
		switch {
		case errors.Is(err, io.EOF):
			return false, nil
		case errors.Is(err, recording.ErrTruncated):
			return true, nil
		case err != nil:
			return false, fmt.Errorf("read recording %s: %w", path, err)
		}
		data.AddRecord(rec)
	}
}

// heldWriter keeps what is written to it while the UI owns the terminal,
// for release once the UI is gone. It is safe for concurrent use.
type heldWriter struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (w *heldWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Write(p)
}

// release writes what was held to out.
func (w *heldWriter) release(out io.Writer) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if _, err := w.buf.WriteTo(out); err != nil {
		return fmt.Errorf("write held output: %w", err)
	}
	return nil
}
