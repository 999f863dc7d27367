package testnet

import (
	"fmt"
	"io"
	"net"
	"strconv"
	"sync/atomic"
)

// TCPMode is what a TCPServer does with the connections it accepts.
type TCPMode int

// The behaviours of a TCPServer.
const (
	// Accept keeps every connection open, reading and discarding, until the client leaves or
	// the server closes: a Spotify access point as a TCP probe sees it.
	Accept TCPMode = iota
	// ResetOnAccept resets every connection at once (SO_LINGER 0): the client gets ECONNRESET,
	// on its first read or write, or from the connect itself when the RST arrives before the
	// client reads the connect's outcome (common on loopback).
	ResetOnAccept
)

func (m TCPMode) String() string {
	switch m {
	case Accept:
		return "Accept"
	case ResetOnAccept:
		return "ResetOnAccept"
	}
	return "TCPMode(" + strconv.Itoa(int(m)) + ")"
}

// TCPServer is a raw TCP server (an access point: its protocol is not TLS, even on 443).
type TCPServer struct {
	cs       *connServer
	mode     TCPMode
	accepted atomic.Int64
}

// StartTCP serves mode on ln.
func StartTCP(ln net.Listener, mode TCPMode) (*TCPServer, error) {
	s := &TCPServer{mode: mode}
	cs, err := startConnServer(ln, s.handle)
	if err != nil {
		return nil, fmt.Errorf("starting TCP server: %w", err)
	}
	s.cs = cs
	return s, nil
}

// StartLocalTCP serves mode on 127.0.0.1.
func StartLocalTCP(mode TCPMode) (*TCPServer, error) {
	ln, err := listenLocal()
	if err != nil {
		return nil, err
	}
	return StartTCP(ln, mode)
}

func (s *TCPServer) handle(c net.Conn) bool {
	s.accepted.Add(1)
	if s.mode == ResetOnAccept {
		reset(c)
		return false
	}
	_, _ = io.Copy(io.Discard, c)
	return false
}

// Accepted returns how many connections the server has accepted.
func (s *TCPServer) Accepted() int { return int(s.accepted.Load()) }

// Addr returns the address the server listens on (host:port).
func (s *TCPServer) Addr() string { return s.cs.Addr() }

// Close stops the server, closes its connections and waits for its goroutines.
func (s *TCPServer) Close() error { return s.cs.Close() }

// ClosedPort returns a 127.0.0.1 address (host:port) with nothing listening, so a connect is
// refused (ECONNREFUSED): a port that was free a moment ago (another process could take it), or
// 127.0.0.1:1 if no port could be had.
func ClosedPort() string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "127.0.0.1:1"
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return addr
}
