package draw

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
)

// ICO encodes images as one Windows .ico file, each as an uncompressed 32-bit BGRA bitmap with
// its AND mask: the form every Windows version loads, whatever the size. Sizes must be 1..256.
func ICO(imgs []*image.NRGBA) ([]byte, error) {
	const dirSize, entrySize, headerSize = 6, 16, 40
	var dir, data bytes.Buffer
	le := binary.LittleEndian
	dir.Write(le.AppendUint16(nil, 0)) // reserved
	dir.Write(le.AppendUint16(nil, 1)) // type: icon
	dir.Write(le.AppendUint16(nil, uint16(len(imgs))))
	offset := dirSize + entrySize*len(imgs)
	for _, img := range imgs {
		w, h := img.Bounds().Dx(), img.Bounds().Dy()
		if w < 1 || h < 1 || w > 256 || h > 256 {
			return nil, fmt.Errorf("encoding an icon of %dx%d: sizes must be 1 to 256", w, h)
		}
		bmp := bitmap(img)
		dir.WriteByte(byte(w)) // 256 is written as 0
		dir.WriteByte(byte(h))
		dir.WriteByte(0)                    // colours in palette: none
		dir.WriteByte(0)                    // reserved
		dir.Write(le.AppendUint16(nil, 1))  // colour planes
		dir.Write(le.AppendUint16(nil, 32)) // bits per pixel
		dir.Write(le.AppendUint32(nil, uint32(len(bmp))))
		dir.Write(le.AppendUint32(nil, uint32(offset)))
		offset += len(bmp)
		data.Write(bmp)
	}
	return append(dir.Bytes(), data.Bytes()...), nil
}

// bitmap is one icon image: BITMAPINFOHEADER (height doubled, for the mask), the BGRA rows
// bottom-up, then the 1-bit AND mask rows (1 = transparent), each padded to 4 bytes.
func bitmap(img *image.NRGBA) []byte {
	w, h := img.Bounds().Dx(), img.Bounds().Dy()
	le := binary.LittleEndian
	maskStride := (w + 31) / 32 * 4
	var b []byte
	b = le.AppendUint32(b, 40)
	b = le.AppendUint32(b, uint32(w))
	b = le.AppendUint32(b, uint32(2*h))
	b = le.AppendUint16(b, 1)  // planes
	b = le.AppendUint16(b, 32) // bits per pixel
	b = le.AppendUint32(b, 0)  // BI_RGB
	b = le.AppendUint32(b, uint32(w*h*4+maskStride*h))
	b = le.AppendUint32(b, 0) // pixels per metre, x
	b = le.AppendUint32(b, 0) // y
	b = le.AppendUint32(b, 0) // colours used
	b = le.AppendUint32(b, 0) // important colours
	min := img.Bounds().Min
	for y := h - 1; y >= 0; y-- {
		for x := range w {
			c := img.NRGBAAt(min.X+x, min.Y+y)
			b = append(b, c.B, c.G, c.R, c.A)
		}
	}
	for y := h - 1; y >= 0; y-- {
		row := make([]byte, maskStride)
		for x := range w {
			if img.NRGBAAt(min.X+x, min.Y+y).A == 0 {
				row[x/8] |= 0x80 >> (x % 8)
			}
		}
		b = append(b, row...)
	}
	return b
}
