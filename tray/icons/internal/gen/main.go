// Command gen writes the tray icons: png/<id>-<size>.png for every size, png/<id>-template-32.png,
// and ico/<id>.ico assembled from the PNGs just written. Run it with `go generate ./tray/icons`.
package main

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"log"
	"os"
	"path/filepath"

	imagedraw "image/draw"

	"github.com/spotwatch/spotwatch/tray/icons/draw"
)

// The files written; the icons package's Sizes, ICOSizes and TemplateSize name the same, and
// its tests fail if a file is missing or differs from what draw paints.
var (
	sizes        = []int{16, 20, 22, 24, 32, 40, 48, 64}
	icoSizes     = []int{16, 20, 24, 32, 40, 48}
	templateSize = 32
)

func main() {
	if err := generate("."); err != nil {
		log.Fatal(err)
	}
}

// generate writes every file under dir (the icons package directory).
func generate(dir string) error {
	for _, sub := range []string{"png", "ico"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			return err
		}
	}
	for _, st := range draw.States {
		id := st
		for _, size := range sizes {
			if err := writePNG(filepath.Join(dir, "png", fmt.Sprintf("%s-%d.png", id, size)), draw.Icon(st, size)); err != nil {
				return err
			}
		}
		tmpl := filepath.Join(dir, "png", fmt.Sprintf("%s-template-%d.png", id, templateSize))
		if err := writePNG(tmpl, draw.Template(st, templateSize)); err != nil {
			return err
		}
		var imgs []*image.NRGBA
		for _, size := range icoSizes {
			img, err := readPNG(filepath.Join(dir, "png", fmt.Sprintf("%s-%d.png", id, size)))
			if err != nil {
				return err
			}
			imgs = append(imgs, img)
		}
		ico, err := draw.ICO(imgs)
		if err != nil {
			return fmt.Errorf("icon %s: %w", id, err)
		}
		if err := os.WriteFile(filepath.Join(dir, "ico", string(id)+".ico"), ico, 0o644); err != nil {
			return err
		}
	}
	return nil
}

func writePNG(path string, img image.Image) error {
	var b bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(&b, img); err != nil {
		return fmt.Errorf("encoding %s: %w", path, err)
	}
	return os.WriteFile(path, b.Bytes(), 0o644)
}

// readPNG reads a PNG back as NRGBA, so the ICO holds exactly the pixels of the file.
func readPNG(path string) (*image.NRGBA, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("decoding %s: %w", path, err)
	}
	if n, ok := img.(*image.NRGBA); ok {
		return n, nil
	}
	n := image.NewNRGBA(img.Bounds())
	imagedraw.Draw(n, n.Bounds(), img, img.Bounds().Min, imagedraw.Src)
	return n, nil
}
