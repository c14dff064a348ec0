package server

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"image"
	_ "image/jpeg" // DecodeConfig of uploaded JPEG images
	_ "image/png"  // and PNG images
	"io"
	"net/http"
	"path"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/stoppunkt/stoppunkt/hub/natslog"
	"github.com/stoppunkt/stoppunkt/hub/wire"
	"github.com/stoppunkt/stoppunkt/server/accounts"
)

// MediaStore keeps plans' images (natslog.Media).
type MediaStore interface {
	Put(ctx context.Context, planID, file string, data []byte) error
	Get(ctx context.Context, planID, file string) ([]byte, error)
	DeletePlan(ctx context.Context, planID string) error
}

// MaxImageBytes bounds an uploaded image.
const MaxImageBytes = 2 << 20

// imageTypes are the image types a plan may show, by the extension they
// are stored under.
var imageTypes = map[string]string{"png": "image/png", "jpg": "image/jpeg", "webp": "image/webp"}

// sniffImage says which of the allowed types data is, by its content
// (never by its name or claimed type): "png", "jpg", "webp" or "".
func sniffImage(data []byte) string {
	switch {
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		if _, format, err := image.DecodeConfig(bytes.NewReader(data)); err == nil && format == "png" {
			return "png"
		}
	case bytes.HasPrefix(data, []byte("\xff\xd8\xff")):
		if _, format, err := image.DecodeConfig(bytes.NewReader(data)); err == nil && format == "jpeg" {
			return "jpg"
		}
	case len(data) > 16 && string(data[:4]) == "RIFF" && string(data[8:12]) == "WEBP" &&
		(string(data[12:16]) == "VP8 " || string(data[12:16]) == "VP8L" || string(data[12:16]) == "VP8X"):
		return "webp"
	}
	return ""
}

// handleImageUpload stores an image for a plan (the editor's right on it)
// and answers the path a step's image field takes:
// {"path": "/media/<plan>/<sha256>.png", "type": "image/png", "bytes": n}.
// The image's own bytes decide its type; one that claims another type in
// Content-Type is refused.
func (s *Server) handleImageUpload(c *gin.Context) {
	id := c.Param("id")
	if _, ok := s.editor(c, id); !ok {
		return
	}
	data, err := io.ReadAll(io.LimitReader(c.Request.Body, MaxImageBytes+1))
	if err != nil {
		s.fail(c, wire.Errorf(wire.CodeBadJSON, "could not read the image"))
		return
	}
	if len(data) > MaxImageBytes {
		s.fail(c, wire.Errorf(wire.CodeTooLarge, "an image may be at most %d MiB", MaxImageBytes>>20))
		return
	}
	ext := sniffImage(data)
	if ext == "" {
		s.fail(c, wire.Errorf(wire.CodeInvalid, "the file is not a PNG, JPEG or WebP image"))
		return
	}
	claimed := strings.TrimSpace(strings.Split(c.GetHeader("Content-Type"), ";")[0])
	if claimed != "" && claimed != "application/octet-stream" && claimed != imageTypes[ext] {
		s.fail(c, wire.Errorf(wire.CodeInvalid, "the file says it is %s but is %s", claimed, imageTypes[ext]))
		return
	}
	sum := sha256.Sum256(data)
	file := hex.EncodeToString(sum[:16]) + "." + ext
	if err := s.deps.Media.Put(c.Request.Context(), id, file, data); err != nil {
		s.fail(c, wire.Errorf(wire.CodeUnavailable, "the image could not be stored; try again"))
		return
	}
	c.JSON(http.StatusCreated, gin.H{"path": "/media/" + id + "/" + file, "type": imageTypes[ext], "bytes": len(data)})
}

// handleMedia serves a plan's image. Its name is its content's hash, so it
// never changes: browsers keep it for a year.
func (s *Server) handleMedia(c *gin.Context) {
	id, file := c.Param("plan"), c.Param("file")
	ext := strings.TrimPrefix(path.Ext(file), ".")
	ctype, ok := imageTypes[ext]
	if !ok || len(id) > 64 || strings.ContainsAny(id+file, "/\\") {
		c.Status(http.StatusNotFound)
		return
	}
	etag := `"` + strings.TrimSuffix(file, path.Ext(file)) + `"`
	if c.GetHeader("If-None-Match") == etag {
		c.Status(http.StatusNotModified)
		return
	}
	data, err := s.deps.Media.Get(c.Request.Context(), id, file)
	if err != nil {
		c.Status(http.StatusNotFound)
		return
	}
	c.Header("Cache-Control", "public, max-age=31536000, immutable")
	c.Header("ETag", etag)
	c.Header("X-Content-Type-Options", "nosniff")
	c.Header("Content-Security-Policy", "default-src 'none'")
	c.Data(http.StatusOK, ctype, data)
}

// handlePlanDelete deletes an uploaded plan with every version and image:
// its owner only (or, on a server without accounts, whoever may create
// plans). Rooms started from it keep their own copy.
func (s *Server) handlePlanDelete(c *gin.Context) {
	id := c.Param("id")
	if _, ok := s.editor(c, id); !ok {
		return
	}
	ctx := c.Request.Context()
	if err := s.deps.PlanStore.Delete(ctx, id); err != nil {
		s.fail(c, wire.Errorf(wire.CodeUnavailable, "the plan could not be deleted; try again"))
		return
	}
	_ = s.deps.Plans.Remove(id)
	if err := s.deps.PlanRevisions.Delete(ctx, id); err != nil {
		s.fail(c, wire.Errorf(wire.CodeUnavailable, "the plan's versions could not be deleted; try again"))
		return
	}
	if err := s.deps.Media.DeletePlan(ctx, id); err != nil {
		s.fail(c, wire.Errorf(wire.CodeUnavailable, "the plan's images could not be deleted; try again"))
		return
	}
	s.audit(c, accounts.ActPlanDeleted, id)
	c.Status(http.StatusNoContent)
}

var _ MediaStore = (*natslog.Media)(nil)
