package wsclient

import (
	"net"
	"time"
)

type netConn = net.Conn

// netDialer dials from a given local IP, so that load tests can spread
// connections over 127.0.0.x and past one address pair's port range.
func netDialer(ip string) *net.Dialer {
	return &net.Dialer{Timeout: 10 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
}
