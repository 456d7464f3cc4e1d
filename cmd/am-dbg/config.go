package main

import (
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/amkit-dev/amkit/pkg/telemetry/dbg"
)

// config is what the command line asks for.
type config struct {
	// listen is the server's address.
	listen string
	// record is the recording to write, or "".
	record string
	// importFile is the recording to read, or "".
	importFile string
	// print streams a line per transition; on by default when nothing
	// else consumes the messages.
	print bool
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	var cfg config
	fs := flag.NewFlagSet("am-dbg", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.listen, "listen", dbg.DefaultAddr, "`address` to listen on; a missing host means 127.0.0.1")
	fs.StringVar(&cfg.record, "record", "", "write every message to a recording `file`")
	fs.StringVar(&cfg.importFile, "import", "", "read a recording `file` and print a summary")
	fs.BoolVar(&cfg.print, "print", false, "print a line per transition (default without --record)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage:\n  am-dbg [--listen ADDR] [--print] [--record FILE]\n  am-dbg --import FILE [--print]\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	if fs.NArg() > 0 {
		return config{}, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	listenSet := false
	fs.Visit(func(f *flag.Flag) { listenSet = listenSet || f.Name == "listen" })
	if cfg.importFile != "" && (cfg.record != "" || listenSet) {
		return config{}, errors.New("--import reads a recording; it cannot be combined with --listen or --record")
	}
	if cfg.importFile == "" && cfg.record == "" {
		cfg.print = true
	}
	return cfg, nil
}
