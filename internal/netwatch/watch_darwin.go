package netwatch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"syscall"

	"golang.org/x/sys/unix"
)

// openEvents opens a route socket, which the kernel copies every routing, address and interface
// message to.
func openEvents(logger *slog.Logger) (runFunc, error) {
	syscall.ForkLock.RLock() // no child may inherit the socket before it is close-on-exec
	fd, err := unix.Socket(unix.AF_ROUTE, unix.SOCK_RAW, unix.AF_UNSPEC)
	if err == nil {
		unix.CloseOnExec(fd)
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		return nil, fmt.Errorf("opening route socket: %w", err)
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("making route socket non-blocking: %w", err)
	}
	sock, err := newSocket(fd, "route")
	if err != nil {
		unix.Close(fd)
		return nil, err
	}
	t := newRouteSocketTracker()
	if ifaces, err := net.Interfaces(); err == nil {
		t.seed(ifaces)
	} else {
		logger.Debug("listing interfaces", "err", err)
	}
	return func(ctx context.Context, emit func(Change)) error {
		return readRouteSocket(ctx, sock, t, emit, logger)
	}, nil
}

// readRouteSocket reads messages until ctx is done, then closes the socket.
func readRouteSocket(ctx context.Context, sock *socket, t *routeSocketTracker, emit func(Change), logger *slog.Logger) error {
	stop := context.AfterFunc(ctx, func() { sock.close() })
	defer func() {
		if stop() {
			sock.close()
		}
	}()
	buf := make([]byte, 16<<10) // one message per read, at most a few hundred bytes
	for {
		var n int
		err := sock.read(func(fd int) error {
			var rerr error
			n, rerr = unix.Read(fd, buf)
			return rerr
		})
		switch {
		case ctx.Err() != nil:
			return nil
		case errors.Is(err, unix.ENOBUFS):
			logger.Info("network change events were lost")
			emit(Change{Reason: ReasonOverflow})
			continue
		case err != nil:
			return fmt.Errorf("reading route socket: %w", err)
		}
		if reason := t.reason(buf[:n]); reason != "" {
			emit(Change{Reason: reason})
		}
	}
}
