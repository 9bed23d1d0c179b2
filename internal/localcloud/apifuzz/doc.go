// Package apifuzz holds the fuzz target of the local cloud's whole API
// path. It is a package of its own so that `go test -fuzz` instruments
// only the local cloud, not the AWS SDK that the local cloud's other tests
// import.
package apifuzz
