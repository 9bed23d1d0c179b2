package ec2

import (
	"maps"
	"slices"

	"github.com/berthdev/berth/internal/localcloud/protocol/ec2query"
	"github.com/berthdev/berth/internal/localcloud/service/ec2/wire"
)

// Conversions between the shapes generated from EC2's model (package
// wire) and the request helpers the handlers share. The operations move to
// the generated shapes group by group; the hand-written tagSpecParam,
// filterParam and tagItem serve the ones not moved yet.

// tagSpecsFrom reads a request's TagSpecification.N (a Tag without a Key
// is refused as a missing Tag.Key).
func tagSpecsFrom(specs []wire.TagSpecification) []tagSpecParam {
	out := make([]tagSpecParam, 0, len(specs))
	for _, s := range specs {
		out = append(out, tagSpecParam{ResourceType: s.ResourceType, Tags: tagsFrom(s.Tags)})
	}
	return out
}

// tagsFrom reads a request's Tag.N: a Tag without a Key keeps a nil Key
// (validateTags refuses it as a missing Tag.Key), one without a Value a
// nil Value (DeleteTags then removes the key whatever its value).
func tagsFrom(tags []wire.Tag) []tagParam {
	var out []tagParam
	for _, t := range tags {
		tag := tagParam{Value: t.Value}
		if t.Key != "" {
			tag.Key = &t.Key
		}
		out = append(out, tag)
	}
	return out
}

// filtersFrom reads a Describe request's Filter.N.
func filtersFrom(filters []wire.Filter) []filterParam {
	out := make([]filterParam, 0, len(filters))
	for _, f := range filters {
		out = append(out, filterParam{Name: f.Name, Values: f.Values})
	}
	return out
}

// tagsOut renders tags sorted by key, as EC2 lists them; none writes no
// tagSet.
func tagsOut(tags map[string]string) ec2query.List[wire.Tag] {
	if len(tags) == 0 {
		return nil
	}
	out := make(ec2query.List[wire.Tag], 0, len(tags))
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		out = append(out, wire.Tag{Key: k, Value: ptr(tags[k])})
	}
	return out
}

// tagsListed renders tags as tagsOut does, but none as an empty
// <tagSet/>, as most EC2 objects but NAT gateways, addresses, instances and
// launch templates write it.
func tagsListed(tags map[string]string) ec2query.List[wire.Tag] {
	return append(ec2query.List[wire.Tag]{}, tagsOut(tags)...)
}

// maxResultsOf and tokenOf are a Describe request's paging parameters as
// paginate takes them.
func maxResultsOf(n *int) *int32 {
	if n == nil {
		return nil
	}
	v := int32(min(max(*n, -1<<31), 1<<31-1))
	return &v
}

func tokenOf(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// done is the <return>true</return> of a mutation whose model has no
// output.
var done = &wire.Return{Return: true}

// listed renders security group ids as a groupSet, written empty when
// there are none.
func (n groupNames) listed(ids []string) ec2query.List[wire.GroupIdentifier] {
	out := ec2query.List[wire.GroupIdentifier]{}
	for _, id := range ids {
		out = append(out, wire.GroupIdentifier{GroupId: id, GroupName: n[id]})
	}
	return out
}

// identifiers renders security group ids as a VPC endpoint's groupSet,
// whose model shape (SecurityGroupIdentifier) differs from the
// GroupIdentifier of listed only in name.
func (n groupNames) identifiers(ids []string) ec2query.List[wire.SecurityGroupIdentifier] {
	out := ec2query.List[wire.SecurityGroupIdentifier]{}
	for _, id := range ids {
		out = append(out, wire.SecurityGroupIdentifier{GroupId: id, GroupName: n[id]})
	}
	return out
}
