package meshops

import (
	"strings"
	"time"
)

// Format is a stored file's content format, as the API names it.
type Format string

// The formats of API.md. STL formats are "models"; the others in
// SourceFormats are kept as source files that only stl-conversion reads.
const (
	FormatSTLBinary Format = "stl-binary"
	FormatSTLASCII  Format = "stl-ascii"
	FormatOBJ       Format = "obj"
	FormatPLY       Format = "ply"
	FormatOFF       Format = "off"
	Format3MF       Format = "3mf"
	FormatGLB       Format = "glb"
	FormatGLTF      Format = "gltf"
	FormatPNG       Format = "png"
	FormatJPEG      Format = "jpeg"
	FormatJSON      Format = "json"
)

// IsSTL reports whether the format is binary or ASCII STL.
func (f Format) IsSTL() bool { return f == FormatSTLBinary || f == FormatSTLASCII }

// SourceFormatForName returns the convertible source format implied by a file
// name's extension (.obj .ply .off .3mf .glb .gltf), or "" for anything else.
func SourceFormatForName(name string) Format {
	i := strings.LastIndexByte(name, '.')
	if i < 0 {
		return ""
	}
	switch strings.ToLower(name[i+1:]) {
	case "obj":
		return FormatOBJ
	case "ply":
		return FormatPLY
	case "off":
		return FormatOFF
	case "3mf":
		return Format3MF
	case "glb":
		return FormatGLB
	case "gltf":
		return FormatGLTF
	}
	return ""
}

// ContentType is the MIME type the content download is served with.
func (f Format) ContentType() string {
	switch f {
	case FormatSTLBinary, FormatSTLASCII:
		return "model/stl"
	case FormatOBJ:
		return "model/obj"
	case FormatPLY:
		return "application/x-ply"
	case FormatOFF:
		return "application/x-off"
	case Format3MF:
		return "model/3mf"
	case FormatGLB:
		return "model/gltf-binary"
	case FormatGLTF:
		return "model/gltf+json"
	case FormatPNG:
		return "image/png"
	case FormatJPEG:
		return "image/jpeg"
	case FormatJSON:
		return "application/json"
	}
	return "application/octet-stream"
}

// Units of a model's coordinates. Stored STL models are in the units the
// uploader declared; stl-conversion writes millimetres.
type Units string

// The accepted units (anything else is code 200).
const (
	UnitsMM   Units = "mm"
	UnitsCM   Units = "cm"
	UnitsM    Units = "m"
	UnitsInch Units = "inch"
	UnitsFt   Units = "ft"
)

// ParseUnits accepts the unit names of API.md; "" means millimetres.
func ParseUnits(s string) (Units, *Error) {
	switch Units(s) {
	case "":
		return UnitsMM, nil
	case UnitsMM, UnitsCM, UnitsM, UnitsInch, UnitsFt:
		return Units(s), nil
	}
	return "", ParamErrorf(CodeUnsupportedUnit, "units",
		"Unit '%s' is not supported: use one of mm, cm, m, inch, ft.", s)
}

// MillimetresPer is the length of one unit in millimetres.
func (u Units) MillimetresPer() float64 {
	switch u {
	case UnitsCM:
		return 10
	case UnitsM:
		return 1000
	case UnitsInch:
		return 25.4
	case UnitsFt:
		return 304.8
	}
	return 1
}

// MeshInfo is what upload validation learns of an STL model.
type MeshInfo struct {
	Triangles int64      `json:"triangles"`
	BBoxMin   [3]float64 `json:"bboxMin"`
	BBoxMax   [3]float64 `json:"bboxMax"`
}

// Dimensions is the bounding box extent along x, y and z, in file units.
func (m MeshInfo) Dimensions() [3]float64 {
	return [3]float64{m.BBoxMax[0] - m.BBoxMin[0], m.BBoxMax[1] - m.BBoxMin[1], m.BBoxMax[2] - m.BBoxMin[2]}
}

// File is an immutable stored file: an uploaded model, a source file of
// another format, or an operation's output.
type File struct {
	ID                string
	OwnerKeyID        string
	Name              string
	Format            Format
	SizeBytes         int64
	SHA256            string // lowercase hex
	Units             Units
	CreatedAt         time.Time
	SourceOperationID string    // "" for uploads
	Mesh              *MeshInfo // nil for non-STL files
	BlobKey           string    // where the bytes are; never shown to clients
}

// Chunk is one received part of a chunked upload.
type Chunk struct {
	Index     int
	SizeBytes int64
	SHA256    string
	BlobKey   string
}

// Upload is a chunked upload in progress. The id is the file id the client
// chose; the key that sent the first chunk owns it.
type Upload struct {
	FileID     string
	OwnerKeyID string
	CreatedAt  time.Time
	UpdatedAt  time.Time
	ExpiresAt  time.Time
	Committing bool
	Chunks     []Chunk // ordered by Index
	// Length is the total size declared up front (tus Upload-Length); 0 if
	// the client did not declare one (chunked uploads).
	Length int64
	// Metadata is client metadata sent at creation (tus Upload-Metadata).
	Metadata map[string]string
}

// ReceivedBytes is the sum of the chunk sizes.
func (u *Upload) ReceivedBytes() int64 {
	var n int64
	for _, c := range u.Chunks {
		n += c.SizeBytes
	}
	return n
}

// Key is an API key's record. The secret itself is never stored: only its
// SHA-256, so a leaked database does not leak usable keys.
type Key struct {
	ID        string
	Name      string
	Hash      string // hex SHA-256 of the secret
	Prefix    string // first characters of the secret, to tell keys apart in lists
	Admin     bool
	CreatedAt time.Time
	ExpiresAt *time.Time
	RevokedAt *time.Time
	Limits    KeyLimits
}

// KeyLimits are a key's allowances; a zero field means unlimited.
type KeyLimits struct {
	MaxUploadsPerMonth    int64   // uploads started per calendar month (UTC) → 429 code 61
	MaxOperationsPerMonth int64   // operations submitted per calendar month (UTC) → 429 code 61
	RatePerSecond         float64 // sustained requests per second → 429 code 11
	MaxConcurrent         int     // operations queued or running at once → 429 code 11
}

// Quota names a monthly allowance.
type Quota string

const (
	QuotaUploads    Quota = "uploads"
	QuotaOperations Quota = "operations"
)

// QuotaPeriod is the calendar month (UTC) holding t, as "2006-01", and when
// the next one starts.
func QuotaPeriod(t time.Time) (period string, resets time.Time) {
	t = t.UTC()
	start := time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
	return start.Format("2006-01"), start.AddDate(0, 1, 0)
}

// KeyUpdate changes some of a key's settings; nil fields stay as they are.
type KeyUpdate struct {
	ExpiresAt     *time.Time // the zero time clears the expiry
	MaxUploads    *int64
	MaxOperations *int64
	Rate          *float64
	MaxConcurrent *int
}

// Apply changes k as the update says.
func (u KeyUpdate) Apply(k *Key) {
	if u.ExpiresAt != nil {
		k.ExpiresAt = nil
		if !u.ExpiresAt.IsZero() {
			t := u.ExpiresAt.UTC()
			k.ExpiresAt = &t
		}
	}
	setIf(&k.Limits.MaxUploadsPerMonth, u.MaxUploads)
	setIf(&k.Limits.MaxOperationsPerMonth, u.MaxOperations)
	setIf(&k.Limits.RatePerSecond, u.Rate)
	setIf(&k.Limits.MaxConcurrent, u.MaxConcurrent)
}

func setIf[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}
