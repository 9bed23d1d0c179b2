package ecs

import (
	"context"
	"github.com/berthdev/berth/internal/localcloud/service/ecs/wire"
	"regexp"
	"slices"
	"strings"
)

// AWS's rules for attributes: a name of 1–128 letters, digits, hyphens,
// underscores, slashes, back slashes and periods; a value of 1–128 of
// those, @, colons and spaces, not starting or ending with a space.
var (
	attributeNamePattern  = regexp.MustCompile(`^[a-zA-Z0-9_./\\-]{1,128}$`)
	attributeValuePattern = regexp.MustCompile(`^[a-zA-Z0-9_.@/\\: -]{1,128}$`)
)

// maxCustomAttributes is how many custom attributes one container instance
// can have.
const maxCustomAttributes = 10

const targetContainerInstance = "container-instance"

func validateAttribute(a Attribute) error {
	if !attributeNamePattern.MatchString(a.Name) {
		return errInvalidParameter("Attribute name must be 1-128 characters: letters (upper and lowercase), numbers, hyphens, underscores, forward slashes, back slashes and periods. Got %q.", a.Name)
	}
	if a.Value != nil {
		v := *a.Value
		if !attributeValuePattern.MatchString(v) || strings.HasPrefix(v, " ") || strings.HasSuffix(v, " ") {
			return errInvalidParameter("Attribute value must be 1-128 characters: letters (upper and lowercase), numbers, hyphens, underscores, periods, at signs, forward slashes, back slashes, colons and spaces, and may not start or end with a space. Got %q.", v)
		}
	}
	return nil
}

// builtinAttribute reports whether a name is one of the agent's own
// attributes or capabilities, which do not count toward the custom limit.
func builtinAttribute(name string) bool {
	return strings.HasPrefix(name, "ecs.") || strings.HasPrefix(name, "com.amazonaws.ecs.")
}

// attributeTarget resolves the container instance an attribute is for; a
// short id needs targetType.
func (s *State) attributeTarget(cluster *Cluster, a Attribute) (*ContainerInstance, error) {
	switch {
	case a.TargetId == "":
		return nil, errInvalidParameter("Attribute targetId can not be blank.")
	case a.TargetType != "" && a.TargetType != targetContainerInstance:
		return nil, errInvalidParameter("Invalid targetType: %s.", a.TargetType)
	case !isARN(a.TargetId) && a.TargetType == "":
		return nil, errInvalidParameter("targetType must be specified when targetId is not an ARN.")
	case isARN(a.TargetId) && !strings.Contains(a.TargetId, ":container-instance/"):
		return nil, errInvalidParameter("Attribute targetId %s is not a container instance.", a.TargetId)
	}
	if c := clusterNameOfARN(a.TargetId, "container-instance"); c != "" && c != cluster.ClusterName {
		return nil, errTargetNotFound(a.TargetId)
	}
	ci, err := s.ContainerInstance(cluster.ClusterArn, a.TargetId)
	if err != nil {
		return nil, err
	}
	if ci == nil || ci.Status == statusInactive {
		return nil, errTargetNotFound(a.TargetId)
	}
	return ci, nil
}

func errTargetNotFound(target string) error {
	return errorf("TargetNotFoundException", "Could not find %s.", target)
}

