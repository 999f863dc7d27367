package probe

import (
	"bytes"
	"crypto/x509"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"golang.org/x/crypto/x509roots/fallback/bundle"

	"github.com/spotwatch/spotwatch/internal/testnet"
)

// testPublicRoots is a public root list of the bundle and the given CAs, as tls.public_roots
// would add them.
func testPublicRoots(t testing.TB, cas ...*testnet.CA) *publicRoots {
	t.Helper()
	path := ""
	if len(cas) > 0 {
		var pem []byte
		for _, ca := range cas {
			pem = append(pem, ca.PEM()...)
		}
		path = filepath.Join(t.TempDir(), "roots.pem")
		if err := os.WriteFile(path, pem, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r, err := loadPublicRoots(path)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// fullPool is what publicRoots replaced: every root parsed into one pool.
func fullPool(t testing.TB, cas ...*testnet.CA) *x509.CertPool {
	t.Helper()
	pool := x509.NewCertPool()
	for root := range bundle.Roots() {
		cert, err := x509.ParseCertificate(root.Certificate)
		if err != nil {
			t.Fatal(err)
		}
		pool.AddCertWithConstraint(cert, root.Constraint)
	}
	for _, ca := range cas {
		pool.AddCert(ca.Certificate())
	}
	return pool
}

func newTestCA(t testing.TB, name string) *testnet.CA {
	t.Helper()
	ca, err := testnet.NewCA(name, "spotwatch tests")
	if err != nil {
		t.Fatal(err)
	}
	return ca
}

// TestPublicRootsVerifyAsAFullPool: a verification against the roots poolFor picks for a chain
// ends as one against every root: trusted chains stay trusted, others stay untrusted, also when
// two roots share a subject or the server sends the root along.
func TestPublicRootsVerifyAsAFullPool(t *testing.T) {
	listed := newTestCA(t, "listed root")
	twin := newTestCA(t, "listed root") // the same subject, another key
	unlisted := newTestCA(t, "unlisted root")
	roots := testPublicRoots(t, listed, twin)
	all := fullPool(t, listed, twin)

	issue := func(ca *testnet.CA) *x509.Certificate {
		cert, err := ca.Issue([]string{"api.spotify.com"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return cert.Leaf
	}
	tests := []struct {
		name  string
		chain []*x509.Certificate
		want  bool
	}{
		{"issued by a listed root", []*x509.Certificate{issue(listed)}, true},
		{"issued by the second root of one subject", []*x509.Certificate{issue(twin)}, true},
		{"the root sent along", []*x509.Certificate{issue(listed), listed.Certificate()}, true},
		{"issued by an unlisted root", []*x509.Certificate{issue(unlisted)}, false},
		{"an unlisted root sent along", []*x509.Certificate{issue(unlisted), unlisted.Certificate()}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			intermediates := x509.NewCertPool()
			for _, c := range tt.chain[1:] {
				intermediates.AddCert(c)
			}
			verify := func(roots *x509.CertPool) bool {
				_, err := tt.chain[0].Verify(x509.VerifyOptions{DNSName: "api.spotify.com", Intermediates: intermediates, Roots: roots})
				return err == nil
			}
			got, full := verify(roots.poolFor(tt.chain)), verify(all)
			if got != tt.want || full != tt.want {
				t.Errorf("verified: against poolFor %v, against every root %v; want %v", got, full, tt.want)
			}
		})
	}
	if got := (*publicRoots)(nil).poolFor([]*x509.Certificate{issue(listed)}); !got.Equal(x509.NewCertPool()) {
		t.Error("a nil list gave a pool with roots, want none")
	}
}

// TestPublicRootsHoldTheBundle: every bundled root is indexed, and a chain it issued (here: the
// root itself) gets it in its pool, with the other roots of its subject and no more.
func TestPublicRootsHoldTheBundle(t *testing.T) {
	roots := testPublicRoots(t)
	var bundled []*x509.Certificate
	for root := range bundle.Roots() {
		cert, err := x509.ParseCertificate(root.Certificate)
		if err != nil {
			t.Fatal(err)
		}
		bundled = append(bundled, cert)
	}
	if len(bundled) < 100 || roots.len() != len(bundled) {
		t.Errorf("indexed %d roots, the bundle has %d (want the same, and over 100)", roots.len(), len(bundled))
	}
	for _, cert := range bundled {
		want := x509.NewCertPool()
		for _, other := range bundled {
			if bytes.Equal(other.RawSubject, cert.RawSubject) {
				want.AddCert(other)
			}
		}
		if !roots.poolFor([]*x509.Certificate{cert}).Equal(want) {
			t.Errorf("the pool for %s is not the bundle's roots of that subject", cert.Subject)
		}
	}
}

func TestLoadPublicRootsErrors(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.pem")
	if err := os.WriteFile(empty, []byte("no certificate here\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ path, want string }{
		{filepath.Join(dir, "missing.pem"), "reading tls.public_roots"},
		{empty, "tls.public_roots " + empty + ": no PEM certificate in it"},
	}
	for _, tt := range tests {
		if _, err := loadPublicRoots(tt.path); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("loadPublicRoots(%s) = %v, want an error with %q", tt.path, err, tt.want)
		}
	}
}

// BenchmarkPublicRoots reports the heap each form of the public roots keeps (retained-B) and
// what picking a chain's roots costs per verification.
func BenchmarkPublicRoots(b *testing.B) {
	retained := func(load func() any) float64 {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		kept := load()
		runtime.GC()
		runtime.ReadMemStats(&after)
		runtime.KeepAlive(kept)
		return float64(after.HeapAlloc) - float64(before.HeapAlloc)
	}
	b.Run("index", func(b *testing.B) {
		kept := retained(func() any { return testPublicRoots(b) })
		roots := testPublicRoots(b)
		var chain []*x509.Certificate
		for root := range bundle.Roots() {
			cert, _ := x509.ParseCertificate(root.Certificate)
			chain = []*x509.Certificate{cert}
			break
		}
		for b.Loop() {
			roots.poolFor(chain)
		}
		b.ReportMetric(kept, "retained-B") // after the loop, which resets the metrics
	})
	b.Run("parsed-pool", func(b *testing.B) {
		b.ReportMetric(retained(func() any { return fullPool(b) }), "retained-B")
	})
}
