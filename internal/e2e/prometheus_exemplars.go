package e2e

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"time"
)

// Exemplar is one exemplar of a series, as /api/v1/query_exemplars returns
// it.
type Exemplar struct {
	// SeriesLabels are the labels of the series it belongs to, such as
	// le="0.001" of a histogram bucket.
	SeriesLabels map[string]string
	// Labels are the exemplar's own, such as trace_id.
	Labels map[string]string
	// Value is the observed value.
	Value float64
	// Time is when it was observed.
	Time time.Time
}

// QueryExemplars returns the exemplars of the series that promql selects,
// between start and end. It needs a Prometheus started with
// PrometheusOptions.Exemplars. No exemplar is not an error, so callers can
// poll.
func (p *PrometheusBackend) QueryExemplars(ctx context.Context, promql string, start, end time.Time) ([]Exemplar, error) {
	var resp struct {
		Status    string `json:"status"`
		ErrorType string `json:"errorType"`
		Error     string `json:"error"`
		Data      []struct {
			SeriesLabels map[string]string `json:"seriesLabels"`
			Exemplars    []struct {
				Labels    map[string]string `json:"labels"`
				Value     string            `json:"value"`
				Timestamp float64           `json:"timestamp"`
			} `json:"exemplars"`
		} `json:"data"`
	}
	u := p.URL + "/api/v1/query_exemplars?" + url.Values{
		"query": {promql},
		"start": {strconv.FormatInt(start.Unix(), 10)},
		"end":   {strconv.FormatInt(end.Add(time.Second).Unix(), 10)},
	}.Encode()
	status, err := getJSON(ctx, u, &resp)
	if err != nil {
		return nil, fmt.Errorf("prometheus exemplars of %q: %w", promql, err)
	}
	if resp.Status != "success" {
		return nil, fmt.Errorf("prometheus exemplars of %q: status %d, %s: %s", promql, status, resp.ErrorType, resp.Error)
	}
	var out []Exemplar
	for _, series := range resp.Data {
		for _, e := range series.Exemplars {
			v, err := strconv.ParseFloat(e.Value, 64)
			if err != nil {
				return nil, fmt.Errorf("prometheus exemplars of %q: value %q: %w", promql, e.Value, err)
			}
			out = append(out, Exemplar{
				SeriesLabels: series.SeriesLabels,
				Labels:       e.Labels,
				Value:        v,
				Time:         time.UnixMilli(int64(e.Timestamp * 1000)),
			})
		}
	}
	return out, nil
}
