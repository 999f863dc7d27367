package netwatch

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"syscall"

	"golang.org/x/sys/unix"
)

// netlinkGroups are the rtnetlink multicast groups the watcher joins. Neighbour (ARP/ND) and
// netconf messages are left out: they churn without the network changing.
const netlinkGroups = unix.RTMGRP_LINK |
	unix.RTMGRP_IPV4_IFADDR | unix.RTMGRP_IPV6_IFADDR |
	unix.RTMGRP_IPV4_ROUTE | unix.RTMGRP_IPV6_ROUTE

// netlinkBuffer is the socket's receive buffer: it rides out bursts (a VPN coming up adds
// hundreds of routes). The kernel caps it at net.core.rmem_max and charges only what is queued.
const netlinkBuffer = 1 << 20

// The dumps that seed the tracker run one after the other (a socket runs one dump at a time):
// dumpType(0) to dumpType(dumpSteps-1).
const dumpSteps = 3

func dumpType(step int) uint16 {
	return [dumpSteps]uint16{unix.RTM_GETLINK, unix.RTM_GETADDR, unix.RTM_GETROUTE}[step]
}

// netlinkWatcher reads rtnetlink events. It first dumps the links, addresses and routes on the
// same socket, to know what is there and so tell repeats from changes.
type netlinkWatcher struct {
	sock   *socket
	port   uint32 // the socket's netlink port ID, which the replies to its dumps carry
	logger *slog.Logger
	state  *tracker

	lastSeq uint32
	seq     uint32 // sequence number of the running dump; 0 when none runs
	step    int    // the running dump's step
	intr    bool   // the running dump saw the tables change under it: run it again
	again   bool   // events were lost during the running dump: seed anew when it ends
	quiet   bool   // events were lost, which was reported: record without reporting until seeded
}

// openEvents subscribes to rtnetlink in the calling thread's network namespace.
func openEvents(logger *slog.Logger) (runFunc, error) {
	w, err := openNetlink(logger)
	if err != nil {
		return nil, err
	}
	return w.run, nil
}

// openNetlink opens the socket, joins the groups and asks for the first dump.
func openNetlink(logger *slog.Logger) (*netlinkWatcher, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, unix.NETLINK_ROUTE)
	if err != nil {
		return nil, fmt.Errorf("opening rtnetlink socket: %w", err)
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, netlinkBuffer); err != nil {
		logger.Debug("enlarging the rtnetlink receive buffer", "err", err)
	}
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK, Groups: netlinkGroups}); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("joining rtnetlink groups: %w", err)
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("reading rtnetlink port: %w", err)
	}
	nl, ok := sa.(*unix.SockaddrNetlink)
	if !ok {
		unix.Close(fd)
		return nil, fmt.Errorf("rtnetlink socket has address %T", sa)
	}
	sock, err := newSocket(fd, "rtnetlink")
	if err != nil {
		unix.Close(fd)
		return nil, err
	}
	w := &netlinkWatcher{sock: sock, port: nl.Pid, logger: logger, state: newTracker()}
	if err := w.startDump(0); err != nil {
		sock.close()
		return nil, err
	}
	return w, nil
}

// run reads events until ctx is done, then closes the socket.
func (w *netlinkWatcher) run(ctx context.Context, emit func(Change)) error {
	stop := context.AfterFunc(ctx, func() { w.sock.close() })
	defer func() {
		if stop() {
			w.sock.close()
		}
	}()
	// Batches are at most a page or two; a dump reply at most 32 KiB.
	buf := make([]byte, 64<<10)
	for {
		n, sender, err := w.recv(buf)
		switch {
		case ctx.Err() != nil:
			return nil
		case errors.Is(err, unix.ENOBUFS) || n > len(buf): // the queue overflowed, or the batch was cut
			w.logger.Info("network change events were lost; reading the network state again")
			w.reseed()
			emit(Change{Reason: ReasonOverflow})
			continue
		case err != nil:
			return fmt.Errorf("reading rtnetlink: %w", err)
		case sender != 0:
			continue // not from the kernel
		}
		if reason := w.handle(buf[:n]); reason != "" {
			emit(Change{Reason: reason})
		}
	}
}

// recv reads one batch of messages and the netlink port that sent them. n is the batch's full
// length, more than len(buf) if it was cut.
func (w *netlinkWatcher) recv(buf []byte) (n int, sender uint32, err error) {
	err = w.sock.read(func(fd int) error {
		var from unix.Sockaddr
		var rerr error
		n, from, rerr = unix.Recvfrom(fd, buf, unix.MSG_TRUNC)
		if nl, ok := from.(*unix.SockaddrNetlink); ok {
			sender = nl.Pid
		}
		return rerr
	})
	return n, sender, err
}

