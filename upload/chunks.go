package upload

import (
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/google/uuid"
	"github.com/meshops/meshops"
)

// ChunkChecksums are the optional integrity headers of a chunk.
type ChunkChecksums struct {
	MD5Base64 string // Content-MD5
	SHA256Hex string // X-Chunk-Sha256
}

// PutChunk stores chunk index of upload fileID for owner. Re-sending an
// index replaces that chunk, so a client can retry safely. declaredSize is
// the request's Content-Length (-1 if unknown).
func (s *Service) PutChunk(ctx context.Context, owner, fileID string, index int, declaredSize int64, body io.Reader, sums ChunkChecksums) (*meshops.Upload, *meshops.Chunk, error) {
	if err := s.checkUploadID(ctx, fileID); err != nil {
		return nil, nil, err
	}
	if index < 0 || index > s.cfg.MaxChunkIndex {
		return nil, nil, meshops.InvalidParam("index", fmt.Sprintf("Chunk indices run from 0 to %d.", s.cfg.MaxChunkIndex))
	}
	if declaredSize > s.cfg.MaxChunkBytes {
		return nil, nil, chunkTooLarge(s.cfg.MaxChunkBytes)
	}
	up, err := s.meta.GetUpload(ctx, fileID)
	var others int64
	switch {
	case errors.Is(err, meshops.ErrNotFound):
	case err != nil:
		return nil, nil, internal(err)
	case up.OwnerKeyID != owner:
		return nil, nil, idInUse(fileID)
	case up.Committing:
		return nil, nil, commitInProgress(fileID)
	default:
		for _, c := range up.Chunks {
			if c.Index != index {
				others += c.SizeBytes
			}
		}
	}
	if others+max(declaredSize, 0) > s.cfg.MaxFileBytes {
		s.discardUpload(ctx, fileID)
		return nil, nil, tooLarge(s.cfg.MaxFileBytes)
	}

	var extra hash.Hash
	if sums.MD5Base64 != "" {
		extra = md5.New()
	}
	verify := func(gotSHA string, extra hash.Hash) *meshops.Error { return checkChunkSums(sums, gotSHA, extra) }
	lim := chunkLimits{chunk: s.cfg.MaxChunkBytes, file: s.cfg.MaxFileBytes - others, tooBig: func() *meshops.Error { return chunkTooLarge(s.cfg.MaxChunkBytes) }}
	up, chunk, err := s.storeChunk(ctx, owner, fileID, index, body, lim, extra, verify)
	if err != nil {
		return nil, nil, err
	}
	// Concurrent chunks may each have passed the running-total check.
	if up.ReceivedBytes() > s.cfg.MaxFileBytes {
		s.discardUpload(ctx, fileID)
		return nil, nil, tooLarge(s.cfg.MaxFileBytes)
	}
	return up, chunk, nil
}

// chunkLimits bound one chunk: its own size (tooBig when exceeded) and the
// room left under the file limit (51, and the upload is discarded).
type chunkLimits struct {
	chunk, file int64
	tooBig      func() *meshops.Error
}

// storeChunk streams body into a new chunk blob, hashing it (sha256, plus
// extra if not nil), lets verify refuse it, then records it, replacing any
// chunk with the same index.
func (s *Service) storeChunk(ctx context.Context, owner, fileID string, index int, body io.Reader, lim chunkLimits, extra hash.Hash,
	verify func(sha256Hex string, extra hash.Hash) *meshops.Error) (*meshops.Upload, *meshops.Chunk, error) {
	cr := &chunkReader{r: body, lim: lim, h: sha256.New(), extra: extra}
	key := fmt.Sprintf("uploads/%s-%06d-%s", fileID, index, uuid.NewString()) // flat: no directory left behind
	n, err := s.blobs.Put(ctx, key, cr)
	if err != nil {
		if cr.overFile {
			s.discardUpload(ctx, fileID)
		}
		if me, ok := meshops.AsError(err); ok {
			return nil, nil, me
		}
		return nil, nil, internal(err)
	}
	chunk := meshops.Chunk{Index: index, SizeBytes: n, SHA256: hex.EncodeToString(cr.h.Sum(nil)), BlobKey: key}
	if e := verify(chunk.SHA256, extra); e != nil {
		s.blobs.Delete(context.Background(), key)
		return nil, nil, e
	}
	now := s.now().UTC()
	replaced, up, err := s.meta.PutChunk(ctx, fileID, owner, chunk, now, now.Add(s.cfg.UploadTTL))
	if err != nil {
		s.blobs.Delete(context.Background(), key)
		if errors.Is(err, meshops.ErrConflict) {
			if strings.Contains(err.Error(), "another key") {
				return nil, nil, idInUse(fileID)
			}
			return nil, nil, commitInProgress(fileID)
		}
		return nil, nil, internal(err)
	}
	if replaced != nil {
		s.blobs.Delete(context.Background(), replaced.BlobKey)
	}
	return up, &chunk, nil
}

