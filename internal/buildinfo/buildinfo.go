// Package buildinfo says which build of amkit a command is: the line that
// every amkit command prints for --version, from what the Go toolchain
// recorded in the binary (runtime/debug.ReadBuildInfo).
//
// A binary installed with `go install module/cmd@version` knows its module
// version; one built with `go build` in a clone also knows the commit it
// was built from and whether the tree had changes. `go run`, test binaries
// and builds with -buildvcs=false record no commit, and the line says so
// rather than leaving the field out.
package buildinfo

import (
	"flag"
	"runtime/debug"
	"strings"
)

// revisionLen is how much of a commit hash the line shows: enough to name
// a commit in any repository of this size, short enough to read.
const revisionLen = 12

// Flag defines the --version flag on fs. After fs.Parse, the returned
// value says whether it was given; the command then prints [Version] to
// standard output and exits 0 without doing anything else.
func Flag(fs *flag.FlagSet) *bool {
	return fs.Bool("version", false, "print the version of this build and exit")
}

// Version is the --version line of the running binary, for the command
// called name.
func Version(name string) string {
	info, _ := debug.ReadBuildInfo()
	return Line(name, info)
}

// Line formats info as the --version line of the command called name:
//
//	am-dbg github.com/amkit-dev/amkit v1.2.0, revision 0123456789ab, modified, 2026-12-01T08:00:00Z, go1.26.8 linux/amd64
//
// A nil info is a binary built without module support.
func Line(name string, info *debug.BuildInfo) string {
	var b strings.Builder
	b.WriteString(name)
	if info == nil {
		b.WriteString(": no build information in this binary")
		return b.String()
	}
	if info.Main.Path != "" {
		b.WriteString(" " + info.Main.Path)
	}
	version := info.Main.Version
	if version == "" {
		version = "(devel)"
	}
	b.WriteString(" " + version)

	settings := map[string]string{}
	for _, s := range info.Settings {
		settings[s.Key] = s.Value
	}
	if rev := settings["vcs.revision"]; rev != "" {
		b.WriteString(", revision " + rev[:min(len(rev), revisionLen)])
		if settings["vcs.modified"] == "true" {
			b.WriteString(", modified")
		}
		if t := settings["vcs.time"]; t != "" {
			b.WriteString(", " + t)
		}
	} else {
		b.WriteString(", revision unknown (not recorded by go run, go test or -buildvcs=false)")
	}

	b.WriteString(", " + info.GoVersion)
	if goos, goarch := settings["GOOS"], settings["GOARCH"]; goos != "" && goarch != "" {
		b.WriteString(" " + goos + "/" + goarch)
	}
	return b.String()
}
