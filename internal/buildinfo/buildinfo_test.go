package buildinfo

import (
	"flag"
	"io"
	"runtime/debug"
	"strings"
	"testing"
)

func TestLine(t *testing.T) {
	settings := func(kv ...string) []debug.BuildSetting {
		var s []debug.BuildSetting
		for i := 0; i < len(kv); i += 2 {
			s = append(s, debug.BuildSetting{Key: kv[i], Value: kv[i+1]})
		}
		return s
	}
	const mod = "github.com/amkit-dev/amkit"
	for _, tc := range []struct {
		name string
		info *debug.BuildInfo
		want string
	}{{
		name: "clone with changes",
		info: &debug.BuildInfo{
			GoVersion: "go1.26.8",
			Main:      debug.Module{Path: mod, Version: "v0.4.1-0.20261201080000-0123456789ab+dirty"},
			Settings: settings("GOOS", "linux", "GOARCH", "amd64",
				"vcs", "git", "vcs.revision", "0123456789abcdef0123456789abcdef01234567",
				"vcs.time", "2026-12-01T08:00:00Z", "vcs.modified", "true"),
		},
		want: "am-dbg github.com/amkit-dev/amkit v0.4.1-0.20261201080000-0123456789ab+dirty, revision 0123456789ab, modified, 2026-12-01T08:00:00Z, go1.26.8 linux/amd64",
	}, {
		name: "clean clone",
		info: &debug.BuildInfo{
			GoVersion: "go1.26.8",
			Main:      debug.Module{Path: mod, Version: "v0.4.0"},
			Settings: settings("GOOS", "darwin", "GOARCH", "arm64",
				"vcs.revision", "fedcba9876543210", "vcs.time", "2026-11-30T10:00:00Z", "vcs.modified", "false"),
		},
		want: "am-dbg github.com/amkit-dev/amkit v0.4.0, revision fedcba987654, 2026-11-30T10:00:00Z, go1.26.8 darwin/arm64",
	}, {
		name: "go install at a version",
		info: &debug.BuildInfo{
			GoVersion: "go1.26.0",
			Main:      debug.Module{Path: mod, Version: "v0.4.0"},
			Settings:  settings("GOOS", "linux", "GOARCH", "arm64"),
		},
		want: "am-dbg github.com/amkit-dev/amkit v0.4.0, revision unknown (not recorded by go run, go test or -buildvcs=false), go1.26.0 linux/arm64",
	}, {
		name: "go run in a clone",
		info: &debug.BuildInfo{
			GoVersion: "go1.26.8",
			Main:      debug.Module{Path: mod, Version: "(devel)"},
		},
		want: "am-dbg github.com/amkit-dev/amkit (devel), revision unknown (not recorded by go run, go test or -buildvcs=false), go1.26.8",
	}, {
		name: "short revision",
		info: &debug.BuildInfo{
			GoVersion: "go1.26.8",
			Main:      debug.Module{Path: mod},
			Settings:  settings("vcs.revision", "abc"),
		},
		want: "am-dbg github.com/amkit-dev/amkit (devel), revision abc, go1.26.8",
	}, {
		name: "no module support",
		want: "am-dbg: no build information in this binary",
	}} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Line("am-dbg", tc.info); got != tc.want {
				t.Errorf("Line:\n got %s\nwant %s", got, tc.want)
			}
		})
	}
}

// TestVersion reads the test binary's own build information, which has a
// Go version and no commit (go test records none).
func TestVersion(t *testing.T) {
	got := Version("buildinfo.test")
	if !strings.HasPrefix(got, "buildinfo.test ") || !strings.Contains(got, ", go1.") {
		t.Errorf("Version = %q, want the name, a version and the Go version", got)
	}
}

func TestFlag(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want bool
	}{{nil, false}, {[]string{"--version"}, true}, {[]string{"-version"}, true}, {[]string{"--version=false"}, false}} {
		fs := flag.NewFlagSet("cmd", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		v := Flag(fs)
		if err := fs.Parse(tc.args); err != nil {
			t.Fatalf("%q: %v", tc.args, err)
		}
		if *v != tc.want {
			t.Errorf("%q: version %v, want %v", tc.args, *v, tc.want)
		}
	}
}
