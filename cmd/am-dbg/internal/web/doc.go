// Package web is am-dbg's inspector in a browser: an HTTP server over the
// debugger's store ([store.Store]) that serves one page showing the
// machine tree, the selected machine's state diagram, its timeline with
// time travel, the steps and details of a transition, and the log.
//
// # Page
//
// The page is our own HTML, CSS and JavaScript, embedded with go:embed
// (assets/): no CDN, no build step. It asks /api/view?m=ID&at=SEQ for
// everything it shows of machine ID as it was right after its transition
// SEQ (the newest without at), as JSON, and sets every string in it as
// text. The diagram comes in the view as SVG, laid out in Go (layout.go:
// a column per step of the longest chain of relations, rows ordered by
// the barycenter heuristic) and escaped for XML (svg.go); each relation
// kind has its color, dash and arrowhead, active states are lit, and the
// shown transition's called, added, removed and touched states are
// marked.
//
// The machine tree in a view is the page's: filtered by machine ID
// (filter=, ignoring case), each match after its ancestors, and bounded
// by [MaxTreeRows], with the selected machine always listed. A view
// names its tree with a version, which the page sends back (tree=); the
// server leaves the tree out while that version stands, which it does
// until the store's tree or a machine's life or stuck mark changes
// ([store.Store.TreeRevision], [store.Store.StatusRevision]). The rows'
// transition counts come apart, with every view.
//
// # Updates
//
// /api/events is a Server-Sent Events stream telling the page the store
// changed, at most once per [Options.UpdateGap] (50 ms by default) per
// page, however fast transitions arrive; the page then fetches its view
// again. Following, the view moves to the newest transition; after the
// user traveled back it stays on the chosen one while the tree and
// counts go on. The server's work is bounded by pages × updates a second,
// and the pages by [Options.MaxPages].
//
// # Security
//
// Everything shown comes from peers. The server sends a strict
// Content-Security-Policy (only its own script and style files), no CORS
// headers, and escapes what it puts in SVG; the page never parses a
// peer's string as HTML. [Listen] refuses an address beyond loopback
// without a token. With [Options.Token], every request must carry it, in
// an Authorization bearer header or in the cookie that a first visit with
// ?token= sets (the visit then redirects to drop it from the URL); it is
// compared in constant time and never logged. Without a token, requests
// must name a loopback host, which keeps other sites out through DNS
// rebinding.
package web
