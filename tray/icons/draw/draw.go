// Package draw paints spotwatch's tray icons from geometry, at any pixel size, and encodes them
// as PNG and ICO. It is used by the icons package's generator and tests, not by the program:
// the program embeds the files the generator wrote.
//
// Every icon has a silhouette of its own (disc, triangle, rounded square, octagon, ring, two
// bars) and a glyph of its own (check, "!", "4", "7", dots), so states differ in shape and not
// only in colour. Fills are of middle lightness with a darker rim, so an icon stands out on
// light and dark panels alike.
package draw

import (
	"image"
	"image/color"
	"math"
)

// State names an icon.
type State string

// The icons, one per tray state.
const (
	OK         State = "ok"          // Spotify reachable
	Degraded   State = "degraded"    // reachable, part of the way impaired
	NoInternet State = "no-internet" // Spotify's Code 4
	Blocked    State = "blocked"     // Spotify's Code 7
	Checking   State = "checking"    // not known yet, or reconnecting to the daemon
	Paused     State = "paused"      // notifications paused
)

// States lists every icon.
var States = []State{OK, Degraded, NoInternet, Blocked, Checking, Paused}

// Palette is the colours of one icon.
type Palette struct {
	Fill  color.NRGBA // the silhouette
	Rim   color.NRGBA // its outer edge, darker, for light panels
	Glyph color.NRGBA // the sign inside
}

// Palettes gives each icon's colours.
var Palettes = map[State]Palette{
	OK:         {Fill: rgb(0x2E, 0x9E, 0x44), Rim: rgb(0x14, 0x50, 0x22), Glyph: rgb(0xFF, 0xFF, 0xFF)},
	Degraded:   {Fill: rgb(0xF5, 0xB4, 0x00), Rim: rgb(0x6B, 0x4E, 0x00), Glyph: rgb(0x1A, 0x1A, 0x1A)},
	NoInternet: {Fill: rgb(0xE8, 0x71, 0x0A), Rim: rgb(0x6E, 0x32, 0x00), Glyph: rgb(0x1A, 0x1A, 0x1A)},
	Blocked:    {Fill: rgb(0xD3, 0x2F, 0x2F), Rim: rgb(0x6A, 0x0E, 0x0E), Glyph: rgb(0xFF, 0xFF, 0xFF)},
	Checking:   {Fill: rgb(0x7A, 0x7A, 0x7A), Rim: rgb(0x33, 0x33, 0x33), Glyph: rgb(0xF2, 0xF2, 0xF2)},
	Paused:     {Fill: rgb(0x3A, 0x86, 0xE0), Rim: rgb(0x0E, 0x35, 0x6E), Glyph: rgb(0xFF, 0xFF, 0xFF)},
}

func rgb(r, g, b uint8) color.NRGBA { return color.NRGBA{r, g, b, 0xFF} }

// samples is the supersampling grid per pixel side: 8x8 = 64 samples give smooth edges.
const samples = 8

// Icon paints state at size x size pixels in its colours.
func Icon(s State, size int) *image.NRGBA {
	return paint(s, size, Palettes[s])
}

// Template paints state as a macOS template image: black, the glyph cut out, so the menu bar
// can tint it. With colour gone, the silhouettes and glyphs alone tell the states apart.
func Template(s State, size int) *image.NRGBA {
	black := color.NRGBA{0, 0, 0, 0xFF}
	return paint(s, size, Palette{Fill: black, Rim: black, Glyph: color.NRGBA{}})
}

// paint rasterizes the shape of s with pal, averaging samples x samples points per pixel.
func paint(s State, size int, pal Palette) *image.NRGBA {
	sh := shapeOf(s, float64(size))
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	for py := range size {
		for px := range size {
			var r, g, b, a float64 // premultiplied sums
			for sy := range samples {
				for sx := range samples {
					x := float64(px) + (float64(sx)+0.5)/samples
					y := float64(py) + (float64(sy)+0.5)/samples
					c := sh.at(x, y, pal)
					fa := float64(c.A) / 255
					r += float64(c.R) * fa
					g += float64(c.G) * fa
					b += float64(c.B) * fa
					a += fa
				}
			}
			const n = samples * samples
			if a == 0 {
				continue
			}
			img.SetNRGBA(px, py, color.NRGBA{
				R: uint8(math.Round(r / a)), G: uint8(math.Round(g / a)), B: uint8(math.Round(b / a)),
				A: uint8(math.Round(a / n * 255)),
			})
		}
	}
	return img
}

// shape is an icon's geometry in pixels: signed distance functions (negative inside) of the
// silhouette and of the glyph.
type shape struct {
	body  func(x, y float64) float64
	glyph func(x, y float64) float64 // nil: none
	rim   float64                    // rim width in pixels
}

// at is the colour at a point.
func (sh shape) at(x, y float64, pal Palette) color.NRGBA {
	d := sh.body(x, y)
	switch {
	case d > 0:
		return color.NRGBA{}
	case sh.glyph != nil && sh.glyph(x, y) <= 0:
		return pal.Glyph
	case d > -sh.rim:
		return pal.Rim
	}
	return pal.Fill
}