// editAttributes runs edit on each attribute's container instance and
// stores the instances it changed; the answer echoes the attributes with
// their target as a full ARN.
func (b *Backend) editAttributes(ctx context.Context, clusterRef string, requested []wire.Attribute, edit func(ci *ContainerInstance, a Attribute) error) ([]wire.Attribute, error) {
	attributes := listOf(requested, attributeIn)
	if len(attributes) == 0 {
		return nil, errMissing("attributes")
	}
	if len(attributes) > 10 {
		return nil, errInvalidParameter("attributes can have at most 10 items.")
	}
	for _, a := range attributes {
		if err := validateAttribute(a); err != nil {
			return nil, err
		}
	}
	out := []wire.Attribute{}
	err := b.Update(ctx, func(s *State) error {
		cluster, err := s.activeCluster(clusterRef)
		if err != nil {
			return err
		}
		changed := map[string]*ContainerInstance{}
		var order []string
		for _, a := range attributes {
			ci, err := s.attributeTarget(cluster, a)
			if err != nil {
				return err
			}
			if seen := changed[ci.ContainerInstanceArn]; seen != nil {
				ci = seen
			} else {
				changed[ci.ContainerInstanceArn] = ci
				order = append(order, ci.ContainerInstanceArn)
			}
			if err := edit(ci, a); err != nil {
				return err
			}
			a.TargetId, a.TargetType = ci.ContainerInstanceArn, targetContainerInstance
			out = append(out, attributeOut(a))
		}
		for _, arn := range order {
			if err := s.PutContainerInstance(changed[arn]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (b *Backend) putAttributes(ctx context.Context, in *wire.PutAttributesRequest) (*wire.PutAttributesResponse, error) {
	attributes, err := b.editAttributes(ctx, in.Cluster, in.Attributes, func(ci *ContainerInstance, a Attribute) error {
		set := Attribute{Name: a.Name, Value: a.Value}
		if i := slices.IndexFunc(ci.Attributes, func(o Attribute) bool { return o.Name == a.Name }); i >= 0 {
			ci.Attributes[i] = set
			return nil
		}
		custom := 0
		for _, o := range ci.Attributes {
			if !builtinAttribute(o.Name) {
				custom++
			}
		}
		if !builtinAttribute(a.Name) && custom >= maxCustomAttributes {
			return errorf("AttributeLimitExceededException", "You can apply up to %d custom attributes per resource.", maxCustomAttributes)
		}
		ci.Attributes = append(ci.Attributes, set)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &wire.PutAttributesResponse{Attributes: attributes}, nil
}

func (b *Backend) deleteAttributes(ctx context.Context, in *wire.DeleteAttributesRequest) (*wire.DeleteAttributesResponse, error) {
	attributes, err := b.editAttributes(ctx, in.Cluster, in.Attributes, func(ci *ContainerInstance, a Attribute) error {
		// Deleting an attribute the instance lacks is not an error.
		ci.Attributes = slices.DeleteFunc(ci.Attributes, func(o Attribute) bool { return o.Name == a.Name })
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &wire.DeleteAttributesResponse{Attributes: attributes}, nil
}

// listAttributes lists the attributes of the cluster's container instances,
// built-in ones included, optionally only those of one name (and value).
func (b *Backend) listAttributes(ctx context.Context, in *wire.ListAttributesRequest) (*wire.ListAttributesResponse, error) {
	switch {
	case in.TargetType == "":
		return nil, errMissing("targetType")
	case in.TargetType != targetContainerInstance:
		return nil, errInvalidParameter("Invalid targetType: %s.", in.TargetType)
	case in.AttributeValue != "" && in.AttributeName == "":
		return nil, errInvalidParameter("attributeName must be specified when attributeValue is.")
	}
	var found []Attribute
	err := b.View(ctx, func(s *State) error {
		cluster, err := s.activeCluster(in.Cluster)
		if err != nil {
			return err
		}
		instances, err := s.ContainerInstances(cluster.ClusterArn)
		if err != nil {
			return err
		}
		for _, ci := range instances {
			if ci.Status == statusInactive {
				continue
			}
			for _, a := range ci.Attributes {
				if in.AttributeName != "" && a.Name != in.AttributeName {
					continue
				}
				if in.AttributeValue != "" && ptrValue(a.Value) != in.AttributeValue {
					continue
				}
				a.TargetId, a.TargetType = ci.ContainerInstanceArn, targetContainerInstance
				found = append(found, a)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	pageOf, next, err := page(found, func(a Attribute) string { return a.TargetId + "\x00" + a.Name }, in.NextToken, in.MaxResults, 100)
	if err != nil {
		return nil, err
	}
	return &wire.ListAttributesResponse{Attributes: orEmpty(listOf(pageOf, attributeOut)), NextToken: next}, nil
}
