// Package wsclient is the Go client of the Stoppunkt websocket protocol
// (docs/protocol.md): dial, hello with token, last_seq and epoch on a
// reconnect, resend of unacknowledged submissions with the same id, and
// frame decoding.
//
// Conn is the connection itself, built to be held by the ten thousand in
// one load-test process (cmd/loadgen): it reports to a Handler. Phone
// wraps a Conn with a blocking interface for tests: commands and
// submissions wait for their answer, and frames can be kept and waited
// for.
package wsclient
