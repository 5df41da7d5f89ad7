// Command contactsheet renders every mesh of the shared corpus with the
// thumbnail renderer into one labelled PNG, so people can see what the
// renderer does with clean, broken, open, inside-out and multi-shell parts:
//
//	go run ./docs/contactsheet [-corpus ../shared/corpus] [-o docs/contact-sheet.png]
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
	"sort"
	"strings"

	"github.com/meshops/meshops/geometry"
	"github.com/meshops/meshops/geometry/render"
	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

func main() {
	corpus := flag.String("corpus", "../shared/corpus", "the corpus folder")
	out := flag.String("o", "docs/contact-sheet.png", "output PNG")
	cell := flag.Int("cell", 200, "thumbnail size in pixels")
	cols := flag.Int("cols", 7, "thumbnails per row")
	flag.Parse()
	entries, err := os.ReadDir(*corpus)
	if err != nil {
		fail(err)
	}
	var names []string
	for _, e := range entries {
		if _, ok := geometry.FormatForName(e.Name()); ok {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	const label = 18
	rows := (len(names) + *cols - 1) / *cols
	sheet := image.NewNRGBA(image.Rect(0, 0, *cols**cell, rows*(*cell+label)))
	draw.Draw(sheet, sheet.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	for i, name := range names {
		x, y := (i%*cols)**cell, (i / *cols)*(*cell+label)
		m, err := read(filepath.Join(*corpus, name))
		if err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
			continue
		}
		im, err := render.New(context.Background(), m, render.Options{Width: *cell, Height: *cell, Background: color.NRGBA{255, 255, 255, 255}})
		if err != nil {
			fail(err)
		}
		draw.Draw(sheet, image.Rect(x, y, x+*cell, y+*cell), im, image.Point{}, draw.Src)
		text := strings.TrimSuffix(name, filepath.Ext(name)) + filepath.Ext(name)
		if len(text) > *cell/7 {
			text = text[:*cell/7-1] + "~"
		}
		d := font.Drawer{Dst: sheet, Src: image.NewUniform(color.NRGBA{40, 40, 40, 255}), Face: basicfont.Face7x13,
			Dot: fixed.P(x+4, y+*cell+13)}
		d.DrawString(text)
	}
	f, err := os.Create(*out)
	if err != nil {
		fail(err)
	}
	if err := png.Encode(f, sheet); err != nil {
		fail(err)
	}
	if err := f.Close(); err != nil {
		fail(err)
	}
	fmt.Printf("%d meshes → %s\n", len(names), *out)
}

func read(path string) (*geometry.Mesh, error) {
	m, err := geometry.ReadModelFile(path, geometry.Limits{})
	if err != nil {
		return nil, err
	}
	return m.Mesh, nil
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "contactsheet:", err)
	os.Exit(1)
}
