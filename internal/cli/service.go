package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/spotwatch/spotwatch/svc"
)

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(s string) error { *l = append(*l, s); return nil }

// serviceUsage is each service command's synopsis and description.
var serviceUsage = map[string]string{
	"install": "[--user|--system] [--config FILE] [--env KEY=VALUE]...\n\n" +
		"Installs and starts the service that runs 'spotwatch daemon', registers the tray to start at\n" +
		"login and starts it. --user (the default on Linux and macOS) installs a service of yours,\n" +
		"started at your login; --system (the only kind on Windows) one for the whole machine, started\n" +
		"at boot, which needs sudo or an administrator terminal. Running it again updates what changed.",
	"uninstall": "[--user|--system] [--purge]\n\n" +
		"Stops and removes the service and the tray's autostart. The history, the configuration and the\n" +
		"logs stay unless --purge.",
	"start":   "[--user|--system]\n\nStarts the installed service and waits for its daemon to answer.",
	"stop":    "[--user|--system]\n\nStops the installed service.",
	"restart": "[--user|--system]\n\nRestarts the installed service and waits for its daemon to answer.",
}

// runService is `spotwatch install|uninstall|start|stop|restart`.
func runService(ctx context.Context, action string, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet(action, flag.ContinueOnError)
	fs.SetOutput(stderr)
	user := fs.Bool("user", false, "the service of the user running this (default on Linux and macOS)")
	system := fs.Bool("system", false, "the system-wide service (default on Windows; needs administrator rights)")
	var configPath string
	var env stringList
	purge := false
	switch action {
	case "install":
		fs.StringVar(&configPath, "config", "", "configuration `FILE` the daemon reads (default: the per-user config file, or the system one with --system; created when missing)")
		fs.Var(&env, "env", "set `KEY=VALUE` in the daemon's environment, e.g. SSL_CERT_FILE or HTTPS_PROXY (repeatable)")
	case "uninstall":
		fs.BoolVar(&purge, "purge", false, "also delete the history, the configuration, the logs and the service account")
	}
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: spotwatch %s %s\n\n", action, serviceUsage[action])
		printFlags(fs)
	}
	if status, ok := parseArgs(fs, args, stderr); !ok {
		return status
	}
	if *user && *system {
		fmt.Fprintf(stderr, "spotwatch %s: --user and --system exclude each other\n", action)
		return exitUsage
	}
	vars, err := svc.ParseEnv(env)
	if err != nil {
		fmt.Fprintf(stderr, "spotwatch %s: --env: %v\n", action, err)
		return exitUsage
	}
	if configPath != "" {
		if configPath, err = absPath(configPath); err != nil {
			fmt.Fprintf(stderr, "spotwatch %s: --config: %v\n", action, err)
			return exitUsage
		}
	}
	var scope svc.Scope
	switch {
	case *user:
		scope = svc.User
	case *system:
		scope = svc.System
	case action == "install":
		scope = svc.DefaultScope(runtime.GOOS)
	default:
		if scope, err = installedScope(ctx); err != nil {
			fmt.Fprintf(stderr, "spotwatch %s: %v\n", action, err)
			return exitUsage
		}
	}
	plan, err := svc.NewPlan(svc.Options{Scope: scope, Config: configPath, Env: vars})
	if err != nil {
		fmt.Fprintf(stderr, "spotwatch %s: %v\n", action, err)
		return exitInternal
	}
	if action != "install" && configPath == "" {
		if err := plan.UseInstalled(); err != nil {
			fmt.Fprintf(stderr, "spotwatch %s: %v\n", action, err)
			return exitInternal
		}
	}
	in := &svc.Installer{Plan: plan, Out: stdout}
	switch action {
	case "install":
		err = in.Install(ctx)
	case "uninstall":
		err = in.Uninstall(ctx, purge)
	case "start":
		err = in.Start(ctx)
	case "stop":
		err = in.Stop(ctx)
	case "restart":
		err = in.Restart(ctx)
	}
	if err == nil {
		return exitOK
	}
	fmt.Fprintf(stderr, "spotwatch %s: %v\n", action, err)
	if errors.Is(err, svc.ErrNeedAdmin) {
		fmt.Fprint(stderr, adminHint(action, scope, args))
	}
	return exitInternal
}

// installedScope is the scope of the installed service when neither --user nor --system is
// given: the one installed, else the default.
func installedScope(ctx context.Context) (svc.Scope, error) {
	def := svc.DefaultScope(runtime.GOOS)
	var installed []svc.Scope
	resolves := map[svc.Scope]bool{}
	for _, s := range []svc.Scope{def, def.Other()} {
		plan, err := svc.NewPlan(svc.Options{Scope: s})
		if err != nil {
			continue
		}
		resolves[s] = true
		in := &svc.Installer{Plan: plan, Out: io.Discard}
		if in.Status(ctx).State != svc.NotInstalled.String() {
			installed = append(installed, s)
		}
	}
	switch {
	case len(installed) == 2:
		return 0, errors.New("both a user and a system service are installed: say which with --user or --system")
	case len(installed) == 1:
		return installed[0], nil
	case !resolves[def] && resolves[def.Other()]:
		return def.Other(), nil
	}
	return def, nil
}

// adminHint says exactly what to run with administrator rights instead.
func adminHint(action string, scope svc.Scope, args []string) string {
	exe, err := os.Executable()
	if err != nil {
		exe = "spotwatch"
	}
	words := append([]string{action}, args...)
	if scope == svc.System && runtime.GOOS != "windows" && !contains(args, "--system") && !contains(args, "-system") {
		words = append(words, "--system")
	}
	if runtime.GOOS == "windows" {
		return fmt.Sprintf("Open a terminal as administrator (right-click Windows Terminal, \"Run as administrator\") and run:\n  & '%s' %s\n", exe, strings.Join(words, " "))
	}
	quoted := []string{"sudo", shellQuote(exe)}
	for _, w := range words {
		quoted = append(quoted, shellQuote(w))
	}
	return fmt.Sprintf("Run instead:\n  %s\n", strings.Join(quoted, " "))
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./:=@+,") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func absPath(path string) (string, error) {
	if strings.HasPrefix(path, "~/") {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", err
		}
		path = home + path[1:]
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", fmt.Errorf("resolving %s: %w", path, err)
	}
	return abs, nil
}

// serviceReports returns the state of the services of the scopes asked for (both when scope
// is 0) that this system can have.
func serviceReports(ctx context.Context, scope svc.Scope) []svc.Report {
	scopes := []svc.Scope{scope}
	if scope == 0 {
		def := svc.DefaultScope(runtime.GOOS)
		scopes = []svc.Scope{def, def.Other()}
	}
	var reports []svc.Report
	for _, s := range scopes {
		plan, err := svc.NewPlan(svc.Options{Scope: s})
		if err != nil {
			continue
		}
		if err := plan.UseInstalled(); err != nil {
			continue
		}
		reports = append(reports, (&svc.Installer{Plan: plan, Out: io.Discard}).Status(ctx))
	}
	return reports
}

// writeServices prints the service lines of `status`: each installed service's state and
// whether the tray starts at login, or that none is installed.
func writeServices(w io.Writer, reports []svc.Report) {
	shown := false
	for _, r := range reports {
		if r.State == svc.NotInstalled.String() && r.Error == "" {
			continue
		}
		shown = true
		fmt.Fprintf(w, "Service: %s service (%s, %s): %s", r.Scope, r.Platform, r.Definition, r.State)
		if r.Error != "" {
			fmt.Fprintf(w, " (%s)", r.Error)
		}
		if r.TrayAtLogin {
			fmt.Fprintf(w, "; the tray starts at login (%s)", r.TrayEntry)
		}
		fmt.Fprintln(w)
		if r.State == svc.Stopped.String() {
			fmt.Fprintf(w, "Start it with: spotwatch start --%s\n", r.Scope)
		}
	}
	if !shown {
		fmt.Fprintln(w, "Service: not installed ('spotwatch install' installs it)")
	}
}
