package operations

import (
	"context"
	"image/color"
	"io"
	"regexp"
	"strconv"

	"github.com/meshops/meshops"
	"github.com/meshops/meshops/geometry/render"
)

// ThumbnailParams: width and height 10…10000 px, whole numbers (500);
// cameraAngleX/Y/Z −180…180° (501); format png (default) or jpeg;
// background "#rrggbb" or "transparent" (png only).
type ThumbnailParams struct {
	Width        *float64 `json:"width"`
	Height       *float64 `json:"height"`
	CameraAngleX *float64 `json:"cameraAngleX"`
	CameraAngleY *float64 `json:"cameraAngleY"`
	CameraAngleZ *float64 `json:"cameraAngleZ"`
	Format       string   `json:"format"`
	Background   string   `json:"background"`
}

func newThumbnailParams() *ThumbnailParams {
	w, h := 512.0, 512.0
	return &ThumbnailParams{Width: &w, Height: &h, Format: "png", Background: "#ffffff"}
}

var hexColour = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)

// Validate applies the rules.
func (p *ThumbnailParams) Validate(*meshops.File) error {
	for _, s := range []struct {
		param string
		v     *float64
	}{{"width", p.Width}, {"height", p.Height}} {
		if s.v == nil {
			return required(s.param, "the image size in pixels (10 to 10000)")
		}
		if err := intInRange(meshops.CodeThumbnailSize, s.param, *s.v, 10, 10000, "Image "+s.param); err != nil {
			return err
		}
	}
	for _, s := range []struct {
		param string
		v     *float64
	}{{"cameraAngleX", p.CameraAngleX}, {"cameraAngleY", p.CameraAngleY}, {"cameraAngleZ", p.CameraAngleZ}} {
		if s.v != nil {
			if err := inRange(meshops.CodeCameraAngle, s.param, *s.v, -180, 180, "Camera angle (degrees)"); err != nil {
				return err
			}
		}
	}
	if p.Format != "png" && p.Format != "jpeg" {
		return meshops.InvalidParam("format", "Use png or jpeg.")
	}
	if p.Background != "transparent" && !hexColour.MatchString(p.Background) {
		return meshops.InvalidParam("background", "Use a colour such as #ffffff, or transparent.")
	}
	if p.Background == "transparent" && p.Format == "jpeg" {
		return meshops.InvalidParam("background", "JPEG has no transparency: use png or a colour.")
	}
	return nil
}

// ThumbnailResult is thumbnail's result.
type ThumbnailResult struct {
	FileID string `json:"fileId"`
	Width  int    `json:"width"`
	Height int    `json:"height"`
	Format string `json:"format"`
}

// Run renders the model (fitted, centred, 5 % margin) and stores the image.
func (p *ThumbnailParams) Run(ctx context.Context, job *Job) (any, error) {
	model, err := job.LoadSoup(ctx)
	if err != nil {
		return nil, err
	}
	job.Progress(30)
	opt := render.Options{Width: int(*p.Width), Height: int(*p.Height), Transparent: p.Background == "transparent"}
	if c := model.Colours; c != nil { // e.g. a wall-thickness PLY
		opt.VertexColors = make([]color.NRGBA, len(c))
		for i, rgb := range c {
			opt.VertexColors[i] = color.NRGBA{rgb[0], rgb[1], rgb[2], 255}
		}
	}
	for _, a := range []struct {
		dst *float64
		src *float64
	}{{&opt.AngleX, p.CameraAngleX}, {&opt.AngleY, p.CameraAngleY}, {&opt.AngleZ, p.CameraAngleZ}} {
		if a.src != nil {
			*a.dst = *a.src
		}
	}
	if !opt.Transparent {
		v, _ := strconv.ParseUint(p.Background[1:], 16, 32)
		opt.Background = color.NRGBA{uint8(v >> 16), uint8(v >> 8), uint8(v), 255}
	}
	im, err := render.New(ctx, model.Mesh, opt)
	if err != nil {
		return nil, err
	}
	job.Progress(60)
	format := meshops.FormatPNG
	if p.Format == "jpeg" {
		format = meshops.FormatJPEG
	}
	out, err := job.Store(ctx, Output{Name: outputName(job.Source.Name, "thumbnail", p.Format), Format: format,
		Write: func(w io.Writer) error { return render.Encode(w, im, p.Format) }})
	if err != nil {
		return nil, err
	}
	return &ThumbnailResult{FileID: out.ID, Width: opt.Width, Height: opt.Height, Format: p.Format}, nil
}
