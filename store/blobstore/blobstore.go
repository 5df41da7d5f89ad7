// Package blobstore keeps file bytes through gocloud.dev/blob, so that one
// API serves local disk (file://), memory (mem://, for tests) and, for the
// scale-out mode, S3-compatible storage. Writes are atomic: fileblob writes a
// temporary file and renames it into place only when the whole blob arrived.
package blobstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"

	"github.com/meshops/meshops"
	"gocloud.dev/blob"
	"gocloud.dev/blob/fileblob"
	"gocloud.dev/blob/memblob"
	"gocloud.dev/gcerrors"
)

// Store implements meshops.BlobStore on a gocloud bucket.
type Store struct {
	bucket *blob.Bucket
}

var _ meshops.BlobStore = (*Store)(nil)

// Open opens the bucket named by rawURL: "file:///abs/dir" (created if
// missing) or "mem://". Drivers are chosen here explicitly rather than
// through gocloud's global URL registry.
func Open(ctx context.Context, rawURL string) (*Store, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("blob URL %q: %w", rawURL, err)
	}
	var b *blob.Bucket
	switch u.Scheme {
	case "file":
		if err := os.MkdirAll(u.Path, 0o755); err != nil {
			return nil, err
		}
		// Temporary files go next to their final name (same file system,
		// so the rename is atomic) and no sidecar metadata files are written.
		b, err = fileblob.OpenBucket(u.Path, &fileblob.Options{NoTempDir: true, Metadata: fileblob.MetadataDontWrite})
	case "mem":
		b = memblob.OpenBucket(nil)
	default:
		return nil, fmt.Errorf("blob URL %q: unsupported scheme %q (use file:// or mem://)", rawURL, u.Scheme)
	}
	if err != nil {
		return nil, err
	}
	return &Store{bucket: b}, nil
}

// Put streams r into key atomically: if r fails or ctx ends, nothing is kept.
func (s *Store) Put(ctx context.Context, key string, r io.Reader) (int64, error) {
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w, err := s.bucket.NewWriter(wctx, key, &blob.WriterOptions{
		ContentType:                 "application/octet-stream",
		DisableContentTypeDetection: true,
		BufferSize:                  1 << 20,
	})
	if err != nil {
		return 0, err
	}
	n, err := io.Copy(w, r)
	if err != nil {
		cancel() // aborts the write: the temporary file is removed, never renamed
		w.Close()
		return n, err
	}
	return n, w.Close()
}

// Open opens the blob for reading and seeking.
func (s *Store) Open(ctx context.Context, key string) (meshops.Blob, error) {
	r, err := s.bucket.NewReader(ctx, key, nil)
	if err != nil {
		if gcerrors.Code(err) == gcerrors.NotFound {
			return nil, fmt.Errorf("blob %s: %w", key, meshops.ErrNotFound)
		}
		return nil, err
	}
	return r, nil
}

// Delete removes the blob; a missing blob is not an error.
func (s *Store) Delete(ctx context.Context, key string) error {
	err := s.bucket.Delete(ctx, key)
	if err != nil && gcerrors.Code(err) == gcerrors.NotFound {
		return nil
	}
	return err
}

// List returns the keys under prefix.
func (s *Store) List(ctx context.Context, prefix string) ([]string, error) {
	it := s.bucket.List(&blob.ListOptions{Prefix: prefix})
	var keys []string
	for {
		obj, err := it.Next(ctx)
		if errors.Is(err, io.EOF) {
			return keys, nil
		}
		if err != nil {
			return nil, err
		}
		if !obj.IsDir {
			keys = append(keys, obj.Key)
		}
	}
}

// Close releases the bucket.
func (s *Store) Close() error { return s.bucket.Close() }
