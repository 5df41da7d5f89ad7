package render

import (
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"io"
)

// Encode writes the image as "png" (fast compression) or "jpeg"
// (quality 90), drawing it strip by strip as the encoder reads.
func Encode(w io.Writer, im *Image, format string) error {
	var src image.Image = im
	if im.strip == -2 { // drawn whole: hand the encoders their fast path
		src = &image.NRGBA{Pix: im.pix, Stride: im.opt.Width * 4, Rect: im.Bounds()}
	}
	var err error
	switch format {
	case "png":
		err = (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(w, src)
	case "jpeg":
		err = jpeg.Encode(w, src, &jpeg.Options{Quality: 90})
	default:
		return fmt.Errorf("render: unknown image format %q", format)
	}
	if err != nil {
		return err
	}
	return im.Err()
}
