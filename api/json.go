package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

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
	return decodeStrict(body, dst)
}

func decodeStrict(body []byte, dst any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	err := dec.Decode(dst)
	if err == nil && dec.More() {
		err = errors.New("trailing data")
	}
	if err == nil {
		return nil
	}
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &typeErr):
		param := typeErr.Field
		if param == "" {
			return meshops.InvalidParam("body", "A JSON object is required.")
		}
		return meshops.InvalidParam(param, fmt.Sprintf("Expected %s, got a JSON %s.", jsonKind(typeErr.Type.String()), typeErr.Value))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return meshops.InvalidParam(field, "Unknown field.")
	case errors.As(err, &syntaxErr):
		return meshops.InvalidParam("body", fmt.Sprintf("Malformed JSON at byte %d: %v.", syntaxErr.Offset, syntaxErr))
	default:
		return meshops.InvalidParam("body", "Malformed JSON: "+err.Error()+".")
	}
}

func jsonKind(goType string) string {
	switch {
	case strings.Contains(goType, "int"):
		return "a whole number"
	case strings.Contains(goType, "float"):
		return "a number"
	case strings.Contains(goType, "string"):
		return "a string"
	case strings.Contains(goType, "bool"):
		return "true or false"
	}
	return "another type"
}
