package recording_test

import (
	"bytes"
	"testing"

	"github.com/amkit-dev/amkit/pkg/telemetry/dbg/recording"
)

// FuzzReader reads arbitrary bytes as a recording: a damaged or hostile
// file ends in an error, never a panic, and every record has a message.
func FuzzReader(f *testing.F) {
	var buf bytes.Buffer
	w, err := recording.NewWriter(&buf)
	if err != nil {
		f.Fatal(err)
	}
	for _, rec := range records(6) {
		if err := w.Write(rec); err != nil {
			f.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Add(buf.Bytes()[:buf.Len()/2])
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := recording.NewReader(bytes.NewReader(data))
		if err != nil {
			return
		}
		for {
			rec, err := r.Next()
			if err != nil {
				return
			}
			if rec.Msg == nil {
				t.Fatal("a record without a message")
			}
		}
	})
}
