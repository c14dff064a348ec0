package main

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"net/http/pprof"

	"github.com/stoppunkt/stoppunkt/hub/natsembed"
)

// natsServerMain is the nats-server subcommand: a NATS server with
// JetStream on disk, synced on every write as the embedded default is,
// listening on loopback so that several stoppunkt instances (and the raw
// JetStream yardstick) can share it. It runs until ctx ends.
func natsServerMain(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("nats-server", flag.ContinueOnError)
	dir := fs.String("dir", "", "JetStream store folder (required)")
	listen := fs.String("listen", "127.0.0.1:-1", "client listen address (loopback)")
	pprofAddr := fs.String("pprof", "", "serve Go profiles on this loopback address")
	sync := fs.Bool("sync", true, "fsync every JetStream write, as the embedded default does (false only for diagnosis)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *pprofAddr != "" {
		if err := checkLoopbackHostPort(*pprofAddr); err != nil {
			return fmt.Errorf("nats-server: pprof: %w", err)
		}
		mux := http.NewServeMux()
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		go func() { _ = http.ListenAndServe(*pprofAddr, mux) }()
	}
	if err := checkLoopbackHostPort(*listen); err != nil {
		return fmt.Errorf("nats-server: %w", err)
	}
	ns, err := natsembed.Start(natsembed.Options{Dir: *dir, Listen: *listen, ServerName: "loadgen", SyncAlways: *sync})
	if err != nil {
		return fmt.Errorf("nats-server: %w", err)
	}
	defer ns.Shutdown()
	// The coordinator reads the URL from the first line.
	fmt.Fprintf(stdout, "listening %s\n", ns.ClientURL())
	<-ctx.Done()
	return nil
}
