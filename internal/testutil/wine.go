package testutil

import "testing"

// UnderWine reports whether this (Windows) test binary runs under Wine rather than on Windows:
// Wine's ntdll.dll exports wine_get_version, which Windows' never has (Wine's own FAQ gives this
// check). It is false on every other OS. Tests only skip for Wine's known limits with it
// (scripts/wine/README.md), never on real Windows.
func UnderWine() bool { return underWine() }

// SkipUnderWine skips t when it runs under Wine, giving why: the Wine limit the test cannot
// work around.
func SkipUnderWine(t testing.TB, why string) {
	t.Helper()
	if UnderWine() {
		t.Skipf("under wine: %s", why)
	}
}

// NoUDPUnderWine is SkipUnderWine's reason for tests that need a UDP socket: under Wine 8 every
// Go UDP socket fails, as WSAIoctl(SIO_UDP_NETRESET) is not implemented ("wsaioctl: winapi error
// #10045").
const NoUDPUnderWine = "wine 8 has no WSAIoctl(SIO_UDP_NETRESET), so Go cannot open a UDP socket"
