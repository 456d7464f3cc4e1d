// Am-gen generates files for amkit machines.
//
// Usage:
//
//	am-gen <command> [arguments]
//
// The commands are:
//
//	grafana     build a Grafana dashboard for machines, or save it to Grafana
//
// Run "am-gen help <command>" for the flags of a command, and
// "am-gen --version" for the build.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"

	"github.com/amkit-dev/amkit/internal/buildinfo"
)

// Exit codes, as Go's flag package and go tool use them.
const (
	exitOK    = 0
	exitFail  = 1
	exitUsage = 2
)

// env reads an environment variable; os.Getenv, or a map in tests.
type env func(key string) string

// command is a subcommand of am-gen.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer, getenv env) int
}

var commands = []command{
	{"grafana", "build a Grafana dashboard for machines, or save it to Grafana", runGrafana},
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}

// run is am-gen without the process around it: it reads nothing but its
// arguments and getenv, and writes nothing but stdout and stderr.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv env) int {
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	switch args[0] {
	case "-version", "--version":
		return printVersion(stdout)
	case "help", "-h", "-help", "--help":
		if len(args) == 1 {
			usage(stdout)
			return exitOK
		}
		cmd, ok := lookup(args[1])
		if !ok {
			fmt.Fprintf(stderr, "am-gen help %s: unknown command\nRun 'am-gen help' for usage.\n", args[1])
			return exitUsage
		}
		return cmd.run(ctx, []string{"-h"}, stdout, stderr, getenv)
	}
	cmd, ok := lookup(args[0])
	if !ok {
		fmt.Fprintf(stderr, "am-gen %s: unknown command\nRun 'am-gen help' for usage.\n", args[0])
		return exitUsage
	}
	return cmd.run(ctx, args[1:], stdout, stderr, getenv)
}

// printVersion answers --version, given to am-gen or to any of its
// commands: the same line either way, since it is the same binary.
func printVersion(stdout io.Writer) int {
	fmt.Fprintln(stdout, buildinfo.Version("am-gen"))
	return exitOK
}

func lookup(name string) (command, bool) {
	for _, c := range commands {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

func usage(w io.Writer) {
	var b strings.Builder
	b.WriteString("Am-gen generates files for amkit machines.\n\nUsage:\n\n\tam-gen <command> [arguments]\n\nThe commands are:\n\n")
	width := 0
	for _, c := range commands {
		width = max(width, len(c.name))
	}
	for _, c := range commands {
		fmt.Fprintf(&b, "\t%-*s    %s\n", width, c.name, c.summary)
	}
	b.WriteString("\nUse \"am-gen help <command>\" for more information about a command,\n" +
		"and \"am-gen --version\" for the version of this build.\n")
	io.WriteString(w, b.String())
}
