// Package natsembed runs a NATS server with JetStream inside the process:
// the default single-binary install, and the test harness's clusters.
package natsembed

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// Options for an embedded server. The zero value is a JetStream server in
// memory-less file mode under Dir that accepts no outside connections.
type Options struct {
	// Dir is where JetStream keeps its files (required).
	Dir string
	// Listen is host:port for client connections ("" or port -1 style
	// "127.0.0.1:-1" pick a free loopback port). With NoListen, nothing
	// listens and clients connect in-process.
	Listen   string
	NoListen bool
	// ServerName names the server (required in a cluster).
	ServerName string
	// Cluster joins a cluster: its name, this node's route listen address,
	// and the route URLs of the other nodes.
	ClusterName   string
	ClusterListen string
	Routes        []string
	// SyncAlways makes JetStream fsync every write (the default install).
	SyncAlways bool
}

// Server is a running embedded NATS server.
type Server struct {
	ns *server.Server
}

// Start starts the server and waits until it accepts connections.
func Start(o Options) (*Server, error) {
	if o.Dir == "" {
		return nil, errors.New("natsembed: a data folder is required")
	}
	opts := &server.Options{
		ServerName: o.ServerName,
		JetStream:  true,
		StoreDir:   filepath.Clean(o.Dir),
		NoSigs:     true,
		NoLog:      true,
		SyncAlways: o.SyncAlways,
		DontListen: o.NoListen,
		Host:       "127.0.0.1",
		Port:       -1,
	}
	if o.Listen != "" && !o.NoListen {
		host, port, err := splitHostPort(o.Listen)
		if err != nil {
			return nil, fmt.Errorf("natsembed: listen: %w", err)
		}
		opts.Host, opts.Port = host, port
	}
	if o.ClusterName != "" {
		host, port, err := splitHostPort(o.ClusterListen)
		if err != nil {
			return nil, fmt.Errorf("natsembed: cluster listen: %w", err)
		}
		opts.Cluster = server.ClusterOpts{Name: o.ClusterName, Host: host, Port: port}
		for _, r := range o.Routes {
			u, err := url.Parse(r)
			if err != nil {
				return nil, fmt.Errorf("natsembed: route %q: %w", r, err)
			}
			opts.Routes = append(opts.Routes, u)
		}
	}
	ns, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("natsembed: %w", err)
	}
	go ns.Start()
	if !ns.ReadyForConnections(30 * time.Second) {
		ns.Shutdown()
		return nil, errors.New("natsembed: server did not become ready within 30s")
	}
	return &Server{ns: ns}, nil
}

func splitHostPort(hp string) (string, int, error) {
	host, p, err := net.SplitHostPort(hp)
	if err != nil {
		return "", 0, err
	}
	port, err := strconv.Atoi(p)
	if err != nil {
		return "", 0, err
	}
	if host == "" {
		host = "0.0.0.0"
	}
	return host, port, nil
}

// ClientURL is the URL clients connect to (empty with NoListen).
func (s *Server) ClientURL() string { return s.ns.ClientURL() }

// ClusterURL is the route URL other nodes use to reach this one.
func (s *Server) ClusterURL() string {
	a := s.ns.ClusterAddr()
	if a == nil {
		return ""
	}
	return "nats://" + a.String()
}

// InProcess returns a connect option that reaches the server without a
// socket; use it with nats.Connect("", ...).
func (s *Server) InProcess() nats.Option { return nats.InProcessServer(s.ns) }

// Shutdown stops the server and waits until it has stopped.
func (s *Server) Shutdown() {
	s.ns.Shutdown()
	s.ns.WaitForShutdown()
}

// JetStreamReady reports whether JetStream is enabled and has a leader for
// its meta group (always true on a single server once started).
func (s *Server) JetStreamReady() bool { return s.ns.JetStreamIsCurrent() }
