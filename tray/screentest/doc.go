// Package screentest runs spotwatch's tray on a real, if virtual, desktop: an X server (Xvfb),
// a session bus, gtk-sni-tray-standalone as the tray host and dunst as the notification
// daemon, with `spotwatch run` checking a loopback Internet into which a fault is injected. It
// has only tests (screen_test.go, apptrigger_test.go) and a benchmark of the idle tray's
// memory and CPU (idle_bench_test.go).
package screentest
