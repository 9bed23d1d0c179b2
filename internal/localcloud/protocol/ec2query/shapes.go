package ec2query

import "encoding/xml"

// List is a list as EC2 writes it in a response: <nameSet><item>…</item>
// </nameSet>. A nil List writes nothing; an empty one writes the empty
// element. Requests decode into it as into any slice (Name.N).
type List[T any] []T

// MarshalXML writes the list's items as <item> elements.
func (l List[T]) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	if l == nil {
		return nil
	}
	if err := e.EncodeToken(start); err != nil {
		return err
	}
	for _, item := range l {
		if err := e.EncodeElement(item, xml.StartElement{Name: xml.Name{Local: "item"}}); err != nil {
			return err
		}
	}
	return e.EncodeToken(start.End())
}
