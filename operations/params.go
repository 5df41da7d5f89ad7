package operations

import (
	"fmt"
	"math"
	"strconv"

	"github.com/meshops/meshops"
)

// num formats a number the way a client wrote it (no trailing zeros).
func num(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// inRange checks lo ≤ v ≤ hi (inclusive), with the parameter's own code.
func inRange(code meshops.Code, param string, v, lo, hi float64, what string) error {
	if math.IsNaN(v) || v < lo || v > hi {
		return meshops.ParamErrorf(code, param, "%s %s is out of range: it must be within %s and %s.", what, num(v), num(lo), num(hi))
	}
	return nil
}

// intInRange also requires a whole number (45.5 breaks the rule: same code).
func intInRange(code meshops.Code, param string, v, lo, hi float64, what string) error {
	if v != math.Trunc(v) {
		return meshops.ParamErrorf(code, param, "%s %s must be a whole number within %s and %s.", what, num(v), num(lo), num(hi))
	}
	return inRange(code, param, v, lo, hi, what)
}

func oneOf(code meshops.Code, param, v string, allowed ...string) error {
	for _, a := range allowed {
		if v == a {
			return nil
		}
	}
	return meshops.ParamErrorf(code, param, "'%s' is not a valid %s: use one of %v.", v, param, allowed)
}

func required(param, what string) error {
	return meshops.InvalidParam(param, fmt.Sprintf("It is required: %s.", what))
}

// dimensionsMm is the stored bounding box extent of an STL file in mm.
func dimensionsMm(f *meshops.File) ([3]float64, bool) {
	if f.Mesh == nil {
		return [3]float64{}, false
	}
	d := f.Mesh.Dimensions()
	k := f.Units.MillimetresPer()
	return [3]float64{d[0] * k, d[1] * k, d[2] * k}, true
}
