// Package publicurl works out the address that join links and QR codes
// point at: the configured public URL, the name a browser reached the
// server by, or, for a server opened on this machine, an address of this
// machine that phones on the same network can reach.
//
// The rule, in order (docs/operations.md, "Public URL", says the same):
//
//  1. A configured public URL (--public-url) always wins.
//  2. A request whose Host names anything but this machine's loopback
//     (not localhost, *.localhost, 127.0.0.0/8, ::1, 0.0.0.0 or ::) keeps
//     its host: whoever opened the page reached the server by that name, on
//     the network they are on (a LAN address, a proxy's domain).
//  3. A request on loopback gets the best network address of this machine
//     (see Candidates), with the port the request arrived on.
//  4. With no such address, the request's own host: a link that works only
//     on this machine, which Local reports so that screens can say so.
package publicurl

import (
	"net"
	"net/netip"
	"strings"
)

// Interface is a network interface, as far as choosing an address needs.
type Interface struct {
	Name         string
	Up           bool
	Loopback     bool
	PointToPoint bool
	Addrs        []netip.Addr
}

// System lists this machine's network interfaces and their addresses.
func System() ([]Interface, error) {
	ifs, err := net.Interfaces()
	if err != nil {
		return nil, err
	}
	out := make([]Interface, 0, len(ifs))
	for _, ifc := range ifs {
		one := Interface{Name: ifc.Name, Up: ifc.Flags&net.FlagUp != 0,
			Loopback: ifc.Flags&net.FlagLoopback != 0, PointToPoint: ifc.Flags&net.FlagPointToPoint != 0}
		addrs, err := ifc.Addrs()
		if err != nil {
			continue // an interface that vanished meanwhile
		}
		for _, a := range addrs {
			if p, err := netip.ParsePrefix(a.String()); err == nil {
				one.Addrs = append(one.Addrs, p.Addr())
			}
		}
		out = append(out, one)
	}
	return out, nil
}

// virtualPrefixes name interfaces that belong to containers, virtual
// machines or tunnels on this machine: phones on the venue's network
// cannot reach addresses there, even private ones.
var virtualPrefixes = []string{"docker", "br-", "veth", "virbr", "vnet", "lxcbr", "lxdbr", "cni", "flannel",
	"cali", "vboxnet", "vmnet", "podman", "tailscale", "utun", "wg", "zt"}

func virtual(name string) bool {
	name = strings.ToLower(name)
	for _, p := range virtualPrefixes {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// Candidates returns the addresses other devices on the network could use
// to reach this machine, best first: private IPv4 (RFC 1918: 10/8,
// 172.16/12, 192.168/16), then other IPv4, then IPv6 unique-local
// (fc00::/7), then other IPv6; within each, in the interfaces' order. It
// leaves out interfaces that are down, loopback, point-to-point (VPN
// tunnels) or virtual bridges (see virtualPrefixes), and loopback,
// link-local, multicast and unspecified addresses.
func Candidates(ifaces []Interface) []netip.Addr {
	var ranked [4][]netip.Addr
	seen := map[netip.Addr]bool{}
	for _, ifc := range ifaces {
		if !ifc.Up || ifc.Loopback || ifc.PointToPoint || virtual(ifc.Name) {
			continue
		}
		for _, a := range ifc.Addrs {
			a = a.Unmap().WithZone("")
			if !a.IsValid() || a.IsLoopback() || a.IsLinkLocalUnicast() || a.IsMulticast() || a.IsUnspecified() || seen[a] {
				continue
			}
			seen[a] = true
			ranked[rank(a)] = append(ranked[rank(a)], a)
		}
	}
	var out []netip.Addr
	for _, r := range ranked {
		out = append(out, r...)
	}
	return out
}

func rank(a netip.Addr) int {
	switch {
	case a.Is4() && a.IsPrivate():
		return 0
	case a.Is4():
		return 1
	case a.IsPrivate():
		return 2
	default:
		return 3
	}
}

// Finder finds the addresses phones could reach a server at, given what
// it listens on.
type Finder struct {
	// Listen is the server's listen address (--addr): ":8080",
	// "0.0.0.0:8080", "[::]:8080", "192.168.1.20:8080", "127.0.0.1:8080".
	Listen string
	// Interfaces lists this machine's interfaces (System; tests inject
	// their own). Nil finds nothing.
	Interfaces func() ([]Interface, error)
}

// Addrs returns the addresses, best first: for a server listening on every
// address, the Candidates of the interfaces (IPv4 only for 0.0.0.0); for
// one listening on a single address, that address unless it is loopback
// or link-local; for one listening on a name, nothing (requests carry
// that name in their Host, which rule 2 keeps).
func (f Finder) Addrs() []netip.Addr {
	host, _, err := net.SplitHostPort(f.Listen)
	if err != nil {
		return nil
	}
	if host != "" {
		a, err := netip.ParseAddr(host)
		if err != nil {
			return nil
		}
		if !a.IsUnspecified() {
			if a.IsLoopback() || a.IsLinkLocalUnicast() {
				return nil
			}
			return []netip.Addr{a.Unmap()}
		}
	}
	if f.Interfaces == nil {
		return nil
	}
	ifs, err := f.Interfaces()
	if err != nil {
		return nil
	}
	all := Candidates(ifs)
	if host == "0.0.0.0" {
		v4 := all[:0:0]
		for _, a := range all {
			if a.Is4() {
				v4 = append(v4, a)
			}
		}
		return v4
	}
	return all
}

// Request is what Choose needs from the request the link is made for.
type Request struct {
	// Scheme is "http" or "https".
	Scheme string
	// Host is the request's Host header (host or host:port).
	Host string
	// Port is the port of this server the request arrived on; "" takes
	// the port in Host.
	Port string
}

// Choose returns the base URL (scheme://host[:port], no slash at the
// end) that join links made for req start with, by the rule in the package
// comment. lan is the Finder's Addrs.
func Choose(public string, req Request, lan []netip.Addr) string {
	if public != "" {
		return strings.TrimRight(public, "/")
	}
	scheme := req.Scheme
	if scheme == "" {
		scheme = "http"
	}
	if !Local(req.Host) || len(lan) == 0 {
		return scheme + "://" + req.Host
	}
	port := req.Port
	if port == "" {
		_, port, _ = net.SplitHostPort(req.Host)
	}
	host := lan[0].String()
	if lan[0].Is6() {
		host = "[" + host + "]"
	}
	if port != "" && !(scheme == "http" && port == "80") && !(scheme == "https" && port == "443") {
		host += ":" + port
	}
	return scheme + "://" + host
}

// Local reports whether a host (a Host header, a URL's host, with or
// without a port) can be reached only from this machine: localhost and its
// subdomains, loopback and unspecified addresses, and no host at all.
func Local(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.ToLower(strings.TrimSuffix(strings.Trim(host, "[]"), "."))
	if host == "" || host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && (a.Unmap().IsLoopback() || a.IsUnspecified())
}
