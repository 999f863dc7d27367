//go:build linux

package lab

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"sync"
	"syscall"
	"time"
)

// The lab's own echo servers on Plan.Probe.
var echoTCPPorts = []uint16{7, 80, 443, 4070}

const (
	echoUDPPort = 7
	// probeTimeout is how long a verification probe waits before it calls a path silent.
	// Answers inside the lab take well under a millisecond.
	probeTimeout = 400 * time.Millisecond
)

// echoServers echo TCP and UDP on Plan.Probe.
type echoServers struct {
	wg    sync.WaitGroup
	mu    sync.Mutex
	lns   []net.Listener
	pc    net.PacketConn
	conns map[net.Conn]bool
}

func startEcho(l *Lab) (*echoServers, error) {
	e := &echoServers{conns: map[net.Conn]bool{}}
	for _, port := range echoTCPPorts {
		ln, err := l.Listen(Servers, "tcp4", Addr(l.plan.Probe, port))
		if err != nil {
			e.close()
			return nil, err
		}
		e.lns = append(e.lns, ln)
		e.wg.Go(func() { e.serveTCP(ln) })
	}
	pc, err := l.ListenPacket(Servers, "udp4", Addr(l.plan.Probe, echoUDPPort))
	if err != nil {
		e.close()
		return nil, err
	}
	e.pc = pc
	e.wg.Go(func() {
		buf := make([]byte, 2048)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			pc.WriteTo(buf[:n], from)
		}
	})
	return e, nil
}

func (e *echoServers) serveTCP(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		e.mu.Lock()
		e.conns[c] = true
		e.mu.Unlock()
		e.wg.Go(func() {
			io.Copy(c, c)
			c.Close()
			e.mu.Lock()
			delete(e.conns, c)
			e.mu.Unlock()
		})
	}
}

func (e *echoServers) close() {
	for _, ln := range e.lns {
		ln.Close()
	}
	if e.pc != nil {
		e.pc.Close()
	}
	e.mu.Lock()
	for c := range e.conns {
		c.Close()
	}
	e.mu.Unlock()
	e.wg.Wait()
}

// outcome is how a probe ended, in words that match the failure strings of docs/design.md "Failure strings".
type outcome string

const (
	outOK          outcome = "ok"
	outRefused     outcome = "connection_refused"
	outReset       outcome = "connection_reset"
	outTimeout     outcome = "timeout"
	outNetUnreach  outcome = "network_unreachable"
	outHostUnreach outcome = "host_unreachable"
	outEOF         outcome = "eof"
)

func classify(err error) outcome {
	var ne net.Error
	switch {
	case err == nil:
		return outOK
	case errors.Is(err, syscall.ECONNREFUSED):
		return outRefused
	case errors.Is(err, syscall.ECONNRESET):
		return outReset
	case errors.Is(err, syscall.ENETUNREACH):
		return outNetUnreach
	case errors.Is(err, syscall.EHOSTUNREACH):
		return outHostUnreach
	case errors.Is(err, io.EOF):
		return outEOF
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded),
		errors.As(err, &ne) && ne.Timeout():
		return outTimeout
	}
	return outcome("other: " + err.Error())
}

// probeTCP connects from the client to dst within probeTimeout and, if payload is given,
// sends it and waits for the first byte of an answer. It reports how that went and how long
// the connect took.
func (l *Lab) probeTCP(ctx context.Context, dst netip.AddrPort, payload []byte, timeout time.Duration) (outcome, time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	start := time.Now()
	conn, err := l.DialFromClient(ctx, "tcp4", dst.String())
	took := time.Since(start)
	if le := (*Error)(nil); errors.As(err, &le) {
		return "", 0, err
	}
	if err != nil {
		return classify(err), took, nil
	}
	defer conn.Close()
	if len(payload) == 0 {
		return outOK, took, nil
	}
	deadline, _ := ctx.Deadline()
	conn.SetDeadline(deadline)
	if _, err := conn.Write(payload); err != nil {
		return classify(err), took, nil
	}
	var b [1]byte
	_, err = conn.Read(b[:])
	return classify(err), took, nil
}

// echoTCP proves a TCP round trip to the probe server on port.
func (l *Lab) echoTCP(ctx context.Context, port uint16) error {
	conn, err := l.DialFromClient(ctx, "tcp4", Addr(l.plan.Probe, port))
	if err != nil {
		return fmt.Errorf("connecting to the probe server on %d: %w", port, err)
	}
	defer conn.Close()
	if d, ok := ctx.Deadline(); ok {
		conn.SetDeadline(d)
	}
	msg := []byte("lab echo\n")
	if _, err := conn.Write(msg); err != nil {
		return fmt.Errorf("writing to the probe server on %d: %w", port, err)
	}
	got := make([]byte, len(msg))
	if _, err := io.ReadFull(conn, got); err != nil || !bytes.Equal(got, msg) {
		return fmt.Errorf("echo from the probe server on %d: got %q: %v", port, got, err)
	}
	return nil
}

// echoUDP sends n numbered datagrams from the client to the UDP echo server and counts the
// distinct answers that arrive until all are back or wait after the last send.
func (l *Lab) echoUDP(ctx context.Context, n int, wait time.Duration) (sent, got int, err error) {
	conn, err := l.DialFromClient(ctx, "udp4", Addr(l.plan.Probe, echoUDPPort))
	if err != nil {
		return 0, 0, fmt.Errorf("opening UDP to the probe server: %w", err)
	}
	defer conn.Close()
	seen := make(map[uint32]bool)
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 64)
		for {
			m, err := conn.Read(buf)
			if err != nil {
				if errors.Is(err, syscall.ECONNREFUSED) {
					continue // an ICMP error from an earlier datagram; keep reading
				}
				return
			}
			if m == 4 {
				seen[binary.BigEndian.Uint32(buf)] = true
			}
			if len(seen) == n {
				return // all back: no need to wait
			}
		}
	}()
	var b [4]byte
	for i := range n {
		binary.BigEndian.PutUint32(b[:], uint32(i))
		if _, err := conn.Write(b[:]); err == nil {
			sent++
		}
		if i%50 == 49 {
			time.Sleep(2 * time.Millisecond) // stay far below any socket buffer
		}
	}
	conn.SetReadDeadline(time.Now().Add(wait))
	<-done
	return sent, len(seen), ctx.Err()
}

// probeUDP sends one datagram from the client to dst and reports what came back within
// timeout: ok (an answer), connection_refused (ICMP port unreachable) or timeout.
func (l *Lab) probeUDP(ctx context.Context, dst netip.AddrPort, timeout time.Duration) (outcome, error) {
	conn, err := l.DialFromClient(ctx, "udp4", dst.String())
	if le := (*Error)(nil); errors.As(err, &le) {
		return "", err
	}
	if err != nil {
		return classify(err), nil
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(timeout))
	if _, err := conn.Write([]byte("lab probe")); err != nil {
		return classify(err), nil
	}
	var b [512]byte
	_, err = conn.Read(b[:])
	return classify(err), nil
}
