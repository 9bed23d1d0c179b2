package spec

import _ "embed"

//go:embed berth.schema.json
var schema []byte

// Schema returns the JSON Schema of berth.yaml, for editors (for example the
// YAML language server's "# yaml-language-server: $schema=" comment) and for
// `berth schema`. The caller gets its own copy.
func Schema() []byte {
	return append([]byte(nil), schema...)
}
