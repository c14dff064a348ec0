package server

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
	qrcode "github.com/skip2/go-qrcode"

	"github.com/stoppunkt/stoppunkt/hub"
	"github.com/stoppunkt/stoppunkt/hub/wire"
)

// qrSize is the side of the QR image in pixels: sharp on a projector, and
// still a small PNG.
const qrSize = 512

// handleQR serves the join link of a code for the big screen:
// /qr/CODE.png is its QR code, /qr/CODE.txt the link itself as text, so
// that the screen can print exactly what the QR code holds. The link
// starts with the same base as every join link made for this request
// (joinBase: the public URL, the request's host, or this machine's LAN
// address when the big screen was opened on localhost). Any
// well-formed code gets an answer, whether or not a room has it, so that
// the route tells nobody which codes exist.
func (s *Server) handleQR(c *gin.Context) {
	file := c.Param("file")
	name, ext, _ := strings.Cut(file, ".")
	code, ok := hub.NormaliseCode(name)
	if !ok || (ext != "png" && ext != "txt") {
		s.fail(c, wire.Errorf(wire.CodeNotFound, "no such file"))
		return
	}
	link := s.joinBase(c) + "/j/" + code
	c.Header("Cache-Control", "private, max-age=600")
	c.Header("X-Content-Type-Options", "nosniff")
	if ext == "txt" {
		c.Data(http.StatusOK, "text/plain; charset=utf-8", []byte(link))
		return
	}
	png, err := qrcode.Encode(link, qrcode.Medium, qrSize)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Data(http.StatusOK, "image/png", png)
}
