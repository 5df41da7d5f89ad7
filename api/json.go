package api

import (
	"bytes"
	"fmt"
	"io"

	"github.com/gin-gonic/gin"
	"github.com/meshops/meshops"
)

// decodeJSON reads a JSON object into dst strictly: unknown fields, wrong
// types, trailing data and bodies over MaxJSONBytes are code 13 naming the
// parameter. An empty body is allowed when emptyOK (all fields optional).
func (s *Server) decodeJSON(c *gin.Context, dst any, emptyOK bool) error {
	body, err := io.ReadAll(io.LimitReader(c.Request.Body, s.Config.MaxJSONBytes+1))
	if err != nil {
		return meshops.InvalidParam("body", "The request body could not be read.")
	}
	if int64(len(body)) > s.Config.MaxJSONBytes {
		return meshops.InvalidParam("body", fmt.Sprintf("JSON bodies are limited to %d bytes.", s.Config.MaxJSONBytes)).WithStatus(413)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		if emptyOK {
			return nil
		}
		return meshops.InvalidParam("body", "A JSON object is required.")
	}
	return meshops.DecodeJSON(body, dst)
}
