package testnet_test

import (
	"errors"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/spotwatch/spotwatch/internal/testnet"
)

func TestTCPServer(t *testing.T) {
	tests := []struct {
		mode    testnet.TCPMode
		wantErr func(error) bool
		want    string
	}{
		{testnet.Accept, isTimeout, "a timeout: the connection stays open"},
		{testnet.ResetOnAccept, func(err error) bool { return errors.Is(err, syscall.ECONNRESET) }, "ECONNRESET"},
	}
	for _, tt := range tests {
		t.Run(tt.mode.String(), func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			s, err := testnet.StartTCP(ln, tt.mode)
			if err != nil {
				t.Fatal(err)
			}
			closeLater(t, s)
			c, err := net.DialTimeout("tcp", s.Addr(), 5*time.Second)
			// ResetOnAccept: the RST can arrive before Go reads the connect's outcome.
			if err == nil {
				defer c.Close()
				if tt.mode == testnet.Accept {
					if _, err := c.Write([]byte("\x00\x04spotify-ap-hello")); err != nil {
						t.Fatalf("write: %v", err)
					}
				}
				_ = c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
				_, err = c.Read(make([]byte, 1))
			}
			waitFor(t, "the accept", func() bool { return s.Accepted() > 0 })
			if !tt.wantErr(err) {
				t.Errorf("read error = %v, want %s", err, tt.want)
			}
			if s.Accepted() != 1 {
				t.Errorf("Accepted() = %d, want 1", s.Accepted())
			}
		})
	}
}

func TestTCPServerCloseWithClientsConnected(t *testing.T) {
	s, err := testnet.StartLocalTCP(testnet.Accept)
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	waitFor(t, "the accept", func() bool { return s.Accepted() > 0 })
	closeWithin(t, s, 5*time.Second)
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Read(make([]byte, 1)); err == nil || isTimeout(err) {
		t.Errorf("read after Close = %v, want the connection closed", err)
	}
	if _, err := net.DialTimeout("tcp", s.Addr(), time.Second); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("dial after Close = %v, want ECONNREFUSED", err)
	}
	closeWithin(t, s, time.Second) // a second Close is harmless
}

func TestClosedPortRefuses(t *testing.T) {
	_, err := net.DialTimeout("tcp", testnet.ClosedPort(), 5*time.Second)
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("dial error = %v, want ECONNREFUSED", err)
	}
}
