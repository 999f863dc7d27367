package tray

import (
	"bytes"
	"image"
	"image/png"
	"testing"

	"github.com/spotwatch/spotwatch/tray/icons"
)

// fyneARGB is how fyne.io/systray v1.12.2 turns an image into a StatusNotifierItem pixmap
// (argbForImage in its systray_unix.go): the low byte of each premultiplied 16-bit channel.
func fyneARGB(img image.Image) []byte {
	var out []byte
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, a := img.At(x, y).RGBA()
			out = append(out, byte(a), byte(r), byte(g), byte(bl))
		}
	}
	return out
}

// straightARGB is the icon's true ARGB, not premultiplied: what tray hosts expect.
func straightARGB(t *testing.T, data []byte) []byte {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	n := img.(*image.NRGBA)
	var out []byte
	for i := 0; i < len(n.Pix); i += 4 {
		p := n.Pix[i : i+4]
		if p[3] == 0 {
			out = append(out, 0, 0, 0, 0)
			continue
		}
		out = append(out, p[3], p[0], p[1], p[2])
	}
	return out
}

// TestSNIPNG: through fyne's conversion, the re-encoded icons give exactly the straight ARGB
// of the originals, edges included; the plain PNGs would not (the workaround is needed).
func TestSNIPNG(t *testing.T) {
	for _, id := range icons.All() {
		orig := icons.PNG(id, icons.TraySize)
		data, err := sniPNG(orig)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		want := straightARGB(t, orig)
		if got := fyneARGB(img); !bytes.Equal(got, want) {
			t.Errorf("%s: fyne would show other pixels than the icon's", id)
		}
		plain, _ := png.Decode(bytes.NewReader(orig))
		if bytes.Equal(fyneARGB(plain), want) {
			t.Errorf("%s: the plain PNG converts right too: is the workaround still needed?", id)
		}
	}
}

func TestSNIChannelEveryValue(t *testing.T) {
	for a := uint32(1); a <= 255; a++ {
		for v := 0; v <= 255; v++ {
			v16 := uint32(sniChannel(uint8(v), a))
			if got := byte(v16 * (a * 0x101) / 0xffff); got != uint8(v) {
				t.Fatalf("a=%d v=%d: low byte %d", a, v, got)
			}
		}
	}
}
