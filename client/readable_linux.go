package client

import (
	"syscall"
	"unsafe"
)

// canPeek: readable works on this system.
const canPeek = true

// readable is a syscall.RawConn.Read callback that reports whether the
// socket fd has something for a read (bytes, end of stream or an error)
// without taking it, so that the read is left to the frame reader. It is a
// plain function, so passing it allocates nothing.
func readable(fd uintptr) bool {
	var b [1]byte
	for {
		_, _, errno := syscall.Syscall6(syscall.SYS_RECVFROM, fd, uintptr(unsafe.Pointer(&b[0])), 1,
			syscall.MSG_PEEK|syscall.MSG_DONTWAIT, 0, 0)
		switch errno {
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			return false
		}
		return true
	}
}
