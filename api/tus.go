package api

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"hash"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/meshops/meshops"
	"github.com/meshops/meshops/upload"
)

// The tus 1.0 resumable-upload protocol (https://tus.io/protocols/resumable-upload)
// with the creation, creation-with-upload, termination, checksum and
// expiration extensions, for browser uploaders such as tus-js-client and
// Uppy. The rules (limits, validation, commit) are upload's; this file only
// speaks the protocol.

const (
	tusVersion    = "1.0.0"
	tusExtensions = "creation,creation-with-upload,termination,checksum,expiration"
	tusChecksums  = "sha1,sha256,md5"
	tusBase       = "/api/v1/tus/"
)

func (s *Server) tusRoutes(r *gin.Engine, v1 *gin.RouterGroup) {
	for _, p := range []string{"/api/v1/tus", "/api/v1/tus/", "/api/v1/tus/:id"} {
		r.OPTIONS(p, s.tusOptions)
	}
	t := v1.Group("/tus", s.tusResumable)
	t.POST("", s.tusCreate)
	t.POST("/", s.tusCreate)
	t.HEAD("/:id", s.tusHead)
	t.PATCH("/:id", s.tusPatch)
	t.DELETE("/:id", s.tusDelete)
}

func (s *Server) tusOptions(c *gin.Context) {
	h := c.Writer.Header()
	h.Set("Tus-Resumable", tusVersion)
	h.Set("Tus-Version", tusVersion)
	h.Set("Tus-Extension", tusExtensions)
	h.Set("Tus-Checksum-Algorithm", tusChecksums)
	h.Set("Tus-Max-Size", strconv.FormatInt(s.Uploads.Config().MaxFileBytes, 10))
	c.Status(http.StatusNoContent)
}

// tusResumable requires the protocol version header (412 otherwise) and
// stamps it on every answer.
func (s *Server) tusResumable(c *gin.Context) {
	c.Header("Tus-Resumable", tusVersion)
	if v := c.GetHeader("Tus-Resumable"); v != tusVersion {
		c.Header("Tus-Version", tusVersion)
		c.Error(meshops.ParamErrorf(meshops.CodeInvalidRequest, "Tus-Resumable", "This server speaks tus %s; send 'Tus-Resumable: %s'.", tusVersion, tusVersion).WithStatus(http.StatusPreconditionFailed))
		c.Abort()
		return
	}
	c.Next()
}

func (s *Server) tusCreate(c *gin.Context) {
	length, err := strconv.ParseInt(c.GetHeader("Upload-Length"), 10, 64)
	if err != nil {
		c.Error(meshops.InvalidParam("Upload-Length", "It must be the total size in bytes (deferred lengths are not supported)."))
		return
	}
	md, merr := parseTusMetadata(c.GetHeader("Upload-Metadata"))
	if merr != nil {
		c.Error(merr)
		return
	}
	owner := callerKey(c).ID
	refund, err := s.startUpload(c)
	if err != nil {
		c.Error(err)
		return
	}
	up, err := s.Uploads.CreateDeclared(c.Request.Context(), owner, length, md)
	if err != nil {
		refund()
		c.Error(err)
		return
	}
	c.Header("Location", tusBase+up.FileID)
	c.Header("Upload-Expires", up.ExpiresAt.Format(http.TimeFormat))
	offset := int64(0)
	if c.Request.ContentLength != 0 && c.ContentType() == "application/offset+octet-stream" {
		sum, serr := parseTusChecksum(c.GetHeader("Upload-Checksum"))
		if serr != nil {
			c.Error(serr)
			return
		}
		up, _, err = s.Uploads.Append(c.Request.Context(), owner, up.FileID, 0, c.Request.Body, sum)
		if err != nil {
			c.Error(err)
			return
		}
		offset = up.ReceivedBytes()
		s.Metrics.uploadedBytes(offset)
	}
	c.Header("Upload-Offset", strconv.FormatInt(offset, 10))
	c.Status(http.StatusCreated)
}

