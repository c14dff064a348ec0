// Package chaos holds the fault tests that run real stoppunkt processes
// and kill them. TestKillOneOfTwoMidVote, a small one, runs with every
// `go test` (and so in `make test`); the heavy ones are behind the build
// tag "chaos": `make chaos`.
package chaos
