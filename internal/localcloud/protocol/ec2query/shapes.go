package ec2query

import (
	"encoding/xml"

	"github.com/berthdev/berth/internal/localcloud/protocol/query"
)

// List is a list as EC2 writes it in a response: <nameSet><item>…</item>
// </nameSet>. A nil List writes nothing; an empty one writes the empty
// element. Requests decode into it as into any slice (Name.N).
type List[T any] []T

// ListItem names the element of each item of an EC2 list.
func (List[T]) ListItem() string { return "item" }

// MarshalXML writes the list's items as <item> elements.
func (l List[T]) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	return query.EncodeList(e, start, l, "item")
}
