package ec2

import (
	"context"
	"maps"
	"slices"
	"strings"

	"github.com/berthdev/berth/internal/localcloud/service/tagging"
	"github.com/berthdev/berth/internal/localcloud/store"
)

// taggedResource is one resource's tags as DescribeTags lists them.
type taggedResource struct {
	ID           string
	ResourceType string
	Tags         map[string]string
}

// editTags loads the tags of a taggable resource, lets edit change them and
// stores the resource again.
func editTags(tx *store.Tx, id string, edit func(map[string]string) error) error {
	if strings.HasPrefix(id, kindSecurityGroupRule.prefix) { // a rule's tags live in its group
		group, i, err := ruleGroup(tx, id)
		if err != nil {
			return err
		}
		if group.Rules[i].Tags == nil {
			group.Rules[i].Tags = map[string]string{}
		}
		if err := edit(group.Rules[i].Tags); err != nil {
			return err
		}
		return tx.Put(tableSecurityGroups, group.ID, group)
	}
	kind, ok := kindOf(id)
	if !ok {
		return errorf(codeInvalidID, "The ID '%s' is not valid", id)
	}
	switch kind.table {
	case tableVpcs:
		return editTagsOf[Vpc](tx, kind, id, func(v *Vpc) *map[string]string { return &v.Tags }, edit)
	case tableSubnets:
		return editTagsOf[Subnet](tx, kind, id, func(v *Subnet) *map[string]string { return &v.Tags }, edit)
	case tableInternetGateways:
		return editTagsOf[InternetGateway](tx, kind, id, func(v *InternetGateway) *map[string]string { return &v.Tags }, edit)
	case tableRouteTables:
		return editTagsOf[RouteTable](tx, kind, id, func(v *RouteTable) *map[string]string { return &v.Tags }, edit)
	case tableNetworkACLs:
		return editTagsOf[NetworkACL](tx, kind, id, func(v *NetworkACL) *map[string]string { return &v.Tags }, edit)
	case tableSecurityGroups:
		return editTagsOf[SecurityGroup](tx, kind, id, func(v *SecurityGroup) *map[string]string { return &v.Tags }, edit)
	case tableLaunchTemplates:
		return editTagsOf[LaunchTemplate](tx, kind, id, func(v *LaunchTemplate) *map[string]string { return &v.Tags }, edit)
	case tableInstances:
		return editTagsOf[Instance](tx, kind, id, func(v *Instance) *map[string]string { return &v.Tags }, edit)
	case tableAddresses:
		return editTagsOf[Address](tx, kind, id, func(v *Address) *map[string]string { return &v.Tags }, edit)
	case tableNatGateways:
		return editTagsOf[NatGateway](tx, kind, id, func(v *NatGateway) *map[string]string { return &v.Tags }, edit)
	case tableNetworkInterfaces:
		return editTagsOf[NetworkInterface](tx, kind, id, func(v *NetworkInterface) *map[string]string { return &v.Tags }, edit)
	case tableEgressOnlyGateways:
		return editTagsOf[EgressOnlyInternetGateway](tx, kind, id, func(v *EgressOnlyInternetGateway) *map[string]string { return &v.Tags }, edit)
	case tableVpcEndpoints:
		return editTagsOf[VpcEndpoint](tx, kind, id, func(v *VpcEndpoint) *map[string]string { return &v.Tags }, edit)
	case tableDhcpOptions:
		return editTagsOf[DhcpOptions](tx, kind, id, func(v *DhcpOptions) *map[string]string { return &v.Tags }, edit)
	case tableKeyPairs:
		return editTagsOf[KeyPair](tx, kind, id, func(v *KeyPair) *map[string]string { return &v.Tags }, edit)
	}
	return errorf(codeInvalidID, "The ID '%s' is not valid", id)
}

func editTagsOf[T any](tx *store.Tx, kind resourceKind, id string, tagsOf func(*T) *map[string]string, edit func(map[string]string) error) error {
	v, err := getResource[T](tx, kind, id)
	if err != nil {
		return err
	}
	tags := tagsOf(v)
	if *tags == nil {
		*tags = map[string]string{}
	}
	if err := edit(*tags); err != nil {
		return err
	}
	return tx.Put(kind.table, id, v)
}

