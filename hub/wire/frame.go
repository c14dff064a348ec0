package wire

import "sync"

// Frame is an encoded server frame. A broadcast is encoded once into one
// Frame and the same Frame is queued to every connection it goes to.
type Frame struct {
	// Data is the JSON text of the frame. It must not be modified.
	Data []byte

	once   sync.Once
	cached any
}

// NewFrame encodes o into a Frame.
func NewFrame(o Out) (*Frame, error) {
	b, err := Encode(o)
	if err != nil {
		return nil, err
	}
	return &Frame{Data: b}, nil
}

// Cached returns a value derived from the frame's bytes, made by mk the
// first time it is asked for. The websocket layer keeps its prepared
// message here, so the framing work is also done once per broadcast.
func (f *Frame) Cached(mk func([]byte) any) any {
	f.once.Do(func() { f.cached = mk(f.Data) })
	return f.cached
}
