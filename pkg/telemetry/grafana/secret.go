package amgrafana

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"unicode"
)

// redacted stands for the token wherever it would be shown.
const redacted = "[token]"

// secret is a service account token and the forms it can take in text the
// client shows: a proxy or a misbehaving server may echo it as received,
// URL-escaped in a link (as a query value, a path segment, or a path), or
// JSON-escaped in a body.
type secret struct {
	// value is the token as sent: trimmed, since an environment variable
	// read from a file often ends with a newline or a space.
	value string
	// forms are the texts to hide, longest first, so that a form is
	// replaced whole before a shorter one inside it.
	forms []string
}

// ErrInvalidToken is returned by [NewClient] for a token that is empty,
// or that holds a space or a control character once trimmed. The error
// never shows the token.
var ErrInvalidToken = errors.New("amgrafana: invalid token")

// newSecret trims raw and derives the forms to hide. It refuses a token
// that could not travel in an Authorization header, without showing it.
func newSecret(raw string) (secret, error) {
	value := strings.TrimSpace(raw)
	if value == "" {
		return secret{}, fmt.Errorf("%w: empty token", ErrInvalidToken)
	}
	if strings.IndexFunc(value, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
		return secret{}, fmt.Errorf("%w: it contains a space or a control character", ErrInvalidToken)
	}
	js, _ := json.Marshal(value) // a string always encodes
	// as a path, url.URL escapes less than PathEscape: it keeps the slashes
	asPath := (&url.URL{Path: value}).EscapedPath()
	forms := []string{raw, value, url.QueryEscape(value), url.PathEscape(value), asPath, string(js[1 : len(js)-1])}
	slices.SortFunc(forms, func(a, b string) int { return cmp.Or(cmp.Compare(len(b), len(a)), strings.Compare(a, b)) })
	return secret{value: value, forms: slices.Compact(forms)}, nil
}

// redact replaces every form of the token in s.
func (s secret) redact(text string) string {
	for _, f := range s.forms {
		text = strings.ReplaceAll(text, f, redacted)
	}
	return text
}

// redactedError is an error whose message had the token removed. It
// unwraps to the original, for errors.Is and errors.As.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }
