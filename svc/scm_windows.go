package svc

import (
	"errors"
	"fmt"
	"strings"

	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/registry"
	"golang.org/x/sys/windows/svc/mgr"
)

// windowsInstalled reads the service's registration from the SCM (with the rights any user
// has), in the form windowsWant renders.
func windowsInstalled(p Plan) (string, bool, error) {
	h, err := windows.OpenSCManager(nil, nil, windows.SC_MANAGER_CONNECT)
	if err != nil {
		return "", false, fmt.Errorf("connecting to the service manager: %w", err)
	}
	m := &mgr.Mgr{Handle: h}
	defer m.Disconnect()
	name, err := windows.UTF16PtrFromString(p.Name)
	if err != nil {
		return "", false, err
	}
	sh, err := windows.OpenService(h, name, windows.SERVICE_QUERY_CONFIG)
	if errors.Is(err, windows.ERROR_SERVICE_DOES_NOT_EXIST) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("opening the service %s: %w", p.Name, err)
	}
	s := &mgr.Service{Handle: sh, Name: p.Name}
	defer s.Close()
	c, err := s.Config()
	if err != nil {
		return "", true, fmt.Errorf("reading the service's configuration: %w", err)
	}
	var env []string
	if k, err := registry.OpenKey(registry.LOCAL_MACHINE, `SYSTEM\CurrentControlSet\Services\`+p.Name, registry.QUERY_VALUE); err == nil {
		env, _, _ = k.GetStringsValue("Environment")
		k.Close()
	}
	return windowsDefinition(c.BinaryPathName, c.ServiceStartName, env), true, nil
}

// windowsInstalledConfig returns the --config argument of an installed registration.
func windowsInstalledConfig(def string) (string, bool) {
	line, _, _ := strings.Cut(def, "\n")
	args, err := windows.DecomposeCommandLine(strings.TrimPrefix(line, "command line: "))
	if err != nil {
		return "", false
	}
	for i, a := range args {
		if a == "--config" && i+1 < len(args) {
			return args[i+1], true
		}
	}
	return "", false
}

// markedForDeletion reports whether err says the service is still being deleted.
func markedForDeletion(err error) bool {
	// kardianos finds a service marked for deletion still there: "service spotwatch already exists".
	return err != nil && (errors.Is(err, windows.ERROR_SERVICE_MARKED_FOR_DELETE) ||
		errors.Is(err, windows.ERROR_SERVICE_EXISTS) || strings.HasSuffix(err.Error(), "already exists"))
}
