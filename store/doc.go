// Package store holds the storage drivers behind the interfaces of the root
// meshops package: sqlite (embedded metadata), blobstore (file bytes through
// gocloud.dev/blob: local disk, memory, later S3) and storetest, the
// conformance suite every driver must pass.
package store
