// Package meshops holds the vocabulary every other package of the service
// shares: files, chunked uploads, API keys, the numbered error catalogue of
// ERROR_CODES.md, and the small storage interfaces that drivers implement.
//
// It imports nothing of ours, knows no HTTP and no SQL: the api package maps
// an *Error to a response once, and store/* packages implement the interfaces.
package meshops