// handle applies a batch and returns the reason of its first change, or "".
func (w *netlinkWatcher) handle(b []byte) string {
	msgs, err := syscall.ParseNetlinkMessage(b)
	if err != nil {
		w.logger.Debug("skipping a malformed rtnetlink batch", "err", err)
		return ""
	}
	reason := ""
	for _, m := range msgs {
		if w.seq != 0 && m.Header.Seq == w.seq && m.Header.Pid == w.port {
			w.dumpReply(m)
			continue
		}
		if r := w.state.apply(m, w.quiet); reason == "" {
			reason = r
		}
	}
	return reason
}

// dumpReply records one message of the running dump, and starts the next dump after its last.
func (w *netlinkWatcher) dumpReply(m syscall.NetlinkMessage) {
	if m.Header.Flags&unix.NLM_F_DUMP_INTR != 0 {
		w.intr = true
	}
	switch m.Header.Type {
	case unix.NLMSG_DONE:
		w.nextDump()
	case unix.NLMSG_ERROR:
		err := error(syscall.Errno(0))
		if len(m.Data) >= 4 {
			err = syscall.Errno(-int32(binary.NativeEndian.Uint32(m.Data[0:4])))
		}
		w.logger.Warn("reading the network state", "request", dumpType(w.step), "err", err)
		w.intr = false // do not insist
		w.nextDump()
	default:
		w.state.apply(m, true)
	}
}

func (w *netlinkWatcher) nextDump() {
	step := w.step + 1
	switch {
	case w.again:
		w.state.reset()
		step = 0
	case w.intr:
		step = w.step
	}
	w.seq, w.intr, w.again = 0, false, false
	if step == dumpSteps {
		w.quiet = false
		return
	}
	if err := w.startDump(step); err != nil {
		w.logger.Warn("reading the network state", "err", err)
		w.quiet = false
	}
}

// reseed forgets the state and dumps it again, after events were lost. Events read until the
// dumps end are recorded without being reported: they are part of the loss already reported.
func (w *netlinkWatcher) reseed() {
	w.state.reset()
	w.quiet = true
	if w.seq != 0 {
		w.again = true // after the running dump
		return
	}
	if err := w.startDump(0); err != nil {
		w.logger.Warn("reading the network state", "err", err)
		w.quiet = false
	}
}

// startDump asks the kernel for dumpType(step).
func (w *netlinkWatcher) startDump(step int) error {
	w.lastSeq++
	if w.lastSeq == 0 {
		w.lastSeq++
	}
	req := dumpRequest(dumpType(step), w.lastSeq)
	err := w.sock.write(func(fd int) error {
		return unix.Sendto(fd, req, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK})
	})
	if err != nil {
		return fmt.Errorf("requesting rtnetlink dump %d: %w", dumpType(step), err)
	}
	w.seq, w.step = w.lastSeq, step
	return nil
}

// dumpRequest encodes a request to dump all objects of one kind (RTM_GETLINK, RTM_GETADDR or
// RTM_GETROUTE), of every address family.
func dumpRequest(typ uint16, seq uint32) []byte {
	body := unix.SizeofRtMsg
	switch typ {
	case unix.RTM_GETLINK:
		body = unix.SizeofIfInfomsg
	case unix.RTM_GETADDR:
		body = unix.SizeofIfAddrmsg
	}
	b := make([]byte, unix.NLMSG_HDRLEN+body) // an all-zero body asks for AF_UNSPEC
	binary.NativeEndian.PutUint32(b[0:4], uint32(len(b)))
	binary.NativeEndian.PutUint16(b[4:6], typ)
	binary.NativeEndian.PutUint16(b[6:8], unix.NLM_F_REQUEST|unix.NLM_F_DUMP)
	binary.NativeEndian.PutUint32(b[8:12], seq)
	return b
}

// write calls op when the socket is writable, until op stops failing with EAGAIN.
func (s *socket) write(op func(fd int) error) error {
	var opErr error
	err := s.rc.Write(func(fd uintptr) bool {
		opErr = retryEINTR(func() error { return op(int(fd)) })
		return !errors.Is(opErr, unix.EAGAIN)
	})
	if err != nil {
		return err
	}
	return opErr
}