func checkChunkSums(sums ChunkChecksums, gotSHA string, md5h hash.Hash) *meshops.Error {
	if sums.SHA256Hex != "" && !strings.EqualFold(sums.SHA256Hex, gotSHA) {
		return meshops.ParamErrorf(meshops.CodeCommitFailed, "X-Chunk-Sha256", "Chunk checksum mismatch: X-Chunk-Sha256 says %s but the chunk received hashes to %s; send it again.", sums.SHA256Hex, gotSHA)
	}
	if md5h != nil {
		got := base64.StdEncoding.EncodeToString(md5h.Sum(nil))
		if sums.MD5Base64 != got {
			return meshops.ParamErrorf(meshops.CodeCommitFailed, "Content-MD5", "Chunk checksum mismatch: Content-MD5 says %s but the chunk received hashes to %s; send it again.", sums.MD5Base64, got)
		}
	}
	return nil
}

// chunkReader enforces the chunk limits while hashing.
type chunkReader struct {
	r        io.Reader
	n        int64
	lim      chunkLimits
	overFile bool
	h, extra hash.Hash
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if rest := min(c.lim.chunk, c.lim.file) + 1 - c.n; int64(len(p)) > rest {
		p = p[:rest]
	}
	n, err := c.r.Read(p)
	c.n += int64(n)
	switch {
	case c.n > c.lim.chunk:
		return 0, c.lim.tooBig()
	case c.n > c.lim.file:
		c.overFile = true
		return 0, meshops.Errorf(meshops.CodeFileTooLarge, "The upload's chunks add up to more than the maximum file size; the upload was discarded.")
	}
	c.h.Write(p[:n])
	if c.extra != nil {
		c.extra.Write(p[:n])
	}
	if err == io.EOF && c.n == 0 {
		return 0, meshops.Errorf(meshops.CodeChunkEmpty, "The chunk has no content.")
	}
	return n, err
}

// GetUpload returns owner's upload (52 if unknown or another key's).
func (s *Service) GetUpload(ctx context.Context, owner, fileID string) (*meshops.Upload, error) {
	if err := s.checkUploadID(ctx, fileID); err != nil && err.Code == meshops.CodeInvalidRequest {
		return nil, err
	}
	up, err := s.meta.GetUpload(ctx, fileID)
	if errors.Is(err, meshops.ErrNotFound) || (err == nil && up.OwnerKeyID != owner) {
		return nil, uploadNotFound(fileID)
	}
	if err != nil {
		return nil, internal(err)
	}
	return up, nil
}

// Abort discards owner's upload and its chunks.
func (s *Service) Abort(ctx context.Context, owner, fileID string) error {
	up, err := s.GetUpload(ctx, owner, fileID)
	if err != nil {
		return err
	}
	if up.Committing {
		return commitInProgress(fileID)
	}
	s.discardUpload(ctx, fileID)
	return nil
}

// CommitRequest is the body of POST /uploads/{fileId}/commit.
type CommitRequest struct {
	Name      string `json:"name"`
	Units     string `json:"units"`
	Chunks    *int   `json:"chunks"`
	SizeBytes *int64 `json:"sizeBytes"`
	SHA256    string `json:"sha256"`
}

