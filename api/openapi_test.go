package api_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"reflect"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/meshops/meshops/api"
)

var updateOpenAPI = flag.Bool("update", false, "rewrite api/openapi.json from api/openapi.yaml")

func loadOpenAPI(t *testing.T) *openapi3.T {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(api.OpenAPIYAML)
	if err != nil {
		t.Fatalf("openapi.yaml: %v", err)
	}
	return doc
}

// TestOpenAPIJSONUpToDate keeps the served JSON equal to the YAML.
func TestOpenAPIJSONUpToDate(t *testing.T) {
	want, err := loadOpenAPI(t).MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	if *updateOpenAPI {
		var pretty bytes.Buffer
		json.Indent(&pretty, want, "", " ")
		pretty.WriteByte('\n')
		if err := os.WriteFile("openapi.json", pretty.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	var a, b any
	json.Unmarshal(want, &a)
	if err := json.Unmarshal(api.OpenAPIJSON, &b); err != nil || !reflect.DeepEqual(a, b) {
		t.Fatalf("api/openapi.json is not openapi.yaml's conversion (%v): run go test ./api -run TestOpenAPIJSONUpToDate -update", err)
	}
}
