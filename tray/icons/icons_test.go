package icons

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	imagedraw "image/draw"
	"image/png"
	"math"
	"testing"

	ico "github.com/sergeymakinen/go-ico"

	"github.com/spotwatch/spotwatch/tray/icons/draw"
)

// readableSizes are the sizes trays show icons at.
var readableSizes = []int{16, 22, 24, 32}

// panels are a light and a dark panel background.
var panels = map[string]color.NRGBA{
	"light": {0xF0, 0xF0, 0xF0, 0xFF},
	"dark":  {0x1E, 0x1E, 0x1E, 0xFF},
}

func decodePNG(t *testing.T, data []byte) *image.NRGBA {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("decoding PNG: %v", err)
	}
	return toNRGBA(img)
}

func toNRGBA(img image.Image) *image.NRGBA {
	if n, ok := img.(*image.NRGBA); ok {
		return n
	}
	n := image.NewNRGBA(img.Bounds())
	imagedraw.Draw(n, n.Bounds(), img, img.Bounds().Min, imagedraw.Src)
	return n
}

// samePixels reports the first pixel where a and b differ.
func samePixels(a, b *image.NRGBA) error {
	if a.Bounds().Size() != b.Bounds().Size() {
		return fmt.Errorf("sizes %v and %v differ", a.Bounds().Size(), b.Bounds().Size())
	}
	w, h := a.Bounds().Dx(), a.Bounds().Dy()
	for y := range h {
		for x := range w {
			ca := a.NRGBAAt(a.Bounds().Min.X+x, a.Bounds().Min.Y+y)
			cb := b.NRGBAAt(b.Bounds().Min.X+x, b.Bounds().Min.Y+y)
			if ca.A == 0 && cb.A == 0 {
				continue
			}
			if ca != cb {
				return fmt.Errorf("pixel (%d,%d): %v vs %v", x, y, ca, cb)
			}
		}
	}
	return nil
}

// TestFilesAreGenerated: the embedded files are exactly what draw paints now, so the drawing
// code and the files cannot drift apart (run `go generate ./tray/icons` after changing it).
func TestFilesAreGenerated(t *testing.T) {
	for _, id := range All() {
		for _, size := range Sizes {
			got := decodePNG(t, PNG(id, size))
			if err := samePixels(got, draw.Icon(draw.State(id), size)); err != nil {
				t.Errorf("png/%s-%d.png is not what draw paints (run go generate ./tray/icons): %v", id, size, err)
			}
		}
		if err := samePixels(decodePNG(t, Template(id)), draw.Template(draw.State(id), TemplateSize)); err != nil {
			t.Errorf("template of %s is not what draw paints (run go generate ./tray/icons): %v", id, err)
		}
	}
}

// TestICOHoldsThePNGs decodes every ICO file with an independent decoder and checks it holds
// one image per ICOSizes, each pixel for pixel the PNG of that size, and that its directory
// says 32 bits per pixel (what LoadImage on every Windows version reads).
func TestICOHoldsThePNGs(t *testing.T) {
	for _, id := range All() {
		data := ICO(id)
		imgs, err := ico.DecodeAll(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("decoding %s.ico: %v", id, err)
		}
		if len(imgs) != len(ICOSizes) {
			t.Fatalf("%s.ico holds %d images, want %d", id, len(imgs), len(ICOSizes))
		}
		if n := int(binary.LittleEndian.Uint16(data[4:])); n != len(ICOSizes) {
			t.Fatalf("%s.ico directory counts %d images", id, n)
		}
		for i, size := range ICOSizes {
			entry := data[6+16*i:]
			if int(entry[0]) != size || int(entry[1]) != size || binary.LittleEndian.Uint16(entry[6:]) != 32 {
				t.Errorf("%s.ico entry %d: %dx%d at %d bpp, want %dx%d at 32", id, i, entry[0], entry[1], binary.LittleEndian.Uint16(entry[6:]), size, size)
			}
			if err := samePixels(toNRGBA(imgs[i]), decodePNG(t, PNG(id, size))); err != nil {
				t.Errorf("%s.ico image %d (%d px) differs from the PNG: %v", id, i, size, err)
			}
		}
	}
}

// TestICOEncoderRejectsBadSizes: the encoder refuses sizes an ICO cannot hold.
func TestICOEncoderRejectsBadSizes(t *testing.T) {
	for _, size := range []int{0, 257} {
		if _, err := draw.ICO([]*image.NRGBA{image.NewNRGBA(image.Rect(0, 0, size, size))}); err == nil {
			t.Errorf("ICO accepted a %d px image", size)
		}
	}
}