// Commit assembles owner's chunks in index order into a file with the
// upload's id, streaming them through the same validation as a single upload.
func (s *Service) Commit(ctx context.Context, owner, fileID string, req CommitRequest) (*meshops.File, error) {
	units, uerr := meshops.ParseUnits(req.Units)
	if uerr != nil {
		return nil, uerr
	}
	if req.Chunks != nil && (*req.Chunks < 1 || *req.Chunks > s.cfg.MaxChunkIndex+1) {
		return nil, meshops.InvalidParam("chunks", fmt.Sprintf("It must be a whole number from 1 to %d.", s.cfg.MaxChunkIndex+1))
	}
	if err := s.checkUploadID(ctx, fileID); err != nil {
		return nil, err
	}
	if _, err := s.GetUpload(ctx, owner, fileID); err != nil {
		return nil, err
	}
	up, err := s.meta.BeginCommit(ctx, fileID)
	switch {
	case errors.Is(err, meshops.ErrConflict):
		return nil, commitInProgress(fileID)
	case errors.Is(err, meshops.ErrNotFound):
		return nil, uploadNotFound(fileID)
	case err != nil:
		return nil, internal(err)
	}
	committed := false
	defer func() {
		if !committed {
			if err := s.meta.EndCommit(context.Background(), fileID); err != nil {
				s.log.Warn("clearing commit flag", "upload", fileID, "err", err)
			}
		}
	}()
	if e := checkComplete(up, req); e != nil {
		return nil, e
	}
	name := req.Name
	if name == "" {
		name = "model.stl"
	}
	rec := &Received{BlobKey: "files/" + uuid.NewString(), Format: meshops.SourceFormatForName(name)}
	v := newValidator(rec.Format == "", s.cfg.MaxFileBytes)
	v.extraCheck = func(n int64, sum string) *meshops.Error {
		if req.SHA256 != "" && !strings.EqualFold(req.SHA256, sum) {
			return meshops.ParamErrorf(meshops.CodeCommitFailed, "sha256", "Checksum mismatch: expected sha256 %s but the assembled file hashes to %s.", req.SHA256, sum)
		}
		return nil
	}
	n, err := s.blobs.Put(ctx, rec.BlobKey, v.reader(&chunkSequence{ctx: ctx, blobs: s.blobs, chunks: up.Chunks}))
	if err != nil {
		if me, ok := meshops.AsError(err); ok {
			if me.Code == meshops.CodeFileEmpty || me.Code == meshops.CodeNotSTL {
				me.Message = "The assembled upload is not accepted: " + me.Message
			}
			return nil, me
		}
		return nil, internal(err)
	}
	rec.SizeBytes, rec.SHA256 = n, v.sum()
	if v.scan != nil {
		rec.Format, rec.Mesh = v.stlFormat, v.mesh
	}
	f, err := s.Create(ctx, rec, Meta{ID: fileID, OwnerKeyID: owner, Name: name, Units: units})
	if err != nil {
		return nil, err
	}
	committed = true
	s.discardUpload(context.Background(), fileID)
	return f, nil
}

// checkComplete verifies that chunks 0…last are all there (last from the
// request's chunk count, else the highest index received) and that the size
// matches sizeBytes, naming what is missing.
func checkComplete(up *meshops.Upload, req CommitRequest) *meshops.Error {
	last := -1
	if len(up.Chunks) > 0 {
		last = up.Chunks[len(up.Chunks)-1].Index
	}
	if req.Chunks != nil {
		if last > *req.Chunks-1 {
			return meshops.ParamErrorf(meshops.CodeCommitFailed, "chunks", "Expected %d chunks (indices 0 to %d) but chunk %d was received; abort the upload or commit with the right count.", *req.Chunks, *req.Chunks-1, last)
		}
		last = *req.Chunks - 1
	}
	have := make([]bool, last+1)
	for _, c := range up.Chunks {
		have[c.Index] = true
	}
	var missing []int
	for i, ok := range have {
		if !ok {
			missing = append(missing, i)
		}
	}
	if len(missing) > 0 {
		return meshops.ParamErrorf(meshops.CodeCommitFailed, "chunks", "Chunks are missing: %s (received %d of %d).", formatRanges(missing), len(up.Chunks), last+1)
	}
	if req.SizeBytes != nil && *req.SizeBytes != up.ReceivedBytes() {
		return meshops.ParamErrorf(meshops.CodeCommitFailed, "sizeBytes", "Size mismatch: expected %d bytes but the chunks add up to %d bytes.", *req.SizeBytes, up.ReceivedBytes())
	}
	return nil
}

