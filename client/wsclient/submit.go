package wsclient

import (
	"math/rand/v2"
	"time"
)

// Submissions (answers, entries, submits) must each take effect exactly
// once: the Conn keeps each with its id until it is acknowledged or
// refused for good, and sends it again with the same id after a reconnect
// or a retryable refusal; the server acknowledges an id it has seen with
// "duplicate": true instead of applying it twice (docs/protocol.md, "ack").

// pending is a submission kept until it is acknowledged.
type pending struct {
	id    string
	frame []byte
	tries int // retryable refusals so far
}

// Submit sends a submission that must take effect exactly once (an
// encoded frame with the given id): it is kept until acknowledged or
// refused for good, resent with the same id after every reconnect and,
// after a pause, after every retryable refusal. Submitting an id that is
// still pending sends it again. Not being connected is no error: the
// reconnect sends it.
func (c *Conn) Submit(id string, frame []byte) {
	c.mu.Lock()
	if c.find(id) < 0 {
		c.pending = append(c.pending, pending{id: id, frame: frame})
	}
	up := c.ws != nil
	c.mu.Unlock()
	if up {
		_ = c.Write(frame)
	}
}

// Pending is the number of submissions not yet acknowledged.
func (c *Conn) Pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.pending)
}

// settle forgets a pending submission. Called with mu held.
func (c *Conn) settle(id string) {
	for i := range c.pending {
		if c.pending[i].id == id {
			c.pending = append(c.pending[:i], c.pending[i+1:]...)
			return
		}
	}
}

// retryLater resends a pending submission that was refused with a
// retryable error (storage briefly away, rate limited) after a growing,
// jittered pause. Called with mu held.
func (c *Conn) retryLater(id string) {
	i := c.find(id)
	if i < 0 {
		return
	}
	c.pending[i].tries++
	wait := min(100*time.Millisecond<<min(c.pending[i].tries, 5), 3*time.Second)
	wait = wait/2 + rand.N(wait/2+1)
	time.AfterFunc(wait, func() {
		c.mu.Lock()
		i := c.find(id)
		var frame []byte
		if i >= 0 && !c.closed {
			frame = c.pending[i].frame
		}
		c.mu.Unlock()
		if frame != nil {
			_ = c.Write(frame)
		}
	})
}

// find returns the index of a pending submission, or -1. Called with mu
// held.
func (c *Conn) find(id string) int {
	for i := range c.pending {
		if c.pending[i].id == id {
			return i
		}
	}
	return -1
}
