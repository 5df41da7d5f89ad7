package api

import (
	_ "embed"
	"net/http"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/gin-gonic/gin"
)

// OpenAPIYAML is the API reference, written by hand and kept true by tests
// that validate real responses against it.
//
//go:embed openapi.yaml
var OpenAPIYAML []byte

var openAPIJSON = sync.OnceValues(func() ([]byte, error) {
	doc, err := LoadOpenAPI()
	if err != nil {
		return nil, err
	}
	return doc.MarshalJSON()
})

// LoadOpenAPI parses and validates the embedded document.
func LoadOpenAPI() (*openapi3.T, error) {
	doc, err := openapi3.NewLoader().LoadFromData(OpenAPIYAML)
	if err != nil {
		return nil, err
	}
	return doc, nil
}

func serveOpenAPI(c *gin.Context) {
	body, err := openAPIJSON()
	if err != nil {
		c.Error(err)
		return
	}
	c.Data(http.StatusOK, "application/json", body)
}
