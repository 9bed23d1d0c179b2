package ecs

import (
	"context"
	"slices"
)

// listARNs serves the List calls: collect hands the ARNs to list to add, in
// one read transaction, and the answer is the page of them, sorted, that
// nextToken and maxResults ask for.
func (b *Backend) listARNs(ctx context.Context, nextToken string, maxResults *int, defaultMax int, collect func(s *State, add func(arn string)) error) ([]string, string, error) {
	var arns []string
	err := b.View(ctx, func(s *State) error {
		return collect(s, func(arn string) { arns = append(arns, arn) })
	})
	if err != nil {
		return nil, "", err
	}
	slices.Sort(arns)
	return page(arns, identity, nextToken, maxResults, defaultMax)
}

// validateDescribe checks a Describe call for what lives in a cluster: the
// list of references under member may not be empty nor longer than most,
// and include may only ask for what allowed names.
func validateDescribe(member string, refs []string, most int, include []string, allowed ...string) error {
	if len(refs) == 0 {
		return errMissing(member)
	}
	if len(refs) > most {
		return errInvalidParameter("%s can have at most %d items.", member, most)
	}
	return validateInclude(include, allowed...)
}

// eachRef looks up each reference with load and hands what it finds to fn.
// A reference that names nothing becomes a MISSING failure, under the
// reference itself when it is an ARN and else under the ARN of
// resource+ref (resource being, say, "cluster/" or "task/<cluster>/").
func eachRef[T any](s *State, refs []string, resource string, failures *[]Failure, load func(ref string) (*T, error), fn func(*T) error) error {
	for _, ref := range refs {
		item, err := load(ref)
		if err != nil {
			return err
		}
		if item == nil {
			arn := ref
			if !isARN(ref) {
				arn = s.arn(resource + ref)
			}
			*failures = append(*failures, Failure{Arn: arn, Reason: "MISSING"})
			continue
		}
		if err := fn(item); err != nil {
			return err
		}
	}
	return nil
}

// describeInCluster is the body of the Describe calls for what lives in a
// cluster (services, tasks, container instances): it finds the cluster,
// then each reference in it with load, appending what describe makes of a
// found one to items and a MISSING failure for the others. kind is the
// ARN resource type ("service", "task", "container-instance").
func describeInCluster[T any](s *State, clusterRef string, refs []string, kind string, items *[]*T, failures *[]Failure, load func(cluster *Cluster, ref string) (*T, error), describe func(*T) (*T, error)) error {
	cluster, err := s.Cluster(clusterRef)
	if err != nil {
		return err
	}
	if cluster == nil {
		return errClusterNotFound()
	}
	return eachRef(s, refs, kind+"/"+cluster.ClusterName+"/", failures,
		func(ref string) (*T, error) { return load(cluster, ref) },
		func(item *T) error {
			described, err := describe(item)
			if err != nil {
				return err
			}
			*items = append(*items, described)
			return nil
		})
}
