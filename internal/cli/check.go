package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"

	"github.com/spotwatch/spotwatch/monitor/diagnosis"
	"github.com/spotwatch/spotwatch/monitor/probe"
)

// runCheck runs one check and prints it; the exit status is the Spotify error code.
func runCheck(ctx context.Context, args []string, stdout, stderr io.Writer) (status int) {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print the result as one JSON object")
	configPath := fs.String("config", "", "configuration `FILE` (default: the per-user config file if present, else built-in defaults)")
	fs.Usage = func() {
		fmt.Fprint(stderr, "Usage: spotwatch check [--json] [--config FILE]\n\nRuns one check of Spotify's reachability and prints the diagnosis.\nExit status: 0 reachable, 4 no internet, 7 Spotify blocked, 1 internal error, 2 usage or config error.\n\n")
		printFlags(fs)
	}
	if status, ok := parseArgs(fs, args, stderr); !ok {
		return status
	}
	cfg, err := loadConfig(*configPath)
	if err != nil {
		fmt.Fprintf(stderr, "spotwatch: %v\n", err)
		return exitUsage
	}
	log := newLogger(cfg, stderr)
	defer func() {
		if v := recover(); v != nil {
			log.Error("internal error", "panic", v)
			status = exitInternal
		}
	}()
	checker, err := probe.New(cfg, probe.Options{Logger: log})
	if err != nil {
		fmt.Fprintf(stderr, "spotwatch: %v\n", err)
		return exitUsage
	}
	rep := checker.Check(ctx)
	if ctx.Err() != nil {
		fmt.Fprintln(stderr, "spotwatch: check interrupted")
		return exitInternal
	}
	res := diagnosis.NewResult(rep, diagnosis.Classify(rep))
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(res); err != nil {
			fmt.Fprintf(stderr, "spotwatch: writing JSON: %v\n", err)
			return exitInternal
		}
	} else {
		writeText(stdout, res, isTerminal(stdout))
	}
	return checkExitStatus(res)
}

// checkExitStatus is the Spotify error code of a result (0, 4, 7), or exitInternal for a check
// that gave no verdict because it failed inside spotwatch (code -1).
func checkExitStatus(res diagnosis.Result) int {
	if res.Code == diagnosis.CodeUnknown {
		return exitInternal
	}
	return int(res.Code)
}
