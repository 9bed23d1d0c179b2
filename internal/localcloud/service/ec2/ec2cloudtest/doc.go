// Package ec2cloudtest tests the EC2 service through the whole local cloud
// (its router, SigV4 scope and data plane), apart from the package's own
// tests so that those keep running while other services are mid-change.
package ec2cloudtest