func (s *Server) tusHead(c *gin.Context) {
	c.Header("Cache-Control", "no-store")
	ctx, owner, id := c.Request.Context(), callerKey(c).ID, c.Param("id")
	up, err := s.Uploads.GetDeclared(ctx, owner, id)
	if err != nil {
		// A finished upload is a file now: report it complete so a client
		// resuming after a lost response does not start over.
		if f, ferr := s.Meta.GetFile(ctx, id); ferr == nil && f.OwnerKeyID == owner {
			size := strconv.FormatInt(f.SizeBytes, 10)
			c.Header("Upload-Offset", size)
			c.Header("Upload-Length", size)
			c.Status(http.StatusOK)
			return
		}
		c.Error(err)
		return
	}
	c.Header("Upload-Offset", strconv.FormatInt(up.ReceivedBytes(), 10))
	c.Header("Upload-Length", strconv.FormatInt(up.Length, 10))
	c.Header("Upload-Expires", up.ExpiresAt.Format(http.TimeFormat))
	if len(up.Metadata) > 0 {
		c.Header("Upload-Metadata", formatTusMetadata(up.Metadata))
	}
	c.Status(http.StatusOK)
}

func (s *Server) tusPatch(c *gin.Context) {
	if c.ContentType() != "application/offset+octet-stream" {
		c.Error(meshops.ParamErrorf(meshops.CodeInvalidRequest, "Content-Type", "PATCH bodies must be sent as application/offset+octet-stream.").WithStatus(http.StatusUnsupportedMediaType))
		return
	}
	offset, err := strconv.ParseInt(c.GetHeader("Upload-Offset"), 10, 64)
	if err != nil || offset < 0 {
		c.Error(meshops.InvalidParam("Upload-Offset", "It must be the byte offset to append at (HEAD tells it)."))
		return
	}
	sum, serr := parseTusChecksum(c.GetHeader("Upload-Checksum"))
	if serr != nil {
		c.Error(serr)
		return
	}
	up, _, err := s.Uploads.Append(c.Request.Context(), callerKey(c).ID, c.Param("id"), offset, c.Request.Body, sum)
	if err != nil {
		c.Error(err)
		return
	}
	s.Metrics.uploadedBytes(up.ReceivedBytes() - offset)
	c.Header("Upload-Offset", strconv.FormatInt(up.ReceivedBytes(), 10))
	c.Header("Upload-Expires", up.ExpiresAt.Format(http.TimeFormat))
	c.Status(http.StatusNoContent)
}

func (s *Server) tusDelete(c *gin.Context) {
	ctx, owner, id := c.Request.Context(), callerKey(c).ID, c.Param("id")
	if _, err := s.Uploads.GetDeclared(ctx, owner, id); err != nil {
		c.Error(err)
		return
	}
	if err := s.Uploads.Abort(ctx, owner, id); err != nil {
		c.Error(err)
		return
	}
	c.Status(http.StatusNoContent)
}

// parseTusMetadata reads "key base64value,key2 base64value2" (a key may
// have no value).
func parseTusMetadata(h string) (map[string]string, error) {
	md := map[string]string{}
	if strings.TrimSpace(h) == "" {
		return md, nil
	}
	for _, pair := range strings.Split(h, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(pair), " ")
		if k == "" {
			return nil, meshops.InvalidParam("Upload-Metadata", "Each pair is a key, a space and a base64 value, separated by commas.")
		}
		b, err := base64.StdEncoding.DecodeString(v)
		if err != nil {
			return nil, meshops.InvalidParam("Upload-Metadata", "The value of '"+k+"' is not base64.")
		}
		md[k] = string(b)
	}
	return md, nil
}

func formatTusMetadata(md map[string]string) string {
	keys := make([]string, 0, len(md))
	for k := range md {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, k+" "+base64.StdEncoding.EncodeToString([]byte(md[k])))
	}
	return strings.Join(parts, ",")
}

// parseTusChecksum reads "Upload-Checksum: <algorithm> <base64 digest>".
func parseTusChecksum(h string) (*upload.Checksum, error) {
	if h == "" {
		return nil, nil
	}
	alg, b64, _ := strings.Cut(h, " ")
	want, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, meshops.InvalidParam("Upload-Checksum", "The digest must be base64.")
	}
	var hh hash.Hash
	switch alg {
	case "sha1":
		hh = sha1.New()
	case "sha256":
		hh = sha256.New()
	case "md5":
		hh = md5.New()
	default:
		return nil, meshops.InvalidParam("Upload-Checksum", "Supported algorithms: "+tusChecksums+".")
	}
	return &upload.Checksum{Hash: hh, Want: want}, nil
}
