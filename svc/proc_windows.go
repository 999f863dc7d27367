package svc

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"unsafe"

	"golang.org/x/sys/windows"
)

// trayPIDs lists processes of this session running the plan's binary, other than this one:
// Windows does not let one read another process's arguments cheaply, so any such process
// counts as the tray (the service runs in session 0, never in a user's).
func trayPIDs(p Plan) []uint32 {
	snap, err := windows.CreateToolhelp32Snapshot(windows.TH32CS_SNAPPROCESS, 0)
	if err != nil {
		return nil
	}
	defer windows.CloseHandle(snap)
	var mySession uint32
	windows.ProcessIdToSessionId(windows.GetCurrentProcessId(), &mySession)
	var pids []uint32
	entry := windows.ProcessEntry32{Size: uint32(unsafe.Sizeof(windows.ProcessEntry32{}))}
	for err = windows.Process32First(snap, &entry); err == nil; err = windows.Process32Next(snap, &entry) {
		pid := entry.ProcessID
		if pid == windows.GetCurrentProcessId() || !strings.EqualFold(windows.UTF16ToString(entry.ExeFile[:]), Name+".exe") {
			continue
		}
		var session uint32
		if windows.ProcessIdToSessionId(pid, &session) != nil || session != mySession {
			continue
		}
		if path, err := imagePath(pid); err != nil || !strings.EqualFold(path, p.Binary) {
			continue
		}
		pids = append(pids, pid)
	}
	return pids
}

func imagePath(pid uint32) (string, error) {
	h, err := windows.OpenProcess(windows.PROCESS_QUERY_LIMITED_INFORMATION, false, pid)
	if err != nil {
		return "", err
	}
	defer windows.CloseHandle(h)
	buf := make([]uint16, windows.MAX_LONG_PATH)
	n := uint32(len(buf))
	if err := windows.QueryFullProcessImageName(h, 0, &buf[0], &n); err != nil {
		return "", err
	}
	return windows.UTF16ToString(buf[:n]), nil
}

// startTray starts `spotwatch.exe tray` detached in this session unless it runs already.
func startTray(ctx context.Context, p Plan) (string, error) {
	if pids := trayPIDs(p); len(pids) > 0 {
		return fmt.Sprintf("already running (pid %d)", pids[0]), nil
	}
	cmd := exec.Command(p.Binary, "tray")
	cmd.Dir = p.Tray.Home
	cmd.SysProcAttr = &syscall.SysProcAttr{
		CreationFlags: windows.DETACHED_PROCESS | windows.CREATE_NEW_PROCESS_GROUP,
		HideWindow:    true,
	}
	if err := cmd.Start(); err != nil {
		return "", err
	}
	return waitEarlyExit(ctx, cmd, `"`+p.Binary+`"`)
}

// stopTray ends the trays running in this session.
func stopTray(ctx context.Context, p Plan) (string, error) {
	pids := trayPIDs(p)
	if len(pids) == 0 {
		return "", nil
	}
	for _, pid := range pids {
		if proc, err := os.FindProcess(int(pid)); err == nil {
			proc.Kill()
		}
	}
	return fmt.Sprintf("stopped the running tray (pid %s)", strings.Trim(fmt.Sprint(pids), "[]")), nil
}
