// Package upload holds the upload rules of API.md independent of any
// protocol: streaming validation and hashing of single uploads, the chunk
// store with its running-total limits, commit (assembling chunks in order
// without buffering the file) and the expiry sweep of abandoned uploads.
//
// Every function returns *meshops.Error values carrying the catalogue code a
// client should see; the api package only translates HTTP to calls here.
package upload