// luminance is the relative luminance of WCAG 2.
func luminance(c color.NRGBA) float64 {
	lin := func(v uint8) float64 {
		s := float64(v) / 255
		if s <= 0.04045 {
			return s / 12.92
		}
		return math.Pow((s+0.055)/1.055, 2.4)
	}
	return 0.2126*lin(c.R) + 0.7152*lin(c.G) + 0.0722*lin(c.B)
}

func contrast(a, b color.NRGBA) float64 {
	la, lb := luminance(a), luminance(b)
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

// over composites c over an opaque background.
func over(c, bg color.NRGBA) color.NRGBA {
	a := float64(c.A) / 255
	mix := func(f, b uint8) uint8 { return uint8(math.Round(float64(f)*a + float64(b)*(1-a))) }
	return color.NRGBA{mix(c.R, bg.R), mix(c.G, bg.G), mix(c.B, bg.B), 0xFF}
}

// TestReadableOnPanels: at every tray size, on a light and on a dark panel, a good part of each
// icon contrasts with the panel (WCAG's 3:1 for graphics), and its sign contrasts with its fill.
func TestReadableOnPanels(t *testing.T) {
	for _, id := range All() {
		pal := draw.Palettes[draw.State(id)]
		if id != Paused && contrast(pal.Glyph, pal.Fill) < 3 {
			t.Errorf("%s: sign on fill contrast %.2f, want at least 3", id, contrast(pal.Glyph, pal.Fill))
		}
		for _, size := range readableSizes {
			img := draw.Icon(draw.State(id), size)
			for name, bg := range panels {
				visible := 0
				for y := range size {
					for x := range size {
						if contrast(over(img.NRGBAAt(x, y), bg), bg) >= 3 {
							visible++
						}
					}
				}
				share := float64(visible) / float64(size*size)
				t.Logf("%s %d px on %s: %.0f%% stands out", id, size, name, share*100)
				if share < 0.2 {
					t.Errorf("%s at %d px on a %s panel: only %.0f%% of the square contrasts 3:1 with the panel", id, size, name, share*100)
				}
			}
		}
	}
}

// TestShapesDifferWithoutColour: the states differ in shape, not only colour. Their template
// versions (black, sign cut out: what a colour-blind user, or macOS's menu bar, is left with)
// differ pairwise in a good part of their pixels at every tray size.
func TestShapesDifferWithoutColour(t *testing.T) {
	for _, size := range readableSizes {
		ids := All()
		for i, a := range ids {
			for _, b := range ids[i+1:] {
				ma, mb := draw.Template(draw.State(a), size), draw.Template(draw.State(b), size)
				differ := 0
				for y := range size {
					for x := range size {
						if math.Abs(float64(ma.NRGBAAt(x, y).A)-float64(mb.NRGBAAt(x, y).A)) > 127 {
							differ++
						}
					}
				}
				share := float64(differ) / float64(size*size)
				t.Logf("%s vs %s at %d px: %.0f%% of pixels differ", a, b, size, share*100)
				if share < 0.08 {
					t.Errorf("%s and %s at %d px differ in only %.0f%% of their pixels without colour", a, b, size, share*100)
				}
			}
		}
	}
}

// TestTemplatesAreBlackAndAlpha: a macOS template image is drawn by its alpha alone (the menu
// bar tints it for light and dark mode), so every template is black with a shape in its alpha:
// opaque ink, and a cut-out glyph or surround that is transparent, at TemplateSize pixels (16
// points at 2x, the size the macOS tray gives it).
func TestTemplatesAreBlackAndAlpha(t *testing.T) {
	for _, id := range All() {
		t.Run(string(id), func(t *testing.T) {
			img := decodePNG(t, Template(id))
			if b := img.Bounds(); b.Dx() != TemplateSize || b.Dy() != TemplateSize {
				t.Fatalf("template is %dx%d, want %dx%d", b.Dx(), b.Dy(), TemplateSize, TemplateSize)
			}
			var opaque, clear, coloured int
			for y := range TemplateSize {
				for x := range TemplateSize {
					c := img.NRGBAAt(x, y)
					switch {
					case c.A != 0 && (c.R|c.G|c.B) != 0:
						coloured++
					case c.A == 0xFF:
						opaque++
					case c.A == 0:
						clear++
					}
				}
			}
			if coloured > 0 {
				t.Errorf("%d pixels are not black: the menu bar would not tint them", coloured)
			}
			if opaque < TemplateSize*TemplateSize/10 || clear < TemplateSize*TemplateSize/10 {
				t.Errorf("%d opaque and %d transparent pixels: no shape for the menu bar to show", opaque, clear)
			}
		})
	}
}
