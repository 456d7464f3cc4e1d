package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/amkit-dev/amkit/cmd/am-dbg/internal/store"
	"github.com/amkit-dev/amkit/cmd/am-dbg/internal/web"
	"github.com/amkit-dev/amkit/internal/buildinfo"
	"github.com/amkit-dev/amkit/pkg/telemetry/dbg"
	"github.com/amkit-dev/amkit/pkg/telemetry/dbg/server"
)

// defaultDiagramsDir is where --diagrams writes without --dir.
const defaultDiagramsDir = "am-dbg-diagrams"

// config is what the command line asks for.
type config struct {
	// listen is the server's address.
	listen string
	// record is the recording to write, or "".
	record string
	// importFile is the recording to read, or "".
	importFile string
	// headless runs without the terminal UI: printing, recording, or
	// summarizing a recording.
	headless bool
	// print streams a line per transition; it implies headless, and is on
	// by default in headless mode when nothing else consumes the messages.
	print bool
	// history is how many transitions the UI keeps per machine.
	history int
	// diagrams writes each machine's diagrams into dir: at the end of an
	// import, or as the debugger exits.
	diagrams bool
	// dir is where diagrams are written.
	dir string
	// version prints the build's version instead of running.
	version bool
	// maxMem is the memory budget of the store, in bytes.
	maxMem int64
	// web is the web inspector's address, or "" without it; webToken the
	// token its requests need, or "".
	web, webToken string
	// fwd are the other debuggers everything received is forwarded to.
	fwd []string
	// token is what clients must send before their first batch, or "".
	token string
	// maxClients and shedQuiet are the server's [server.Opts.MaxClients]
	// and [server.Opts.ShedQuietAfter].
	maxClients int
	shedQuiet  time.Duration
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	var cfg config
	fs := flag.NewFlagSet("am-dbg", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.listen, "listen", dbg.DefaultAddr, "`address` to listen on; a missing host means 127.0.0.1")
	fs.StringVar(&cfg.record, "record", "", "write every message to a recording `file`")
	fs.StringVar(&cfg.importFile, "import", "", "open a recording `file` (headless: print a summary)")
	fs.BoolVar(&cfg.headless, "headless", false, "run without the terminal UI")
	fs.BoolVar(&cfg.print, "print", false, "print a line per transition; implies --headless (its default without --record)")
	fs.IntVar(&cfg.history, "history", store.DefaultHistoryLimit, "keep the last `N` transitions of each machine in the UI; older ones are evicted")
	maxMem := byteSize(store.DefaultMaxBytes)
	fs.Var(&maxMem, "max-mem", "memory `budget` over machines, transitions and logs, like 1GiB or 512MiB; "+
		"over it, disposed machines and the oldest transitions are evicted")
	fs.BoolVar(&cfg.diagrams, "diagrams", false, "write each machine's schema as Mermaid (.mmd) and Graphviz (.dot) into --dir, at the end of --import or on exit")
	fs.StringVar(&cfg.dir, "dir", defaultDiagramsDir, "`directory` for diagrams")
	fs.StringVar(&cfg.web, "web", "", "serve the web inspector on `address` (1 means "+web.DefaultAddr+")")
	fs.StringVar(&cfg.webToken, "web-token", "", "require this `token` of the web inspector's visitors; needed beyond loopback")
	fs.Var((*fwdAddrs)(&cfg.fwd), "fwd", "forward everything received to the am-dbg at `address`; repeatable")
	fs.StringVar(&cfg.token, "token", "", "require this `token` of clients (their dbg.Opts.Token or "+dbg.EnvToken+
		"); default $"+dbg.EnvToken+", which other users cannot see as they can a command line")
	fs.IntVar(&cfg.maxClients, "max-clients", server.DefaultMaxClients, "serve at most `N` client connections at once (each tracer holds one); "+
		"more are refused, or take the slot of one quiet for --shed-quiet")
	fs.DurationVar(&cfg.shedQuiet, "shed-quiet", server.DefaultShedQuietAfter, "when every slot is taken, a client that has sent only heartbeats for this `duration` "+
		"gives its slot to a new one with machine messages")
	version := buildinfo.Flag(fs)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage:\n  am-dbg [--listen ADDR] [--token TOKEN] [--max-clients N] [--shed-quiet DURATION] [--record FILE] [--history N] [--max-mem SIZE] [--diagrams [--dir DIR]] [--fwd ADDR]...\n"+
			"  am-dbg --import FILE [--history N] [--max-mem SIZE] [--diagrams [--dir DIR]]\n"+
			"  am-dbg --headless [--listen ADDR] [--token TOKEN] [--max-clients N] [--shed-quiet DURATION] [--print] [--record FILE] [--diagrams [--dir DIR]] [--fwd ADDR]...\n"+
			"  am-dbg --headless --import FILE [--print] [--diagrams [--dir DIR]]\n"+
			"  am-dbg [--headless] [--import FILE] --web ADDR [--web-token TOKEN]\n"+
			"  am-dbg --version\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	if *version {
		return config{listen: cfg.listen, history: cfg.history, dir: cfg.dir, version: true}, nil
	}
	cfg.maxMem = int64(maxMem)
	if cfg.token == "" {
		cfg.token = os.Getenv(dbg.EnvToken)
	}
	if fs.NArg() > 0 {
		return config{}, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	listenSet := false
	fs.Visit(func(f *flag.Flag) { listenSet = listenSet || f.Name == "listen" })
	if cfg.importFile != "" && (cfg.record != "" || listenSet || len(cfg.fwd) > 0) {
		return config{}, errors.New("--import reads a recording; it cannot be combined with --listen, --record or --fwd")
	}
	for _, addr := range cfg.fwd {
		if own, err := loopbackByDefault(cfg.listen); err == nil && own == addr {
			return config{}, fmt.Errorf("--fwd %s is this debugger's own --listen address", addr)
		}
	}
	if cfg.dir == "" {
		return config{}, errors.New("--dir must name a directory")
	}
	if cfg.maxClients < 1 {
		return config{}, fmt.Errorf("--max-clients %d: want 1 or more", cfg.maxClients)
	}
	if cfg.shedQuiet <= 0 {
		return config{}, fmt.Errorf("--shed-quiet %s: want a positive duration", cfg.shedQuiet)
	}
	if cfg.web != "" {
		addr, err := web.ParseAddr(cfg.web)
		if err != nil {
			return config{}, err
		}
		cfg.web = addr
	} else if cfg.webToken != "" {
		return config{}, errors.New("--web-token needs --web")
	}
	if cfg.history < 1 {
		return config{}, fmt.Errorf("--history must be at least 1, got %d", cfg.history)
	}
	cfg.headless = cfg.headless || cfg.print
	if cfg.headless && cfg.importFile == "" && cfg.record == "" && cfg.web == "" {
		cfg.print = true
	}
	return cfg, nil
}
