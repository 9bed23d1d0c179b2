package query

import (
	"encoding/xml"
	"slices"
)

// List is a list as the query protocol writes it in a response:
// <Name><member>…</member></Name>. A nil List writes nothing; an empty
// one writes <Name></Name>, which is how AWS says "none" (the SDKs then
// give an empty, not a missing, list). Requests decode into it as into
// any slice (Name.member.N).
type List[T any] []T

// MarshalXML writes the list's items as <member> elements.
func (l List[T]) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	return EncodeList(e, start, l, "member")
}

// EncodeList writes items as the protocol's wrapped list: start, one
// element per item, named element ("member" here, "item" in EC2's
// protocol), then the end; nil items write nothing.
func EncodeList[T any](e *xml.Encoder, start xml.StartElement, items []T, element string) error {
	if items == nil {
		return nil
	}
	if err := e.EncodeToken(start); err != nil {
		return err
	}
	for _, item := range items {
		if err := e.EncodeElement(item, xml.StartElement{Name: xml.Name{Local: element}}); err != nil {
			return err
		}
	}
	return e.EncodeToken(start.End())
}

// Map is a string map as the query protocol carries it: Name.entry.N.key
// and .value in a request, <Name><entry><key/><value/></entry></Name> in a
// response (in key order, so answers are stable).
type Map map[string]string

// MarshalXML writes the map's entries.
func (m Map) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	if m == nil {
		return nil
	}
	if err := e.EncodeToken(start); err != nil {
		return err
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		entry := struct {
			Key   string `xml:"key"`
			Value string `xml:"value"`
		}{k, m[k]}
		if err := e.EncodeElement(entry, xml.StartElement{Name: xml.Name{Local: "entry"}}); err != nil {
			return err
		}
	}
	return e.EncodeToken(start.End())
}
