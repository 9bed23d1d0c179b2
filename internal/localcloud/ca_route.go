package localcloud

import "net/http"

// handleCAPEM serves the local CA's root certificate (public, as any CA's
// root is), so that a tool can tell users how to trust the certificates
// ACM issues even when the root lives only in memory (an ephemeral cloud).
func (c *Cloud) handleCAPEM(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/x-pem-file")
	_, _ = w.Write(c.ACM.RootCAPEM())
}
