package api

import (
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/meshops/meshops"
	"github.com/meshops/meshops/upload"
)

// fileJSON is the file resource of API.md. Dimensions and bbox are in
// millimetres whatever the file's units.
func fileJSON(f *meshops.File) gin.H {
	h := gin.H{
		"id": f.ID, "name": f.Name, "format": f.Format, "sizeBytes": f.SizeBytes, "sha256": f.SHA256,
		"units": f.Units, "createdAt": f.CreatedAt.UTC().Format(time.RFC3339Nano),
	}
	if f.SourceOperationID != "" {
		h["sourceOperationId"] = f.SourceOperationID
	}
	if m := f.Mesh; m != nil {
		k := f.Units.MillimetresPer()
		d := m.Dimensions()
		h["mesh"] = gin.H{
			"triangles":    m.Triangles,
			"dimensionsMm": gin.H{"x": d[0] * k, "y": d[1] * k, "z": d[2] * k},
			"bboxMm": gin.H{
				"min": []float64{m.BBoxMin[0] * k, m.BBoxMin[1] * k, m.BBoxMin[2] * k},
				"max": []float64{m.BBoxMax[0] * k, m.BBoxMax[1] * k, m.BBoxMax[2] * k},
			},
		}
	}
	return h
}

// uploadFile is POST /files: multipart (part "file") or a raw body.
func (s *Server) uploadFile(c *gin.Context) {
	owner := callerKey(c).ID
	fields := map[string]string{"name": c.Query("name"), "units": c.Query("units"), "id": c.Query("id")}
	ct, _, _ := mime.ParseMediaType(c.GetHeader("Content-Type"))
	if ct == "multipart/form-data" {
		s.uploadMultipart(c, owner, fields)
		return
	}
	s.receiveFile(c, owner, fields, c.Request.ContentLength, c.Request.Body)
}

// uploadMeta validates the upload's fields before any byte of content is read.
func (s *Server) uploadMeta(c *gin.Context, owner string, fields map[string]string) (upload.Meta, error) {
	units, uerr := meshops.ParseUnits(fields["units"])
	if uerr != nil {
		return upload.Meta{}, uerr
	}
	if err := s.Uploads.CheckNewID(c.Request.Context(), fields["id"], "id"); err != nil {
		return upload.Meta{}, err
	}
	return upload.Meta{ID: fields["id"], OwnerKeyID: owner, Name: fields["name"], Units: units}, nil
}

// receiveFile checks the fields, counts the upload against the quota,
// streams body (length -1 if unknown) and stores the file; a failure after
// counting gives the upload back.
func (s *Server) receiveFile(c *gin.Context, owner string, fields map[string]string, length int64, body io.Reader) {
	meta, err := s.uploadMeta(c, owner, fields)
	if err != nil {
		c.Error(err)
		return
	}
	refund, err := s.startUpload(c)
	if err != nil {
		c.Error(err)
		return
	}
	rec, err := s.Uploads.Receive(c.Request.Context(), meta.Name, length, body)
	if err == nil {
		var f *meshops.File
		if f, err = s.Uploads.Create(c.Request.Context(), rec, meta); err == nil {
			s.Metrics.uploadedBytes(f.SizeBytes)
			c.Header("Location", "/api/v1/files/"+f.ID)
			c.PureJSON(http.StatusCreated, fileJSON(f))
			return
		}
	}
	refund()
	c.Error(err)
}

// uploadMultipart streams the "file" part. Text fields (name, units, id)
// must come before it, as curl sends them when -F options are in that order;
// query parameters work too.
func (s *Server) uploadMultipart(c *gin.Context, owner string, fields map[string]string) {
	if c.Request.ContentLength > s.Uploads.Config().MaxFileBytes+1<<20 {
		c.Error(meshops.Errorf(meshops.CodeFileTooLarge, "The file exceeds the maximum size of %d bytes; nothing was stored.", s.Uploads.Config().MaxFileBytes))
		return
	}
	mr, err := c.Request.MultipartReader()
	if err != nil {
		c.Error(meshops.InvalidParam("file", "The multipart body could not be read: "+err.Error()))
		return
	}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			c.Error(meshops.InvalidParam("file", "The multipart body has no 'file' part (curl -F file=@part.stl)."))
			return
		}
		if err != nil {
			c.Error(meshops.InvalidParam("file", "The multipart body is malformed: "+err.Error()))
			return
		}
		name := part.FormName()
		if name == "file" {
			s.receivePart(c, owner, fields, part)
			return
		}
		if _, known := fields[name]; !known {
			part.Close()
			c.Error(meshops.InvalidParam(name, "Unknown form field; the fields are file, name, units and id."))
			return
		}
		v, err := io.ReadAll(io.LimitReader(part, 4097))
		part.Close()
		if err != nil || len(v) > 4096 {
			c.Error(meshops.InvalidParam(name, "Form fields are at most 4096 bytes."))
			return
		}
		fields[name] = string(v)
	}
}

