package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// result is what one in-process run of am-gen produced.
type result struct {
	code           int
	stdout, stderr string
}

// amGen runs am-gen with args and an environment of vars.
func amGen(t *testing.T, vars map[string]string, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, &stdout, &stderr, func(k string) string { return vars[k] })
	return result{code, stdout.String(), stderr.String()}
}

func TestHelp(t *testing.T) {
	for _, args := range [][]string{{"help"}, {"-h"}, {"--help"}} {
		r := amGen(t, nil, args...)
		if r.code != exitOK || !strings.Contains(r.stdout, "am-gen <command> [arguments]") ||
			!strings.Contains(r.stdout, "\tgrafana ") || r.stderr != "" {
			t.Errorf("am-gen %s: %+v, want the command list on stdout and exit 0", args, r)
		}
	}
	r := amGen(t, nil)
	if r.code != exitUsage || !strings.Contains(r.stderr, "am-gen <command> [arguments]") || r.stdout != "" {
		t.Errorf("am-gen without a command: %+v, want the command list on stderr and exit 2", r)
	}
	for _, args := range [][]string{{"nope"}, {"help", "nope"}} {
		r := amGen(t, nil, args...)
		if r.code != exitUsage || !strings.Contains(r.stderr, "nope: unknown command") {
			t.Errorf("am-gen %s: %+v, want unknown command and exit 2", args, r)
		}
	}
}

// TestVersion asks am-gen and each of its commands for the version: every
// amkit command answers --version, and a command's own flags (grafana's
// required --name, say) do not stand in the way.
func TestVersion(t *testing.T) {
	argLists := [][]string{{"--version"}, {"-version"}}
	for _, c := range commands {
		argLists = append(argLists, []string{c.name, "--version"}, []string{c.name, "-version"})
	}
	for _, args := range argLists {
		r := amGen(t, nil, args...)
		if r.code != exitOK || !strings.HasPrefix(r.stdout, "am-gen github.com/amkit-dev/amkit ") ||
			strings.Count(r.stdout, "\n") != 1 || r.stderr != "" {
			t.Errorf("am-gen %s: %+v, want one version line on stdout and exit 0", strings.Join(args, " "), r)
		}
	}
}

func TestGrafanaHelp(t *testing.T) {
	want := []string{
		"usage: am-gen grafana --name title --ids id,... --source name [flags]",
		"--grafana-url url", "--logs backend", "(default loki)", "--folder uid", "--output file", "--timeout duration", "(default 30s)",
		"--provisioning dir", "--prometheus-url url", "--logs-url url", "--traces-url url",
		tokenEnv, "Examples:",
		"Number of transitions", "Transition mutations", "Queue size",
		"States added", "States removed", "States touched", "Transition details",
		"States & relations", "Average transition time", "Errors", "Log view",
	}
	for _, args := range [][]string{{"help", "grafana"}, {"grafana", "-h"}, {"grafana", "--help"}} {
		r := amGen(t, nil, args...)
		if r.code != exitOK || r.stderr != "" {
			t.Errorf("am-gen %s: exit %d, stderr %q; want 0 and nothing", args, r.code, r.stderr)
		}
		for _, w := range want {
			if !strings.Contains(r.stdout, w) {
				t.Errorf("am-gen %s: help lacks %q", args, w)
			}
		}
	}
}