// shapeOf lays out state s in a square of side n pixels. Coordinates are given in units of the
// side (0..1) and scaled; stroke widths never go below what a 16 px icon needs to stay legible.
func shapeOf(s State, n float64) shape {
	u := func(v float64) float64 { return v * n }
	stroke := func(frac, minPx float64) float64 { return math.Max(frac*n, minPx) / 2 }
	rim := math.Max(n/16, 1)
	switch s {
	case OK:
		w := stroke(0.14, 2.2)
		return shape{
			body:  circle(u(0.5), u(0.5), u(0.48)),
			glyph: polyline(w, pt(u(0.27), u(0.52)), pt(u(0.44), u(0.69)), pt(u(0.74), u(0.34))),
			rim:   rim,
		}
	case Degraded:
		w := stroke(0.13, 2.2)
		return shape{
			body: polygon(pt(u(0.5), u(0.03)), pt(u(0.985), u(0.93)), pt(u(0.015), u(0.93))),
			glyph: union(
				segment(w, pt(u(0.5), u(0.36)), pt(u(0.5), u(0.60))),
				circle(u(0.5), u(0.78), math.Max(u(0.075), 1.15)),
			),
			rim: rim,
		}
	case NoInternet:
		w := stroke(0.12, 2)
		return shape{
			body: roundedBox(u(0.5), u(0.5), u(0.47), u(0.47), u(0.16)),
			// a "4": the open form, a diagonal-free one that stays readable at 16 px
			glyph: union(
				segment(w, pt(u(0.33), u(0.20)), pt(u(0.33), u(0.56))),
				segment(w, pt(u(0.33), u(0.56)), pt(u(0.72), u(0.56))),
				segment(w, pt(u(0.62), u(0.20)), pt(u(0.62), u(0.82))),
			),
			rim: rim,
		}
	case Blocked:
		w := stroke(0.13, 2.1)
		return shape{
			body:  octagon(u(0.5), u(0.5), u(0.49)),
			glyph: polyline(w, pt(u(0.30), u(0.25)), pt(u(0.70), u(0.25)), pt(u(0.45), u(0.80))),
			rim:   rim,
		}
	case Checking:
		ring := math.Max(u(0.13), 2.2)
		dot := math.Max(u(0.075), 1.2)
		dots := union(circle(u(0.29), u(0.5), dot), circle(u(0.5), u(0.5), dot), circle(u(0.71), u(0.5), dot))
		return shape{
			body: circle(u(0.5), u(0.5), u(0.48)),
			// the glyph is the ring's light inside, with the dots left standing in the ring's grey
			glyph: subtract(circle(u(0.5), u(0.5), u(0.48)-ring), dots),
			rim:   rim,
		}
	case Paused:
		return shape{
			body: union(
				roundedBox(u(0.27), u(0.5), u(0.17), u(0.44), u(0.06)),
				roundedBox(u(0.73), u(0.5), u(0.17), u(0.44), u(0.06)),
			),
			rim: rim,
		}
	}
	panic("draw: unknown state " + string(s))
}

type point struct{ x, y float64 }

func pt(x, y float64) point { return point{x, y} }

func circle(cx, cy, r float64) func(x, y float64) float64 {
	return func(x, y float64) float64 { return math.Hypot(x-cx, y-cy) - r }
}

// roundedBox is a box of half-sizes hx, hy with corner radius r.
func roundedBox(cx, cy, hx, hy, r float64) func(x, y float64) float64 {
	return func(x, y float64) float64 {
		qx := math.Abs(x-cx) - hx + r
		qy := math.Abs(y-cy) - hy + r
		outside := math.Hypot(math.Max(qx, 0), math.Max(qy, 0))
		return outside + math.Min(math.Max(qx, qy), 0) - r
	}
}

// polygon is a convex polygon, vertices in clockwise order on screen (y down). Inside, the
// distance is exact; outside it is a lower bound, which is all painting needs.
func polygon(pts ...point) func(x, y float64) float64 {
	return func(x, y float64) float64 {
		d := math.Inf(-1)
		for i, a := range pts {
			b := pts[(i+1)%len(pts)]
			ex, ey := b.x-a.x, b.y-a.y
			l := math.Hypot(ex, ey)
			// outward normal of a clockwise edge (y down) is (ey, -ex)
			dist := ((x-a.x)*ey - (y-a.y)*ex) / l
			d = math.Max(d, dist)
		}
		return d
	}
}

// octagon is a regular octagon with flat top, of circumradius r.
func octagon(cx, cy, r float64) func(x, y float64) float64 {
	pts := make([]point, 8)
	for i := range pts {
		a := (float64(i)*45 + 22.5 - 90) * math.Pi / 180
		pts[i] = pt(cx+r*math.Cos(a), cy+r*math.Sin(a))
	}
	return polygon(pts...)
}

// segment is a stroke of half-width w from a to b with round caps.
func segment(w float64, a, b point) func(x, y float64) float64 {
	return func(x, y float64) float64 {
		px, py := x-a.x, y-a.y
		bx, by := b.x-a.x, b.y-a.y
		h := math.Max(0, math.Min(1, (px*bx+py*by)/(bx*bx+by*by)))
		return math.Hypot(px-bx*h, py-by*h) - w
	}
}

// polyline is connected strokes through pts.
func polyline(w float64, pts ...point) func(x, y float64) float64 {
	var parts []func(x, y float64) float64
	for i := 0; i+1 < len(pts); i++ {
		parts = append(parts, segment(w, pts[i], pts[i+1]))
	}
	return union(parts...)
}

func union(fs ...func(x, y float64) float64) func(x, y float64) float64 {
	return func(x, y float64) float64 {
		d := math.Inf(1)
		for _, f := range fs {
			d = math.Min(d, f(x, y))
		}
		return d
	}
}

// subtract is a minus b.
func subtract(a, b func(x, y float64) float64) func(x, y float64) float64 {
	return func(x, y float64) float64 { return math.Max(a(x, y), -b(x, y)) }
}
