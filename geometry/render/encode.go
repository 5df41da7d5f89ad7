package render

import (
	"fmt"
	"image/jpeg"
	"image/png"
	"io"
)

// Encode writes the image as "png" (fast compression) or "jpeg"
// (quality 90), drawing it strip by strip as the encoder reads.
func Encode(w io.Writer, im *Image, format string) error {
	var err error
	switch format {
	case "png":
		err = (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(w, im)
	case "jpeg":
		err = jpeg.Encode(w, im, &jpeg.Options{Quality: 90})
	default:
		return fmt.Errorf("render: unknown image format %q", format)
	}
	if err != nil {
		return err
	}
	return im.Err()
}
