package diagnosis

// SoFar is what the probes of a check in progress already show. A probe runner reads it to end
// a check as soon as the probes still out can no longer change the verdict; it summarises the
// same evidence Classify reads, so the runner and the classifier cannot disagree about it.
type SoFar struct {
	SpotifyWorks bool // an access point opened and every needed Spotify HTTPS endpoint answered well
	HTTPSWorks   bool // every needed Spotify HTTPS endpoint (apresolve aside) answered well
	HTTPSWorking int  // how many of the needed Spotify HTTPS endpoints answered well
	ReferencesUp int  // internet references that answered as expected (two agreeing: the internet is up)
	PortalSeen   bool // portal references were answered by something else, and none as expected
}

// Assess summarises probes, which may be only some of a check's, for a runner deciding whether
// to wait for the rest.
func Assess(probes []Probe) SoFar {
	e := newEvidence(probes)
	return SoFar{
		SpotifyWorks: e.spotifyWorks(),
		HTTPSWorks:   e.httpsWorks(),
		HTTPSWorking: e.httpsWorking(),
		ReferencesUp: e.referencesUp(),
		PortalSeen:   e.portalSeen(),
	}
}
