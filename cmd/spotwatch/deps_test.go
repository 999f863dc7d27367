package main_test

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// testOnly are the packages the spotwatch binary must never link: test infrastructure (loopback
// servers and worlds, the network-namespace lab, the desktop test bus) and the testing package.
var testOnly = []string{
	"testing",
	"github.com/spotwatch/spotwatch/internal/lab",
	"github.com/spotwatch/spotwatch/internal/lab/labworld",
	"github.com/spotwatch/spotwatch/internal/testnet",
	"github.com/spotwatch/spotwatch/internal/testworld",
	"github.com/spotwatch/spotwatch/internal/testutil",
	"github.com/spotwatch/spotwatch/tray/internal/desktoptest",
}

// TestBinaryLinksNoTestInfrastructure lists the packages the release binary is built from on
// each OS it ships for, and fails, with the chain of imports that brings it in, when one of
// them is test infrastructure or testing.
func TestBinaryLinksNoTestInfrastructure(t *testing.T) {
	for _, goos := range []string{"linux", "windows", "darwin"} {
		t.Run(goos, func(t *testing.T) {
			imports := importGraph(t, goos, ".")
			main := mainPackage(t, goos)
			for _, bad := range testOnly {
				if chain := importChain(imports, main, bad); chain != nil {
					t.Errorf("GOOS=%s: the spotwatch binary links %s:\n  %s", goos, bad, strings.Join(chain, "\n  imports "))
				}
			}
		})
	}
}

// importGraph is, for every package pkg depends on when built for goos without cgo, the
// packages it imports.
func importGraph(t *testing.T, goos, pkg string) map[string][]string {
	t.Helper()
	out := goList(t, goos, "-deps", "-f", "{{.ImportPath}}{{range .Imports}} {{.}}{{end}}", pkg)
	graph := map[string][]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) > 0 {
			graph[fields[0]] = fields[1:]
		}
	}
	if len(graph) == 0 {
		t.Fatalf("go list -deps listed no packages for GOOS=%s", goos)
	}
	return graph
}

func mainPackage(t *testing.T, goos string) string {
	t.Helper()
	return strings.TrimSpace(string(goList(t, goos, "-f", "{{.ImportPath}}", ".")))
}

func goList(t *testing.T, goos string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command("go", append([]string{"list"}, args...)...)
	cmd.Env = append(os.Environ(), "GOOS="+goos, "GOARCH=amd64", "CGO_ENABLED=0")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list %s (GOOS=%s): %v\n%s", strings.Join(args, " "), goos, err, stderr.String())
	}
	return out
}

// importChain is the shortest chain of imports from "from" to "to", or nil if to is not
// among from's dependencies.
func importChain(graph map[string][]string, from, to string) []string {
	prev := map[string]string{from: ""}
	queue := []string{from}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		if p == to {
			var chain []string
			for ; p != ""; p = prev[p] {
				chain = append([]string{p}, chain...)
			}
			return chain
		}
		for _, next := range graph[p] {
			if _, seen := prev[next]; !seen {
				prev[next] = p
				queue = append(queue, next)
			}
		}
	}
	return nil
}
