// Package chaos holds the heavy fault tests that run real stoppunkt
// processes and kill them: `make chaos`. They are behind the build tag
// "chaos" so that `go test ./...` does not run them.
package chaos