func (s *Server) receivePart(c *gin.Context, owner string, fields map[string]string, part *multipart.Part) {
	defer part.Close()
	if fields["name"] == "" {
		fields["name"] = part.FileName()
	}
	s.receiveFile(c, owner, fields, -1, part)
}

func (s *Server) listFiles(c *gin.Context) {
	page, err := pageParams(c)
	if err != nil {
		c.Error(err)
		return
	}
	files, next, err := s.Meta.ListFiles(c.Request.Context(), callerKey(c).ID, page)
	if errors.Is(err, meshops.ErrBadCursor) {
		c.Error(meshops.InvalidParam("cursor", "Use the nextCursor of the previous page."))
		return
	}
	if err != nil {
		c.Error(err)
		return
	}
	items := make([]gin.H, 0, len(files))
	for _, f := range files {
		items = append(items, fileJSON(f))
	}
	var nextCursor any
	if next != "" {
		nextCursor = next
	}
	c.PureJSON(http.StatusOK, gin.H{"items": items, "nextCursor": nextCursor})
}

// pageParams reads limit (1…1000, default 100) and cursor.
func pageParams(c *gin.Context) (meshops.Page, error) {
	p := meshops.Page{Limit: 100, Cursor: c.Query("cursor")}
	if l := c.Query("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 1000 {
			return p, meshops.InvalidParam("limit", "It must be a whole number from 1 to 1000.")
		}
		p.Limit = n
	}
	return p, nil
}

// ownedFile loads a file the caller owns: another key's file is 404 exactly
// like a missing one; a deleted one of the caller's is 410.
func (s *Server) ownedFile(c *gin.Context) (*meshops.File, bool) {
	id := c.Param("id")
	f, err := s.Meta.GetFile(c.Request.Context(), id)
	switch {
	case err == nil && f.OwnerKeyID == callerKey(c).ID:
		return f, true
	case errors.Is(err, meshops.ErrGone) && f != nil && f.OwnerKeyID == callerKey(c).ID:
		c.Error(meshops.ParamErrorf(meshops.CodeFileNotFound, "id", "File %s was deleted.", id).WithStatus(http.StatusGone))
	case err == nil || errors.Is(err, meshops.ErrNotFound) || errors.Is(err, meshops.ErrGone):
		c.Error(meshops.ParamErrorf(meshops.CodeFileNotFound, "id", "No file with id %s.", id))
	default:
		c.Error(err)
	}
	return nil, false
}

func (s *Server) getFile(c *gin.Context) {
	if f, ok := s.ownedFile(c); ok {
		c.PureJSON(http.StatusOK, fileJSON(f))
	}
}

// fileContent serves the bytes with Range, ETag and If-None-Match support
// (http.ServeContent implements the conditional and range rules).
func (s *Server) fileContent(c *gin.Context) {
	f, ok := s.ownedFile(c)
	if !ok {
		return
	}
	b, err := s.Blobs.Open(c.Request.Context(), f.BlobKey)
	if err != nil {
		c.Error(err)
		return
	}
	defer b.Close()
	h := c.Writer.Header()
	h.Set("Content-Type", f.Format.ContentType())
	h.Set("ETag", `"`+f.SHA256+`"`)
	h.Set("Cache-Control", "private, max-age=31536000, immutable")
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": f.Name}))
	http.ServeContent(c.Writer, c.Request, "", f.CreatedAt, b)
}

func (s *Server) deleteFile(c *gin.Context) {
	f, ok := s.ownedFile(c)
	if !ok {
		return
	}
	if _, err := s.Meta.DeleteFile(c.Request.Context(), f.ID); err != nil {
		if errors.Is(err, meshops.ErrGone) {
			c.Error(meshops.ParamErrorf(meshops.CodeFileNotFound, "id", "File %s was deleted.", f.ID).WithStatus(http.StatusGone))
			return
		}
		c.Error(err)
		return
	}
	// Operations reading the file keep it readable until they end (the
	// engine deletes the bytes after the last one).
	if n, err := s.Meta.ActiveOperationsOnFile(c.Request.Context(), f.ID); err != nil || n == 0 {
		if err := s.Blobs.Delete(c.Request.Context(), f.BlobKey); err != nil {
			s.Log.Warn("deleting file blob", "file", f.ID, "err", err)
		}
	}
	c.Status(http.StatusNoContent)
}