// formatRanges writes sorted indices compactly: "3, 5-7, 12" (at most 50 runs).
func formatRanges(idx []int) string {
	slices.Sort(idx)
	var parts []string
	for i := 0; i < len(idx); {
		j := i
		for j+1 < len(idx) && idx[j+1] == idx[j]+1 {
			j++
		}
		if len(parts) == 50 {
			parts = append(parts, "…")
			break
		}
		if i == j {
			parts = append(parts, strconv.Itoa(idx[i]))
		} else {
			parts = append(parts, fmt.Sprintf("%d-%d", idx[i], idx[j]))
		}
		i = j + 1
	}
	return strings.Join(parts, ", ")
}

// chunkSequence reads the chunks one after another, opening each only when
// the one before is exhausted, so a commit holds one chunk file open.
type chunkSequence struct {
	ctx    context.Context
	blobs  meshops.BlobStore
	chunks []meshops.Chunk
	cur    meshops.Blob
}

func (q *chunkSequence) Read(p []byte) (int, error) {
	for {
		if q.cur == nil {
			if len(q.chunks) == 0 {
				return 0, io.EOF
			}
			b, err := q.blobs.Open(q.ctx, q.chunks[0].BlobKey)
			if err != nil {
				return 0, fmt.Errorf("opening chunk %d: %w", q.chunks[0].Index, err)
			}
			q.cur, q.chunks = b, q.chunks[1:]
		}
		n, err := q.cur.Read(p)
		if err == io.EOF {
			q.cur.Close()
			q.cur = nil
			if n > 0 {
				return n, nil
			}
			continue
		}
		return n, err
	}
}

// discardUpload deletes an upload's record and chunk blobs.
func (s *Service) discardUpload(ctx context.Context, fileID string) {
	up, err := s.meta.DeleteUpload(context.WithoutCancel(ctx), fileID)
	if err != nil {
		if !errors.Is(err, meshops.ErrNotFound) {
			s.log.Warn("discarding upload", "upload", fileID, "err", err)
		}
		return
	}
	for _, c := range up.Chunks {
		if err := s.blobs.Delete(context.Background(), c.BlobKey); err != nil {
			s.log.Warn("deleting chunk", "upload", fileID, "chunk", c.Index, "err", err)
		}
	}
}

// SweepExpired discards uploads whose last chunk is older than the TTL and
// returns how many it removed.
func (s *Service) SweepExpired(ctx context.Context) (int, error) {
	total := 0
	for {
		ups, err := s.meta.ExpiredUploads(ctx, s.now().UTC(), 100)
		if err != nil || len(ups) == 0 {
			return total, err
		}
		for _, u := range ups {
			s.discardUpload(ctx, u.FileID)
		}
		total += len(ups)
	}
}

// checkUploadID validates an upload id and refuses ids of stored files (57).
func (s *Service) checkUploadID(ctx context.Context, fileID string) *meshops.Error {
	if _, err := uuid.Parse(fileID); err != nil || len(fileID) != 36 {
		return meshops.InvalidParam("fileId", "It must be a UUID chosen by the client, e.g. from uuidgen.")
	}
	exists, err := s.meta.FileExists(ctx, fileID)
	if err != nil {
		return internal(err)
	}
	if exists {
		return meshops.ParamErrorf(meshops.CodeFileExists, "fileId", "A file with id %s already exists; start the upload again with a new id.", fileID)
	}
	return nil
}

func chunkTooLarge(limit int64) *meshops.Error {
	return meshops.Errorf(meshops.CodeChunkTooLarge, "The chunk exceeds the maximum chunk size of %d bytes; send smaller chunks.", limit)
}

func idInUse(fileID string) *meshops.Error {
	return meshops.ParamErrorf(meshops.CodeFileExists, "fileId", "Upload id %s is in use by another upload; start again with a new id.", fileID)
}

func commitInProgress(fileID string) *meshops.Error {
	return meshops.Errorf(meshops.CodeCommitFailed, "Upload %s is being committed; wait for that commit to finish.", fileID).WithStatus(http.StatusConflict)
}

func uploadNotFound(fileID string) *meshops.Error {
	return meshops.ParamErrorf(meshops.CodeFileNotFound, "fileId", "No upload with id %s.", fileID)
}
