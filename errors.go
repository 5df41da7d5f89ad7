package meshops

import (
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Code is a numbered error code from the catalogue in ERROR_CODES.md. Clients
// branch on these numbers, so they never change meaning.
type Code int

// The catalogue. Names say what went wrong; numbers are the contract.
const (
	CodeInternal           Code = 10 // unexpected server-side failure
	CodeRetryLater         Code = 11 // queue full, draining, rate limited
	CodeAccessDenied       Code = 12 // missing/unknown/revoked key (401) or no permission (403)
	CodeInvalidRequest     Code = 13 // malformed JSON, wrong type, unknown or missing field, unknown route
	CodeNotSTL             Code = 50
	CodeFileTooLarge       Code = 51
	CodeFileNotFound       Code = 52
	CodeFileEmpty          Code = 53
	CodeChunkTooLarge      Code = 54
	CodeCommitFailed       Code = 55
	CodeChunkEmpty         Code = 56
	CodeFileExists         Code = 57
	CodeKeyExpired         Code = 60
	CodeQuotaExceeded      Code = 61
	CodeOperationFailed    Code = 70
	CodeOperationNotFound  Code = 71
	CodeTimeout            Code = 72
	CodeNotFinished        Code = 73
	CodeUnhandled          Code = 74
	CodeUnsupportedUnit    Code = 200
	CodeNotConvertible     Code = 201
	CodeNoGeometry         Code = 202
	CodeWallThickness      Code = 300
	CodeWallAccuracy       Code = 301
	CodeModelTooBig        Code = 302
	CodeScaleFactor        Code = 400
	CodeScaleAxis          Code = 401
	CodeThumbnailSize      Code = 500
	CodeCameraAngle        Code = 501
	CodeShrinkwrapAccuracy Code = 600
	CodeReduceAccuracy     Code = 700
	CodeReduceMaxAngle     Code = 701
	CodeReduceIterations   Code = 702
	CodeHollowWall         Code = 800
	CodeExportFormat       Code = 900
)

// HTTPStatus is the status of a synchronous response carrying the code, as
// ERROR_CODES.md lists it. Codes that have two statuses (11, 12, 55, 201, 202)
// return the usual one; an Error can override it with Status.
func (c Code) HTTPStatus() int {
	switch c {
	case CodeInternal:
		return http.StatusInternalServerError
	case CodeRetryLater:
		return http.StatusServiceUnavailable
	case CodeAccessDenied:
		return http.StatusUnauthorized
	case CodeInvalidRequest, CodeFileEmpty, CodeCommitFailed, CodeChunkEmpty, CodeOperationFailed, CodeUnsupportedUnit:
		return http.StatusBadRequest
	case CodeNotSTL:
		return http.StatusUnsupportedMediaType
	case CodeFileTooLarge, CodeChunkTooLarge:
		return http.StatusRequestEntityTooLarge
	case CodeFileNotFound, CodeOperationNotFound:
		return http.StatusNotFound
	case CodeFileExists, CodeNotFinished:
		return http.StatusConflict
	case CodeKeyExpired:
		return http.StatusForbidden
	case CodeQuotaExceeded:
		return http.StatusTooManyRequests
	case CodeNotConvertible, CodeNoGeometry, CodeTimeout, CodeUnhandled:
		return http.StatusUnprocessableEntity
	}
	if c >= 300 && c <= 999 {
		return http.StatusBadRequest
	}
	return http.StatusInternalServerError
}

// Error is the one error type of the service. Every failure a client can see
// is an *Error; anything else reaching the HTTP layer becomes code 10 with a
// generic message, so internals never leak.
type Error struct {
	Code       Code
	Status     int           // HTTP status when it differs from Code.HTTPStatus (0: the default)
	Param      string        // the parameter at fault, if one is
	Message    string        // for the client: what was wrong and what is allowed
	RetryAfter time.Duration // sent as Retry-After (whole seconds, at least 1) when > 0
	Err        error         // the cause, for logs only
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("code %d: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("code %d: %s", e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// HTTPStatus is the response status for the error.
func (e *Error) HTTPStatus() int {
	if e.Status != 0 {
		return e.Status
	}
	return e.Code.HTTPStatus()
}

// Errorf builds an *Error with a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ParamErrorf builds an *Error about one parameter.
func ParamErrorf(code Code, param, format string, args ...any) *Error {
	return &Error{Code: code, Param: param, Message: fmt.Sprintf(format, args...)}
}

// InvalidParam is the catalogue's wording for code 13 about one parameter.
func InvalidParam(param, detail string) *Error {
	msg := fmt.Sprintf("The value supplied for parameter '%s' is invalid.", param)
	if detail != "" {
		msg += " " + detail
	}
	return &Error{Code: CodeInvalidRequest, Param: param, Message: msg}
}

// WithStatus returns the error with its HTTP status overridden.
func (e *Error) WithStatus(status int) *Error { e.Status = status; return e }

// AsError finds an *Error in err's chain.
func AsError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// Sentinel storage errors. Drivers return these (possibly wrapped) so that
// callers can map them to catalogue codes without knowing the driver.
var (
	ErrNotFound = errors.New("not found")
	ErrExists   = errors.New("already exists")
	ErrGone     = errors.New("deleted")
	ErrConflict = errors.New("state conflict")
	// ErrBadCursor: a pagination cursor the store did not hand out.
	ErrBadCursor = errors.New("invalid pagination cursor")
)
