package upload

import (
	"bytes"
	"context"
	"errors"
	"hash"
	"io"
	"net/http"
	"sync"

	"github.com/google/uuid"
	"github.com/meshops/meshops"
)

// Declared-length uploads are what the tus 1.0 protocol needs: the client
// declares the total length (and metadata) first, then appends bytes at the
// current offset; when the offset reaches the length the upload is committed
// under the same rules as a chunked upload. Each append is stored as the
// next chunk, so both protocols share the chunk store, expiry and sweep.

// CreateDeclared creates an upload of length bytes for owner with client
// metadata ("name" or "filename", "units"), checked now so that a bad unit
// fails before any byte is sent.
func (s *Service) CreateDeclared(ctx context.Context, owner string, length int64, metadata map[string]string) (*meshops.Upload, error) {
	if length <= 0 {
		return nil, meshops.InvalidParam("Upload-Length", "It must be a positive whole number of bytes (deferred lengths are not supported).")
	}
	if length > s.cfg.MaxFileBytes {
		return nil, tooLarge(s.cfg.MaxFileBytes)
	}
	if _, err := meshops.ParseUnits(metadata["units"]); err != nil {
		return nil, err
	}
	now := s.now().UTC()
	u := &meshops.Upload{FileID: uuid.NewString(), OwnerKeyID: owner, CreatedAt: now, UpdatedAt: now,
		ExpiresAt: now.Add(s.cfg.UploadTTL), Length: length, Metadata: metadata}
	if err := s.meta.CreateUpload(ctx, u); err != nil {
		return nil, internal(err)
	}
	return u, nil
}

// GetDeclared returns owner's declared-length upload (52 otherwise).
func (s *Service) GetDeclared(ctx context.Context, owner, fileID string) (*meshops.Upload, error) {
	up, err := s.GetUpload(ctx, owner, fileID)
	if err != nil {
		return nil, err
	}
	if up.Length == 0 {
		return nil, uploadNotFound(fileID)
	}
	return up, nil
}

// Checksum is a client-declared checksum of one append (tus Upload-Checksum).
type Checksum struct {
	Hash hash.Hash // a fresh hash of the declared algorithm
	Want []byte
}

// Append adds body at offset to owner's declared-length upload. The offset
// must be the bytes received so far (409 code 55 otherwise). If the upload
// is then complete it is committed and the file returned.
func (s *Service) Append(ctx context.Context, owner, fileID string, offset int64, body io.Reader, sum *Checksum) (*meshops.Upload, *meshops.File, error) {
	unlock := s.lockUpload(fileID)
	defer unlock()
	up, err := s.GetDeclared(ctx, owner, fileID)
	if err != nil {
		return nil, nil, err
	}
	got := up.ReceivedBytes()
	if offset != got {
		return nil, nil, meshops.ParamErrorf(meshops.CodeCommitFailed, "Upload-Offset", "Upload-Offset %d does not match the upload's offset %d; ask with HEAD and resume from there.", offset, got).WithStatus(http.StatusConflict)
	}
	if got < up.Length {
		rest := up.Length - got
		lim := chunkLimits{chunk: rest, file: rest, tooBig: func() *meshops.Error {
			return meshops.Errorf(meshops.CodeCommitFailed, "The request sends more bytes than the %d declared in Upload-Length.", up.Length)
		}}
		var extra hash.Hash
		if sum != nil {
			extra = sum.Hash
		}
		verify := func(_ string, h hash.Hash) *meshops.Error {
			if sum != nil && !bytes.Equal(h.Sum(nil), sum.Want) {
				return meshops.ParamErrorf(meshops.CodeCommitFailed, "Upload-Checksum", "Checksum mismatch: the bytes received do not match Upload-Checksum; nothing was appended, send them again.").WithStatus(460)
			}
			return nil
		}
		up, _, err = s.storeChunk(ctx, owner, fileID, len(up.Chunks), body, lim, extra, verify)
		if err != nil {
			var me *meshops.Error
			if errors.As(err, &me) && me.Code == meshops.CodeChunkEmpty { // an empty PATCH is allowed and changes nothing
				up, err = s.GetDeclared(ctx, owner, fileID)
			}
			if err != nil {
				return nil, nil, err
			}
		}
	}
	if up.ReceivedBytes() < up.Length {
		return up, nil, nil
	}
	name := up.Metadata["name"]
	if name == "" {
		name = up.Metadata["filename"]
	}
	f, err := s.Commit(ctx, owner, fileID, CommitRequest{Name: name, Units: up.Metadata["units"]})
	if err != nil {
		return up, nil, err
	}
	return up, f, nil
}

// lockUpload serialises appends to one upload within this process. (In the
// scale-out mode concurrent appends to one tus upload from different API
// processes would need a store lock; tus clients send one at a time.)
func (s *Service) lockUpload(fileID string) func() {
	s.locksMu.Lock()
	l := s.locks[fileID]
	if l == nil {
		l = &uploadLock{}
		s.locks[fileID] = l
	}
	l.users++
	s.locksMu.Unlock()
	l.mu.Lock()
	return func() {
		l.mu.Unlock()
		s.locksMu.Lock()
		if l.users--; l.users == 0 {
			delete(s.locks, fileID)
		}
		s.locksMu.Unlock()
	}
}

// uploadLock is a mutex shared by the requests appending to one upload;
// users counts them so the entry is dropped when the last one leaves.
type uploadLock struct {
	mu    sync.Mutex
	users int
}