func (b *Backend) createTags(ctx context.Context, resourceIDs []string, tags []tagParam, dryRun bool) error {
	if len(resourceIDs) == 0 {
		return missingParameter("ResourceId")
	}
	if len(tags) == 0 {
		return missingParameter("Tag")
	}
	parsed, err := validateTags(tags, false)
	if err != nil {
		return err
	}
	return b.update(ctx, dryRun, func(tx *store.Tx) error {
		for _, id := range resourceIDs {
			err := editTags(tx, id, func(current map[string]string) error {
				if err := checkTags(current, tagging.FromMap(parsed), false); err != nil {
					return err
				}
				maps.Copy(current, parsed)
				return nil
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// deleteTags removes the given keys (only where the value matches, when a
// value is given), or every tag when no tag is given.
func (b *Backend) deleteTags(ctx context.Context, resourceIDs []string, tags []tagParam, dryRun bool) error {
	if len(resourceIDs) == 0 {
		return missingParameter("ResourceId")
	}
	for _, t := range tags {
		if t.Key != nil && strings.HasPrefix(strings.ToLower(*t.Key), "aws:") {
			return invalidParameterValue("Tag keys starting with 'aws:' are reserved for internal use")
		}
	}
	return b.update(ctx, dryRun, func(tx *store.Tx) error {
		for _, id := range resourceIDs {
			err := editTags(tx, id, func(current map[string]string) error {
				if len(tags) == 0 {
					for k := range current {
						if !strings.HasPrefix(k, "aws:") {
							delete(current, k)
						}
					}
					return nil
				}
				for _, t := range tags {
					if t.Key == nil {
						continue
					}
					if v, ok := current[*t.Key]; ok && (t.Value == nil || *t.Value == v) {
						delete(current, *t.Key)
					}
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// allTagged lists every visible taggable resource with its tags.
func (b *Backend) allTagged(tx *store.Tx) ([]taggedResource, error) {
	now := b.now()
	var out []taggedResource
	groups, err := store.List[SecurityGroup](tx, tableSecurityGroups)
	if err != nil {
		return nil, err
	}
	for _, g := range groups {
		for _, r := range g.Rules {
			if len(r.Tags) > 0 {
				out = append(out, taggedResource{ID: r.ID, ResourceType: kindSecurityGroupRule.resourceType, Tags: r.Tags})
			}
		}
	}
	for _, list := range []func() ([]taggedResource, error){
		tagsIn(tx, kindVpc, func(v *Vpc) (string, map[string]string, bool) { return v.ID, v.Tags, true }),
		tagsIn(tx, kindSubnet, func(v *Subnet) (string, map[string]string, bool) { return v.ID, v.Tags, true }),
		tagsIn(tx, kindInternetGateway, func(v *InternetGateway) (string, map[string]string, bool) { return v.ID, v.Tags, true }),
		tagsIn(tx, kindRouteTable, func(v *RouteTable) (string, map[string]string, bool) { return v.ID, v.Tags, true }),
		tagsIn(tx, kindNetworkACL, func(v *NetworkACL) (string, map[string]string, bool) { return v.ID, v.Tags, true }),
		tagsIn(tx, kindSecurityGroup, func(v *SecurityGroup) (string, map[string]string, bool) { return v.ID, v.Tags, true }),
		tagsIn(tx, kindLaunchTemplate, func(v *LaunchTemplate) (string, map[string]string, bool) { return v.ID, v.Tags, true }),
		tagsIn(tx, kindInstance, func(v *Instance) (string, map[string]string, bool) { return v.ID, v.Tags, v.visible(now) }),
		tagsIn(tx, kindAddress, func(v *Address) (string, map[string]string, bool) { return v.AllocationID, v.Tags, true }),
		tagsIn(tx, kindNatGateway, func(v *NatGateway) (string, map[string]string, bool) { return v.ID, v.Tags, v.visible(now) }),
		tagsIn(tx, kindNetworkInterface, func(v *NetworkInterface) (string, map[string]string, bool) { return v.ID, v.Tags, true }),
		tagsIn(tx, kindEgressOnlyGateway, func(v *EgressOnlyInternetGateway) (string, map[string]string, bool) { return v.ID, v.Tags, true }),
		tagsIn(tx, kindVpcEndpoint, func(v *VpcEndpoint) (string, map[string]string, bool) { return v.ID, v.Tags, true }),
		tagsIn(tx, kindDhcpOptions, func(v *DhcpOptions) (string, map[string]string, bool) { return v.ID, v.Tags, true }),
		tagsIn(tx, kindKeyPair, func(v *KeyPair) (string, map[string]string, bool) { return v.ID, v.Tags, true }),
	} {
		items, err := list()
		if err != nil {
			return nil, err
		}
		out = append(out, items...)
	}
	return out, nil
}

// tagsIn lists the tagged resources of kind's table; of gives a resource's
// id, its tags and whether it is visible.
func tagsIn[T any](tx *store.Tx, kind resourceKind, of func(*T) (string, map[string]string, bool)) func() ([]taggedResource, error) {
	return func() ([]taggedResource, error) {
		items, err := store.List[T](tx, kind.table)
		if err != nil {
			return nil, err
		}
		var out []taggedResource
		for _, item := range items {
			id, tags, ok := of(item)
			if ok && len(tags) > 0 {
				out = append(out, taggedResource{ID: id, ResourceType: kind.resourceType, Tags: tags})
			}
		}
		return out, nil
	}
}

// tagRow is one (resource, key, value) of DescribeTags.
type tagRow struct {
	ResourceID, ResourceType, Key, Value string
}

func (r *tagRow) sortKey() string { return r.ResourceID + "\x00" + r.Key }

func (r *tagRow) filterValues(name string) ([]string, bool) {
	switch name {
	case "resource-id":
		return []string{r.ResourceID}, true
	case "resource-type":
		return []string{r.ResourceType}, true
	case "key":
		return []string{r.Key}, true
	case "value":
		return []string{r.Value}, true
	}
	return nil, false
}

func (b *Backend) describeTags(ctx context.Context, filters []filterParam, maxResults *int32, token *string, dryRun bool) ([]*tagRow, string, error) {
	var rows []*tagRow
	err := b.view(ctx, dryRun, func(tx *store.Tx) error {
		resources, err := b.allTagged(tx)
		if err != nil {
			return err
		}
		for _, r := range resources {
			for _, k := range slices.Sorted(maps.Keys(r.Tags)) {
				row := &tagRow{ResourceID: r.ID, ResourceType: r.ResourceType, Key: k, Value: r.Tags[k]}
				// DescribeTags' filters name the row, not the resource's tags.
				ok, err := matchFilters(filters, nil, row.filterValues)
				if err != nil {
					return err
				}
				if ok {
					rows = append(rows, row)
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	return paginateRows(rows, maxResults, token)
}

func paginateRows(rows []*tagRow, maxResults *int32, token *string) ([]*tagRow, string, error) {
	return paginate(rows, (*tagRow).sortKey, maxResults, token, 5)
}
