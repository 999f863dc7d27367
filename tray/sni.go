package tray

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
)

// sniPNG re-encodes a PNG icon for fyne.io/systray v1.12.2 on Linux, working around how it
// builds the StatusNotifierItem pixmap: it takes the low byte of each 16-bit premultiplied
// channel (byte(r) of color.RGBA()), which garbles every pixel that is neither opaque nor
// clear, i.e. the anti-aliased edges. The result is a 16-bit PNG whose channels are chosen so
// that those low bytes are exactly the icon's straight (non-premultiplied) ARGB, which is what
// tray hosts read; its colours stay close to the original for any other reader.
func sniPNG(data []byte) ([]byte, error) {
	src, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("decoding a tray icon: %w", err)
	}
	n := image.NewNRGBA(src.Bounds())
	draw.Draw(n, n.Bounds(), src, src.Bounds().Min, draw.Src)
	out := image.NewNRGBA64(n.Bounds())
	for y := n.Bounds().Min.Y; y < n.Bounds().Max.Y; y++ {
		for x := n.Bounds().Min.X; x < n.Bounds().Max.X; x++ {
			c := n.NRGBAAt(x, y)
			if c.A == 0 {
				continue
			}
			a := uint32(c.A)
			out.SetNRGBA64(x, y, color.NRGBA64{R: sniChannel(c.R, a), G: sniChannel(c.G, a), B: sniChannel(c.B, a), A: uint16(a * 0x101)})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, out); err != nil {
		return nil, fmt.Errorf("encoding a tray icon: %w", err)
	}
	return b.Bytes(), nil
}

// sniChannel is the 16-bit straight channel value v16 such that, with alpha a (8 bits, as
// a*0x101 in 16), the premultiplied value color.NRGBA64.RGBA computes, v16*a/255, has low byte
// v: of the values with that low byte, the one nearest the true premultiplied value.
func sniChannel(v uint8, a uint32) uint16 {
	want := uint32(v) * a * 0x101 / 0xff // the true premultiplied 16-bit value
	limit := a * 0x101                   // v16 ≤ 0xffff allows premultiplied values up to this
	best := uint32(v)
	for r := uint32(v); r <= limit; r += 0x100 {
		if absDiff(r, want) < absDiff(best, want) {
			best = r
		}
	}
	return uint16((best*0xff + a - 1) / a) // the least v16 with v16*a/255 ≥ best: exactly best
}

func absDiff(a, b uint32) uint32 {
	if a > b {
		return a - b
	}
	return b - a
}
