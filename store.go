package meshops

import (
	"context"
	"io"
	"time"
)

// BlobStore keeps file bytes by key. Put is atomic: a reader sees either no
// blob or the whole blob, never a partial one, and a failed or canceled Put
// leaves nothing behind. Keys are chosen by the caller and never reused, so
// blobs are never overwritten in place.
type BlobStore interface {
	// Put stores everything r yields under key and returns the byte count.
	// If r returns an error, or ctx is canceled, nothing is stored.
	Put(ctx context.Context, key string, r io.Reader) (int64, error)
	// Open returns a reader over the blob (ErrNotFound if there is none).
	Open(ctx context.Context, key string) (Blob, error)
	// Delete removes the blob; deleting a missing blob is not an error.
	Delete(ctx context.Context, key string) error
	// List returns the keys under prefix, for sweeping orphans.
	List(ctx context.Context, prefix string) ([]string, error)
	Close() error
}

// Blob is an open stored blob. It supports Seek so that HTTP Range requests
// can be served without reading from the start.
type Blob interface {
	io.ReadSeekCloser
	Size() int64
}

// Page asks for one page of a newest-first listing. Cursor is opaque: the
// NextCursor of the previous page, or "" for the first.
type Page struct {
	Limit  int
	Cursor string
}

// FileStore keeps file metadata. Deleted files leave a tombstone so that
// their id answers 410 and is never reused.
type FileStore interface {
	// CreateFile inserts f; ErrExists if the id is taken (even by a deleted file).
	CreateFile(ctx context.Context, f *File) error
	// GetFile returns the file; ErrNotFound if there is none, ErrGone if deleted.
	GetFile(ctx context.Context, id string) (*File, error)
	// ListFiles returns owner's live files, newest first, and the next cursor ("" at the end).
	ListFiles(ctx context.Context, ownerKeyID string, p Page) ([]*File, string, error)
	// DeleteFile marks the file deleted and returns its record (for the blob key).
	DeleteFile(ctx context.Context, id string) (*File, error)
	// FileExists reports whether the id names a stored or deleted file.
	FileExists(ctx context.Context, id string) (bool, error)
}

// UploadStore keeps chunked-upload state.
type UploadStore interface {
	// PutChunk records chunk c of upload fileID for owner, creating the upload
	// if needed, and returns the chunk it replaced (nil if none) and the upload
	// as it is now. An upload owned by another key: ErrConflict. While the
	// upload is being committed: ErrConflict.
	PutChunk(ctx context.Context, fileID, ownerKeyID string, c Chunk, now, expiresAt time.Time) (replaced *Chunk, u *Upload, err error)
	// CreateUpload creates an empty upload (for protocols that declare it
	// first, like tus); ErrExists if the id is taken.
	CreateUpload(ctx context.Context, u *Upload) error
	// GetUpload returns the upload with its chunks; ErrNotFound if there is none.
	GetUpload(ctx context.Context, fileID string) (*Upload, error)
	// BeginCommit flags the upload as committing; ErrConflict if it already is.
	BeginCommit(ctx context.Context, fileID string) (*Upload, error)
	// EndCommit clears the committing flag after a failed commit.
	EndCommit(ctx context.Context, fileID string) error
	// DeleteUpload removes the upload and its chunk records, returning them.
	DeleteUpload(ctx context.Context, fileID string) (*Upload, error)
	// ExpiredUploads lists uploads whose ExpiresAt is before now.
	ExpiredUploads(ctx context.Context, now time.Time, limit int) ([]*Upload, error)
}

// KeyStore keeps API keys.
type KeyStore interface {
	CreateKey(ctx context.Context, k *Key) error
	// KeyByHash finds a key by the SHA-256 of its secret; ErrNotFound if none.
	KeyByHash(ctx context.Context, hash string) (*Key, error)
	ListKeys(ctx context.Context) ([]*Key, error)
	// RevokeKey marks the key (by id or name) revoked; ErrNotFound if none.
	RevokeKey(ctx context.Context, idOrName string, at time.Time) error
	// CountKeys is used to create the bootstrap admin key on first start.
	CountKeys(ctx context.Context) (int, error)
	// UpdateKey changes the limits or expiry of the key (by id or name) and
	// returns it; ErrNotFound if none.
	UpdateKey(ctx context.Context, idOrName string, u KeyUpdate) (*Key, error)
	// ConsumeQuota counts one use of q in period for the key if fewer than
	// limit were counted (limit ≤ 0: no limit), atomically. It returns the
	// count after the call and whether the use was counted.
	ConsumeQuota(ctx context.Context, keyID, period string, q Quota, limit int64) (used int64, ok bool, err error)
	// RefundQuota takes back one use (never below zero), for work that was
	// counted but then not accepted.
	RefundQuota(ctx context.Context, keyID, period string, q Quota) error
	// QuotaUsage reports the uses counted in period.
	QuotaUsage(ctx context.Context, keyID, period string) (map[Quota]int64, error)
}

// MetaStore is everything a metadata driver (SQLite, PostgreSQL) provides.
type MetaStore interface {
	FileStore
	UploadStore
	KeyStore
	OperationStore
	Ping(ctx context.Context) error
	Close() error
}
