// Package otlpjson reads and writes OTLP JSON trace documents
// ({"resourceSpans": [...]}), the form Jaeger's UI loads from a file.
//
// OTLP JSON is the protobuf JSON mapping of the OTLP messages with two
// differences: trace and span IDs are hex instead of base64, and enums are
// numbers. protojson does the rest, so a document is checked against the
// OTLP protobuf types both ways.
package otlpjson

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/encoding/protojson"
)

// idLen is the hex length of each OTLP JSON ID field.
var idLen = map[string]int{"traceId": 32, "spanId": 16, "parentSpanId": 16}

// Encode returns req as an indented OTLP JSON document, ending in a newline.
func Encode(req *coltracepb.ExportTraceServiceRequest) ([]byte, error) {
	b, err := protojson.MarshalOptions{UseEnumNumbers: true}.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("encoding OTLP JSON: %w", err)
	}
	doc, err := decodeJSON(b)
	if err != nil {
		return nil, fmt.Errorf("encoding OTLP JSON: %w", err)
	}
	err = recodeIDs(doc, func(field, s string) (string, error) {
		id, err := base64.StdEncoding.DecodeString(s)
		return hex.EncodeToString(id), err
	})
	if err != nil {
		return nil, fmt.Errorf("encoding OTLP JSON: %w", err)
	}
	out, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encoding OTLP JSON: %w", err)
	}
	return append(out, '\n'), nil
}

// Decode reads an OTLP JSON document. It rejects unknown fields, malformed
// values, and IDs that are not hex of their field's length.
func Decode(b []byte) (*coltracepb.ExportTraceServiceRequest, error) {
	doc, err := decodeJSON(b)
	if err != nil {
		return nil, fmt.Errorf("decoding OTLP JSON: %w", err)
	}
	err = recodeIDs(doc, func(field, s string) (string, error) {
		id, err := hex.DecodeString(s)
		if err == nil && s != "" && len(s) != idLen[field] {
			err = fmt.Errorf("want %d hex digits", idLen[field])
		}
		return base64.StdEncoding.EncodeToString(id), err
	})
	if err != nil {
		return nil, fmt.Errorf("decoding OTLP JSON: %w", err)
	}
	b, err = json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("decoding OTLP JSON: %w", err)
	}
	req := &coltracepb.ExportTraceServiceRequest{}
	if err := protojson.Unmarshal(b, req); err != nil {
		return nil, fmt.Errorf("decoding OTLP JSON: %w", err)
	}
	return req, nil
}

func decodeJSON(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber() // keeps 64-bit integers exact
	var doc any
	err := dec.Decode(&doc)
	return doc, err
}

// recodeIDs rewrites every ID field of a decoded JSON document with recode.
func recodeIDs(v any, recode func(field, s string) (string, error)) error {
	switch v := v.(type) {
	case map[string]any:
		for k, field := range v {
			if s, ok := field.(string); ok && idLen[k] > 0 {
				id, err := recode(k, s)
				if err != nil {
					return fmt.Errorf("%s %q: %w", k, s, err)
				}
				v[k] = id
				continue
			}
			if err := recodeIDs(field, recode); err != nil {
				return err
			}
		}
	case []any:
		for _, item := range v {
			if err := recodeIDs(item, recode); err != nil {
				return err
			}
		}
	}
	return nil
}
