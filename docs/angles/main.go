// Command angles renders 20mm-xyz-cube.stl (X, Y and Z embossed on its
// faces) at several camera angles into docs/camera-angles.png, the picture
// the README uses to show what cameraAngleX/Y/Z do:
//
//	go run ./docs/angles [-corpus ../shared/corpus] [-o docs/camera-angles.png]
package main

import (
	"context"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"os"
	"path/filepath"

	"github.com/meshops/meshops/geometry"
	"github.com/meshops/meshops/geometry/render"
	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

func main() {
	corpus := flag.String("corpus", "../shared/corpus", "the corpus folder")
	out := flag.String("o", "docs/camera-angles.png", "output PNG")
	flag.Parse()
	model, err := geometry.ReadModelFile(filepath.Join(*corpus, "20mm-xyz-cube.stl"), geometry.Limits{})
	if err != nil {
		fail(err)
	}
	m := model.Mesh
	views := []struct {
		label   string
		x, y, z float64
	}{
		{"default (isometric)", 0, 0, 0}, {"cameraAngleZ 90", 0, 0, 90}, {"cameraAngleZ 180", 0, 0, 180},
		{"cameraAngleX 90", 90, 0, 0}, {"cameraAngleY 90", 0, 90, 0}, {"cameraAngleX -90", -90, 0, 0},
	}
	const cell, label = 220, 18
	sheet := image.NewNRGBA(image.Rect(0, 0, 3*cell, 2*(cell+label)))
	draw.Draw(sheet, sheet.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	for i, v := range views {
		x, y := (i%3)*cell, (i/3)*(cell+label)
		im, err := render.New(context.Background(), m, render.Options{Width: cell, Height: cell, AngleX: v.x, AngleY: v.y, AngleZ: v.z, Background: color.NRGBA{255, 255, 255, 255}})
		if err != nil {
			fail(err)
		}
		draw.Draw(sheet, image.Rect(x, y, x+cell, y+cell), im, image.Point{}, draw.Src)
		d := font.Drawer{Dst: sheet, Src: image.NewUniform(color.NRGBA{40, 40, 40, 255}), Face: basicfont.Face7x13, Dot: fixed.P(x+6, y+cell+13)}
		d.DrawString(v.label)
	}
	o, err := os.Create(*out)
	if err != nil {
		fail(err)
	}
	if err := png.Encode(o, sheet); err != nil {
		fail(err)
	}
	o.Close()
	fmt.Println("wrote", *out)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "angles:", err)
	os.Exit(1)
}
