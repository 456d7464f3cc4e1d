package web

import (
	"crypto/sha256"
	"crypto/subtle"
	"net"
	"net/http"
	"net/url"
	"strings"
)

// tokenCookie is the cookie a browser keeps the token in after visiting
// with ?token=.
const tokenCookie = "amdbg_token"

// securityHeaders are sent with every response. The policy allows only
// this server's own files: no inline script or style, no other origin, no
// framing, so a peer-supplied string that escaped somewhere still could
// not run.
var securityHeaders = map[string]string{
	"Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; " +
		"connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
	"X-Content-Type-Options": "nosniff",
	"Referrer-Policy":        "no-referrer",
	"X-Frame-Options":        "DENY",
	"Cache-Control":          "no-store",
}

// guard checks every request before next sees it. With a token, a request
// must carry it: as the cookie, as an Authorization bearer header, or as
// ?token= on a first visit, which sets the cookie and redirects to the
// same URL without it, so the token stays out of the address bar and the
// history. Without a token, the server is on loopback and only answers
// requests naming a loopback host, so a web page on another site cannot
// reach it by rebinding its DNS name to 127.0.0.1.
type guard struct {
	// sum is the SHA-256 of the token, or nil without one: comparing sums
	// takes the same time whatever the token's length.
	sum  []byte
	next http.Handler
}

func newGuard(token string, next http.Handler) *guard {
	g := &guard{next: next}
	if token != "" {
		s := sha256.Sum256([]byte(token))
		g.sum = s[:]
	}
	return g
}

func (g *guard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	for k, v := range securityHeaders {
		w.Header().Set(k, v)
	}
	if g.sum == nil {
		if !loopbackHost(r.Host) {
			http.Error(w, "am-dbg answers only to a loopback host name without --web-token", http.StatusForbidden)
			return
		}
		g.next.ServeHTTP(w, r)
		return
	}
	if q := r.URL.Query(); q.Has("token") {
		if !g.match(q.Get("token")) {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		http.SetCookie(w, &http.Cookie{
			Name: tokenCookie, Value: q.Get("token"), Path: "/",
			HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil,
		})
		q.Del("token")
		u := url.URL{Path: r.URL.Path, RawQuery: q.Encode()}
		http.Redirect(w, r, u.String(), http.StatusSeeOther)
		return
	}
	if !g.match(requestToken(r)) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="am-dbg"`)
		http.Error(w, "unauthorized: open the URL am-dbg printed, with ?token=", http.StatusUnauthorized)
		return
	}
	g.next.ServeHTTP(w, r)
}

// match compares token with the configured one in constant time.
func (g *guard) match(token string) bool {
	s := sha256.Sum256([]byte(token))
	return subtle.ConstantTimeCompare(s[:], g.sum) == 1
}

// requestToken returns the token a request carries in its Authorization
// header or its cookie, or "".
func requestToken(r *http.Request) string {
	if h := r.Header.Get("Authorization"); h != "" {
		if scheme, tok, ok := strings.Cut(h, " "); ok && strings.EqualFold(scheme, "Bearer") {
			return strings.TrimSpace(tok)
		}
		return ""
	}
	if c, err := r.Cookie(tokenCookie); err == nil {
		return c.Value
	}
	return ""
}

// loopbackHost reports whether the Host header names this machine: the
// name localhost or a loopback IP, with or without a port.
func loopbackHost(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
