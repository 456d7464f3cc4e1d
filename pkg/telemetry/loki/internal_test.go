package loki

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"
)

// TestParseRetryAfter checks both forms of Retry-After and what is
// ignored.
func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	for v, want := range map[string]time.Duration{
		"":               0,
		"3":              3 * time.Second,
		" 7 ":            7 * time.Second,
		"-1":             0,
		"99999999999999": 24 * time.Hour,
		now.Add(90 * time.Second).Format(http.TimeFormat): 90 * time.Second,
		now.Add(-time.Minute).Format(http.TimeFormat):     0,
		"soon": 0,
	} {
		if got := parseRetryAfter(v, now); got != want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", v, got, want)
		}
	}
}

// TestBackoff checks that waits double from MinBackoff, with jitter of at
// most half, up to MaxBackoff, and that Retry-After replaces them within
// MaxBackoff.
func TestBackoff(t *testing.T) {
	c := &Client{cfg: &config{Options: Options{MinBackoff: 100 * time.Millisecond, MaxBackoff: time.Second}}}
	for attempt, full := range []time.Duration{100, 200, 400, 800, 1000, 1000} {
		full *= time.Millisecond
		for range 20 {
			if d := c.backoff(attempt, 0); d < full/2 || d > full {
				t.Errorf("backoff(%d) = %v, want within [%v, %v]", attempt, d, full/2, full)
			}
		}
	}
	if d := c.backoff(1000, 0); d < c.cfg.MaxBackoff/2 || d > c.cfg.MaxBackoff {
		t.Errorf("backoff(1000) = %v", d)
	}
	if d := c.backoff(0, 300*time.Millisecond); d != 300*time.Millisecond {
		t.Errorf("backoff with Retry-After 300ms = %v", d)
	}
	if d := c.backoff(0, time.Hour); d != time.Second {
		t.Errorf("backoff with Retry-After 1h = %v, want MaxBackoff", d)
	}
}

// TestAppendJSONString compares the escaping with encoding/json's
// decoder, on strings that need it.
func TestAppendJSONString(t *testing.T) {
	for _, s := range []string{"", "plain", `"quoted" \ back`, "\n\r\t\x00\x1f\x7f", "ünï ✓ 😀", "bad \xff\xfe utf-8", "\u2028"} {
		b := appendJSONString(nil, s)
		var got string
		if err := json.Unmarshal(b, &got); err != nil {
			t.Errorf("%q: %s: %v", s, b, err)
			continue
		}
		want, _ := json.Marshal(s)
		var wantStr string
		_ = json.Unmarshal(want, &wantStr)
		if got != wantStr {
			t.Errorf("%q round-trips to %q, want %q", s, got, wantStr)
		}
	}
}
