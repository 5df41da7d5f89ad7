package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/meshops/meshops"
	"github.com/meshops/meshops/upload"
)

func uploadJSON(u *meshops.Upload) gin.H {
	chunks := make([]gin.H, 0, len(u.Chunks))
	for _, ch := range u.Chunks {
		chunks = append(chunks, gin.H{"index": ch.Index, "sizeBytes": ch.SizeBytes, "sha256": ch.SHA256})
	}
	return gin.H{
		"fileId": u.FileID, "chunks": chunks, "receivedChunks": len(u.Chunks), "receivedBytes": u.ReceivedBytes(),
		"createdAt": u.CreatedAt.Format(time.RFC3339Nano), "updatedAt": u.UpdatedAt.Format(time.RFC3339Nano),
		"expiresAt": u.ExpiresAt.Format(time.RFC3339Nano), "committing": u.Committing,
	}
}

func (s *Server) putChunk(c *gin.Context) {
	index, err := strconv.Atoi(c.Param("index"))
	if err != nil {
		c.Error(meshops.InvalidParam("index", "Chunk indices are whole numbers from 0."))
		return
	}
	sums := upload.ChunkChecksums{MD5Base64: c.GetHeader("Content-MD5"), SHA256Hex: c.GetHeader("X-Chunk-Sha256")}
	refund, err := s.startChunkedUpload(c, c.Param("fileId"))
	if err != nil {
		c.Error(err)
		return
	}
	up, chunk, err := s.Uploads.PutChunk(c.Request.Context(), callerKey(c).ID, c.Param("fileId"), index, c.Request.ContentLength, c.Request.Body, sums)
	if err != nil {
		refund()
		c.Error(err)
		return
	}
	s.Metrics.uploadedBytes(chunk.SizeBytes)
	c.PureJSON(http.StatusOK, gin.H{
		"fileId": up.FileID, "index": chunk.Index, "sizeBytes": chunk.SizeBytes, "sha256": chunk.SHA256,
		"receivedChunks": len(up.Chunks), "receivedBytes": up.ReceivedBytes(), "expiresAt": up.ExpiresAt.Format(time.RFC3339Nano),
	})
}

func (s *Server) getUpload(c *gin.Context) {
	up, err := s.Uploads.GetUpload(c.Request.Context(), callerKey(c).ID, c.Param("fileId"))
	if err != nil {
		c.Error(err)
		return
	}
	c.PureJSON(http.StatusOK, uploadJSON(up))
}

func (s *Server) commitUpload(c *gin.Context) {
	var req upload.CommitRequest
	if err := s.decodeJSON(c, &req, true); err != nil {
		c.Error(err)
		return
	}
	f, err := s.Uploads.Commit(c.Request.Context(), callerKey(c).ID, c.Param("fileId"), req)
	if err != nil {
		c.Error(err)
		return
	}
	c.Header("Location", "/api/v1/files/"+f.ID)
	c.PureJSON(http.StatusCreated, fileJSON(f))
}

func (s *Server) abortUpload(c *gin.Context) {
	if err := s.Uploads.Abort(c.Request.Context(), callerKey(c).ID, c.Param("fileId")); err != nil {
		c.Error(err)
		return
	}
	c.Status(http.StatusNoContent)
}
