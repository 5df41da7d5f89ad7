package api

import (
	_ "embed"
	"net/http"

	"github.com/gin-gonic/gin"
)

// OpenAPIYAML is the API reference, written by hand; OpenAPIJSON is the
// same document as JSON, served at /api/v1/openapi.json. A test checks that
// the JSON is the YAML's conversion (refresh it with -update) and validates
// real responses against it, so the reference cannot drift from the code.
// Serving committed JSON keeps the OpenAPI tooling out of the binary.
//
//go:embed openapi.yaml
var OpenAPIYAML []byte

// OpenAPIJSON is OpenAPIYAML converted to JSON.
//
//go:embed openapi.json
var OpenAPIJSON []byte

func serveOpenAPI(c *gin.Context) {
	c.Data(http.StatusOK, "application/json", OpenAPIJSON)
}
