package meshops

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// DecodeJSON decodes one JSON value from body into dst strictly, mapping
// every failure to code 13 with the parameter named, as ERROR_CODES.md
// asks: malformed JSON, a wrong type (a string where a number belongs),
// an unknown field, trailing data.
func DecodeJSON(body []byte, dst any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	err := dec.Decode(dst)
	if err == nil {
		if _, terr := dec.Token(); terr != io.EOF {
			err = errors.New("trailing data after the JSON value")
		}
	}
	if err == nil {
		return nil
	}
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &typeErr):
		if typeErr.Field == "" {
			return InvalidParam("body", "A JSON object is required.")
		}
		return InvalidParam(typeErr.Field, fmt.Sprintf("Expected %s, got a JSON %s.", jsonKind(typeErr.Type.String()), typeErr.Value))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return InvalidParam(field, "Unknown field.")
	case errors.As(err, &syntaxErr):
		return InvalidParam("body", fmt.Sprintf("Malformed JSON at byte %d: %v.", syntaxErr.Offset, syntaxErr))
	case errors.Is(err, io.EOF):
		return InvalidParam("body", "A JSON object is required.")
	default:
		return InvalidParam("body", "Malformed JSON: "+err.Error()+".")
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
