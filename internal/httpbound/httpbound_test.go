package httpbound_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/amkit-dev/amkit/internal/httpbound"
)

func TestClientBoundsBody(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = io.WriteString(w, strings.Repeat("x", 1<<20))
	}))
	defer srv.Close()
	resp, err := httpbound.Client(time.Minute, 0).Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) != httpbound.DefaultMaxBody {
		t.Errorf("read %d bytes, want %d", len(b), httpbound.DefaultMaxBody)
	}
}

func TestClientTimeout(t *testing.T) {
	hang := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-hang:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(hang)
	if _, err := httpbound.Client(50*time.Millisecond, 0).Get(srv.URL); err == nil {
		t.Fatal("no error from a server that never answers")
	}
}
