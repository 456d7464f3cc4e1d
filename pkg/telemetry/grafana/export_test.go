package amgrafana

import "time"

// ClientTimeout returns the timeout of the HTTP client that c sends with.
func ClientTimeout(c *Client) time.Duration { return c.http.Timeout }
